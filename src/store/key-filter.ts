/**
 * Which idempotency keys are certainly new, without asking SQLite. Every
 * keyed append looked its key up first, and with a file db a statement
 * outside a transaction takes and drops the file's shared lock (two fcntl
 * calls): about 5.5 µs per lookup, of which 3.4 µs locking
 * (docs/performance.md, fourth pass). Almost every key is new, so a Bloom
 * filter of the keys recorded within the TTL answers "new" for nearly all of
 * them; "maybe" still asks the table, so a false positive costs only the
 * lookup it saves otherwise, and there are no false negatives.
 *
 * Two generations, each about a TTL long: keys go into the current one, and
 * when it is a TTL old the older one is dropped and a fresh one started, so
 * a key stays in a filter for at least a TTL after it was recorded.
 */

/** Bits per generation: 2^24 (2 MB), under 1 % false positives up to about 1.7M keys. */
const BITS_LOG2 = 24;
const MASK = (1 << BITS_LOG2) - 1;
/** Bit positions per key. */
const PROBES = 4;

/** Two independent 32-bit FNV-1a style hashes of a string, for double hashing. */
function hashes(key: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  h2 ^= h2 >>> 15;
  // Odd, so the probes of one key never all fall on the same bit.
  return [h1 >>> 0, (h2 | 1) >>> 0];
}

class Generation {
  readonly bits = new Uint32Array(1 << (BITS_LOG2 - 5));
  constructor(readonly since: number) {}

  add(h1: number, h2: number): void {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & MASK;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & MASK;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

export class KeyFilter {
  private current: Generation;
  private older: Generation | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {
    this.current = new Generation(now());
  }

  /** Remember `key` (recorded at `now`) for at least a TTL. */
  add(key: string): void {
    this.rotate();
    const [h1, h2] = hashes(key);
    this.current.add(h1, h2);
  }

  /** False: `key` was certainly not added within the TTL. True: it may have been. */
  mayHave(key: string): boolean {
    this.rotate();
    const [h1, h2] = hashes(key);
    return this.current.has(h1, h2) || (this.older?.has(h1, h2) ?? false);
  }

  private rotate(): void {
    const t = this.now();
    if (t - this.current.since < this.ttlMs) return;
    this.older = this.current;
    this.current = new Generation(t);
  }
}
