/**
 * Connection admission (docs/protocol.md §6): a total cap, a cap per address and
 * an accept rate per address. Pure bookkeeping with an injected clock; the
 * listener decides what to do with a refusal.
 */
import { ChatError } from '../protocol/errors.js';

export interface AdmissionOptions {
  maxConnections: number;
  maxPerAddress: number;
  /** New connections per address per second (sustained); bursts of twice that pass. */
  acceptsPerSecond: number;
}

/** Above this many tracked addresses, buckets that have refilled are dropped. */
const SWEEP_AT = 10_000;

interface Bucket {
  tokens: number;
  last: number;
}

export class Admission {
  private total = 0;
  private readonly perAddress = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(
    private readonly opts: AdmissionOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count a new connection from `address`, or say why it is refused (nothing is counted then). */
  admit(address: string): ChatError | undefined {
    if (this.total >= this.opts.maxConnections) {
      return new ChatError('server_full', 'The server is full; try again later');
    }
    const open = this.perAddress.get(address) ?? 0;
    if (open >= this.opts.maxPerAddress) {
      return new ChatError(
        'server_full',
        `Too many connections from your address (at most ${this.opts.maxPerAddress})`,
      );
    }
    if (!this.takeToken(address)) {
      return new ChatError(
        'rate_limited',
        'Connecting too fast from your address; wait a second',
        1000,
      );
    }
    this.total++;
    this.perAddress.set(address, open + 1);
    return undefined;
  }

  /** Forget one admitted connection from `address`. */
  release(address: string): void {
    this.total = Math.max(0, this.total - 1);
    const open = (this.perAddress.get(address) ?? 1) - 1;
    if (open <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, open);
  }

  get connections(): number {
    return this.total;
  }

  private takeToken(address: string): boolean {
    const t = this.now();
    const rate = this.opts.acceptsPerSecond;
    const burst = rate * 2;
    const b = this.buckets.get(address) ?? { tokens: burst, last: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.last) / 1000) * rate);
    b.last = t;
    this.buckets.set(address, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    if (this.buckets.size > SWEEP_AT && t - this.lastSweep >= 1000) this.sweep(t);
    return true;
  }

  // A full bucket carries no information, so dropping it keeps the map as small as the active set.
  private sweep(t: number): void {
    this.lastSweep = t;
    const burst = this.opts.acceptsPerSecond * 2;
    for (const [address, b] of this.buckets) {
      if (b.tokens + ((t - b.last) / 1000) * this.opts.acceptsPerSecond >= burst)
        this.buckets.delete(address);
    }
  }
}
