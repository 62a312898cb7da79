/**
 * Which stored chunk may hold an idempotency key (sqlite-keys.ts), without
 * asking SQLite. Keys are written a commit's worth to one row, not a row
 * each (a row and its index entries cost about 4 µs per key,
 * docs/performance.md, ninth pass), so finding one again needs an index of
 * our own: a 32-bit hash of the key to the row it was written in. A lookup
 * reads the rows named and compares the whole key, so a hash shared by two
 * keys costs one read more, never a wrong answer; a key never added finds
 * no row for nearly every key, without a statement.
 *
 * Hand-rolled rather than a Map of strings: a slot is 8 bytes in typed
 * arrays (the hash and the row's place in this generation), where a Map
 * entry with its string is about ten times that, and the GC never walks it.
 *
 * Two generations, each about a TTL long, as a Bloom filter of the same
 * keys had: keys go into the current one, and when it is a TTL old the
 * older one is dropped and a fresh one started, so a key stays findable for
 * at least a TTL after it was added.
 *
 * Memory is bounded: a generation that reaches `maxKeys` is turned over
 * early, and the older one dropped with it. Keys then stay findable for
 * less than a TTL, which only takes more than 2M keyed messages within one
 * (2,300 a second for 15 minutes), far past any chat this serves; the
 * table of a full generation is 32 MB (docs/protocol.md, Delivery guarantees).
 */

/** A 32-bit FNV-1a hash of `key`, with a final mix so nearby keys spread over the table. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Slots to start with: grown by doubling whenever half are used. */
const INITIAL_SLOTS = 1024;
/** Keys a generation holds before it is turned over early (a table of 2^22 slots). */
const MAX_KEYS = 1 << 21;

class Generation {
  /**
   * Slot i is [2i] the hash and [2i + 1] its row, as 1 + the row's index in
   * `rows` (0: the slot is empty): side by side, a probe touches one cache line.
   */
  private slots = new Uint32Array(2 * INITIAL_SLOTS);
  /** The rows this generation's keys were written in, in the order first named. */
  private readonly rows: number[] = [];
  used = 0;

  constructor(readonly since: number) {}

  add(hash: number, row: number): void {
    // Keys of one commit arrive together: its row is the last one named.
    if (this.rows[this.rows.length - 1] !== row) this.rows.push(row);
    if (4 * (this.used + 1) > this.slots.length) this.grow();
    this.put(hash, this.rows.length);
    this.used++;
  }

  /** Add to `out` the rows that may hold a key of this hash, oldest first. */
  rowsOf(hash: number, out: number[] | undefined): number[] | undefined {
    const slots = this.slots;
    const mask = (slots.length >>> 1) - 1;
    for (let i = hash & mask; slots[2 * i + 1] !== 0; i = (i + 1) & mask) {
      if (slots[2 * i] === hash) (out ??= []).push(this.rows[slots[2 * i + 1]! - 1]!);
    }
    return out;
  }

  private put(hash: number, place: number): void {
    const slots = this.slots;
    const mask = (slots.length >>> 1) - 1;
    let i = hash & mask;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = hash;
    slots[2 * i + 1] = place;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.put(old[i]!, old[i + 1]!);
  }
}

export class KeyIndex {
  private current: Generation;
  private older: Generation | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** keyHash; a test gives a worse one, to make keys collide. */
    private readonly hash: (key: string) => number = keyHash,
    /** MAX_KEYS; a test gives a smaller one. */
    private readonly maxKeys = MAX_KEYS,
  ) {
    this.current = new Generation(now());
  }

  /** `key` was written in chunk `row`: findable for at least a TTL from now (see maxKeys). */
  add(key: string, row: number): void {
    this.rotate();
    if (this.current.used >= this.maxKeys) this.turnOver(this.now());
    this.current.add(this.hash(key), row);
  }

  /** The rows that may hold `key`, oldest first; undefined when it was certainly not added within the TTL. */
  rowsOf(key: string): number[] | undefined {
    this.rotate();
    const hash = this.hash(key);
    return this.current.rowsOf(hash, this.older?.rowsOf(hash, undefined));
  }

  private rotate(): void {
    const t = this.now();
    if (t - this.current.since >= this.ttlMs) this.turnOver(t);
  }

  private turnOver(t: number): void {
    this.older = this.current;
    this.current = new Generation(t);
  }
}
