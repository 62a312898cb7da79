/**
 * Several encoded events laid end to end in one Buffer, with where each one
 * ends: a room's burst is encoded once, and a member who sent some of it
 * (split horizon: not their own lines) gets the rest as byte ranges of the
 * same encoding instead of a second encoding event by event
 * (docs/performance.md, fourth pass).
 */
export class EncodedBatch {
  private constructor(
    readonly bytes: Buffer,
    /** ends[i]: the offset just past event i. */
    private readonly ends: Uint32Array,
  ) {}

  /** One Buffer for `parts` (each an event's encoding as a string), in order. */
  static of(parts: readonly string[]): EncodedBatch {
    // One string, converted once: cheaper than a Buffer per event and a concatenation.
    const joined = parts.join('');
    const bytes = Buffer.from(joined, 'utf8');
    // As many bytes as characters: all ASCII, so each part's length is its size in bytes.
    const ascii = bytes.length === joined.length;
    const ends = new Uint32Array(parts.length);
    let total = 0;
    for (let i = 0; i < parts.length; i++) {
      total += ascii ? parts[i]!.length : Buffer.byteLength(parts[i]!, 'utf8');
      ends[i] = total;
    }
    return new EncodedBatch(bytes, ends);
  }

  /** The bytes of every event except those at `skip` (ascending indexes), copied once. */
  without(skip: readonly number[]): Buffer {
    if (skip.length === 0) return this.bytes;
    let size = this.bytes.length;
    for (const i of skip) size -= this.ends[i]! - this.start(i);
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    let from = 0;
    for (const i of skip) {
      at += this.bytes.copy(out, at, from, this.start(i));
      from = this.ends[i]!;
    }
    this.bytes.copy(out, at, from);
    return out;
  }

  private start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }
}
