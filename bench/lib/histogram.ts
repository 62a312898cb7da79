/**
 * A small mergeable latency histogram (values in microseconds).
 *
 * Values below 128 µs are kept exactly; above that every power of two is split
 * into 64 sub-buckets, so a reported percentile is within about 1.6 % of the
 * true value. The maximum is kept exactly. Histograms from several worker
 * threads are merged by adding their bucket arrays.
 */

const EXACT = 128;
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;
const MIN_EXP = 7; // 2^7 = 128
const MAX_EXP = 31;
export const HISTOGRAM_BUCKETS = EXACT + (MAX_EXP - MIN_EXP + 1) * SUB;

export interface HistogramData {
  counts: number[];
  count: number;
  sum: number;
  max: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function bucketOf(v: number): number {
  if (v < EXACT) return v < 0 ? 0 : Math.floor(v);
  const x = v >= 0xffffffff ? 0xffffffff : Math.floor(v);
  const exp = 31 - Math.clz32(x);
  const sub = (x >>> (exp - SUB_BITS)) & (SUB - 1);
  return EXACT + (exp - MIN_EXP) * SUB + sub;
}

/** Middle of a bucket's value range, in microseconds. */
function bucketValue(i: number): number {
  if (i < EXACT) return i;
  const j = i - EXACT;
  const exp = Math.floor(j / SUB) + MIN_EXP;
  const sub = j % SUB;
  const width = 2 ** (exp - SUB_BITS);
  const low = 2 ** exp + sub * width;
  return low + width / 2;
}

export class Histogram {
  readonly counts = new Float64Array(HISTOGRAM_BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(us: number): void {
    const i = bucketOf(us);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.count++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  toData(): HistogramData {
    return { counts: Array.from(this.counts), count: this.count, sum: this.sum, max: this.max };
  }

  add(d: HistogramData): void {
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      this.counts[i] = (this.counts[i] ?? 0) + (d.counts[i] ?? 0);
    }
    this.count += d.count;
    this.sum += d.sum;
    if (d.max > this.max) this.max = d.max;
  }

  /** Value (µs) at quantile q in [0, 1]. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= target) return Math.min(bucketValue(i), this.max);
    }
    return this.max;
  }

  /** Percentiles in milliseconds, rounded to 0.01 ms. */
  summaryMs(): LatencySummary {
    const ms = (us: number): number => Math.round(us / 10) / 100;
    return {
      count: this.count,
      p50: ms(this.quantile(0.5)),
      p90: ms(this.quantile(0.9)),
      p99: ms(this.quantile(0.99)),
      max: ms(this.max),
      mean: this.count === 0 ? 0 : ms(this.sum / this.count),
    };
  }
}
