/**
 * Several encoded events laid end to end in one Buffer, with where each one
 * ends: a room's burst is encoded once, and a member who sent some of it
 * (split horizon: not their own lines) gets the rest as byte ranges of the
 * same encoding instead of a second encoding event by event
 * (docs/performance.md, fourth pass).
 */
/**
 * Call `fn` for each item whose index is not in `skip` (ascending), in
 * order; in place of a skipped one, for `instead[j]` (the item standing in
 * for `items[skip[j]]`) when there is one.
 */
export function forEachKept<T>(
  items: readonly T[],
  skip: readonly number[] | undefined,
  fn: (item: T) => void,
  instead?: readonly (T | undefined)[],
): void {
  let s = 0;
  for (let i = 0; i < items.length; i++) {
    if (skip?.[s] === i) {
      const other = instead?.[s];
      s++;
      if (other !== undefined) fn(other);
    } else fn(items[i]!);
  }
}

/**
 * Bytes for one connection: one Buffer, or pieces to write end to end. A
 * piece is never empty, so either is empty exactly when its length is 0.
 */
export type Bytes = Buffer | readonly Buffer[];

export class EncodedBatch {
  private constructor(
    readonly bytes: Buffer,
    /** ends[i]: the offset just past event i. */
    private readonly ends: Uint32Array,
  ) {}

  /** A burst an encoder laid out itself: `ends[i]` is the offset just past event i. */
  static at(bytes: Buffer, ends: Uint32Array): EncodedBatch {
    return new EncodedBatch(bytes, ends);
  }

  /**
   * One Buffer for `parts` (each an event's encoding), in order. The parts
   * are each event's cached bytes: an event is in several arrays when
   * senders hold their room (ack-order.ts), and copying its bytes is
   * cheaper than encoding its text again for each (docs/performance.md,
   * fourth pass).
   */
  static of(parts: readonly Buffer[]): EncodedBatch {
    const ends = new Uint32Array(parts.length);
    let total = 0;
    for (let i = 0; i < parts.length; i++) {
      total += parts[i]!.length;
      ends[i] = total;
    }
    return new EncodedBatch(Buffer.concat(parts, total), ends);
  }

  /**
   * One Buffer for `texts` (each an event's encoding as a string, or as
   * pieces laid end to end), in order, for an encoder whose events are not
   * wanted one by one afterwards (text mode: its senders never hold a room,
   * having no ids to be acked). Each string is written straight into the
   * Buffer: joining them first made a string of the whole burst (216 KB for
   * 400 lines), which V8 puts in its large-object space, freed only by a
   * full collection; that cost 0.75 µs per line against 0.2
   * (docs/performance.md, ninth pass). Pieces, because a line made by `+`
   * is a rope that V8 flattens into a copy of the whole line, text and all,
   * before it can count or write its bytes: 0.5 KB of garbage per message
   * (docs/performance.md, thirteenth pass).
   */
  static ofTexts(texts: readonly (string | readonly string[])[]): EncodedBatch {
    const ends = new Uint32Array(texts.length);
    let total = 0;
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]!;
      if (typeof text === 'string') total += Buffer.byteLength(text, 'utf8');
      else for (const piece of text) total += Buffer.byteLength(piece, 'utf8');
      ends[i] = total;
    }
    const bytes = Buffer.allocUnsafe(total);
    let at = 0;
    for (const text of texts) {
      if (typeof text === 'string') at += bytes.write(text, at, 'utf8');
      else for (const piece of text) at += bytes.write(piece, at, 'utf8');
    }
    return new EncodedBatch(bytes, ends);
  }

  /**
   * The bytes of every event except those at `skip` (ascending indexes), as
   * pieces of the shared encoding (views, not copies) laid end to end;
   * `instead[j]`, when given, goes where event `skip[j]` was (a sender's
   * ack in place of its own line, core/ack-order.ts). Not one copy per
   * sender: when every member of a room is also one of its senders, copies
   * held one burst per member until the kernel took them (docs/performance.md,
   * thirteenth pass).
   */
  without(skip: readonly number[], instead?: readonly (Buffer | undefined)[]): Bytes {
    if (skip.length === 0) return this.bytes;
    const pieces: Buffer[] = [];
    let from = 0;
    for (let j = 0; j < skip.length; j++) {
      const i = skip[j]!;
      const to = this.start(i);
      if (to > from) pieces.push(this.bytes.subarray(from, to));
      const other = instead?.[j];
      if (other !== undefined && other.length > 0) pieces.push(other);
      from = this.ends[i]!;
    }
    if (from < this.bytes.length) pieces.push(this.bytes.subarray(from));
    return pieces.length === 1 ? pieces[0]! : pieces;
  }

  private start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }
}
