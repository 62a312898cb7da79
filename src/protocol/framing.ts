/**
 * Byte-level line framing for docs/protocol.md §1. split2's `maxLength` either
 * errors (ending the stream) or skips silently; the protocol needs to tell the
 * sender `line_too_long` for each discarded line and keep the connection, so
 * framing is done here, on Buffers, before any UTF-8 decoding.
 */
/** A discarded line's first and last bytes (up to DISCARDED_HEAD_BYTES each; they may overlap). */
export interface DiscardedEnds {
  head: Buffer;
  tail: Buffer;
}

export type Frame = { kind: 'line'; bytes: Buffer } | ({ kind: 'too_long' } & DiscardedEnds);

/**
 * How much of a discarded line is kept at each end: enough for a JSON
 * request's `id` as its first members or as its last, so the refusal can
 * carry it (§4: one reply per id). `JSON.stringify` of an object built with
 * `id` first, and one with `id` last, are both common in bots.
 */
export const DISCARDED_HEAD_BYTES = 256;

const LF = 0x0a;
const CR = 0x0d;

/** Kept of a discarded line's end: one byte more, for the CR of a CRLF. */
const TAIL_BYTES = DISCARDED_HEAD_BYTES + 1;

/** The last TAIL_BYTES of `kept` followed by `more`, copied (the socket may reuse its memory). */
function lastBytes(kept: Buffer, more: Buffer): Buffer {
  if (more.length >= TAIL_BYTES) return Buffer.from(more.subarray(-TAIL_BYTES));
  const keep = Math.min(kept.length, TAIL_BYTES - more.length);
  return Buffer.concat([kept.subarray(kept.length - keep), more]);
}

/** Splits a byte stream into LF-terminated lines of at most `maxLineBytes` bytes. */
export class LineFramer {
  /** A line's start held until its LF comes; made only then (most connections never need it). */
  private pending: Buffer[] | undefined;
  private pendingBytes = 0;
  /**
   * A line over the limit, skipped up to its LF. Refused there, not when it
   * overflowed: its last bytes may name its id.
   */
  private discard: DiscardedEnds | undefined;

  constructor(private readonly maxLineBytes: number) {}

  /** Feed a chunk; returns the frames it completes, in order. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) {
        this.hold(chunk.subarray(start));
        return frames;
      }
      const piece = chunk.subarray(start, lf);
      start = lf + 1;
      if (this.discard) {
        frames.push(this.discarded(piece));
        continue;
      }
      let line: Buffer;
      if (this.pendingBytes === 0) {
        line = piece;
      } else {
        const parts = this.pending ?? [];
        parts.push(piece);
        line = Buffer.concat(parts, this.pendingBytes + piece.length);
        this.pending = undefined;
        this.pendingBytes = 0;
      }
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, -1);
      frames.push(this.frameOf(line));
    }
  }

  /** A whole line (CR dropped): itself, or the refusal of a line too long, with copies of its ends. */
  private frameOf(line: Buffer): Frame {
    if (line.length <= this.maxLineBytes) return { kind: 'line', bytes: line };
    return {
      kind: 'too_long',
      head: Buffer.from(line.subarray(0, DISCARDED_HEAD_BYTES)),
      tail: Buffer.from(line.subarray(-DISCARDED_HEAD_BYTES)),
    };
  }

  /**
   * The input ended: a last line without its LF, if any (`printf 'hi' | nc`
   * sends one), or the refusal of a line being discarded.
   */
  end(): Frame | undefined {
    if (this.discard) return this.discarded(Buffer.alloc(0));
    if (this.pendingBytes === 0) return undefined;
    let line = Buffer.concat(this.pending ?? [], this.pendingBytes);
    this.pending = undefined;
    this.pendingBytes = 0;
    if (line[line.length - 1] === CR) line = line.subarray(0, -1);
    return this.frameOf(line);
  }

  /** The discarded line ends with `last` (its LF's chunk up to it): its refusal. */
  private discarded(last: Buffer): Frame {
    const { head, tail } = this.more(this.discard!, last);
    this.discard = undefined;
    const cut = tail.length > 0 && tail[tail.length - 1] === CR ? tail.subarray(0, -1) : tail;
    return { kind: 'too_long', head, tail: cut.subarray(-DISCARDED_HEAD_BYTES) };
  }

  /** A discarded line's ends with `bytes` more of it (a line fed a byte at a time still fills its head). */
  private more(d: DiscardedEnds, bytes: Buffer): DiscardedEnds {
    if (bytes.length === 0) return d;
    const missing = DISCARDED_HEAD_BYTES - d.head.length;
    const head = missing > 0 ? Buffer.concat([d.head, bytes.subarray(0, missing)]) : d.head;
    return { head, tail: lastBytes(d.tail, bytes) };
  }

  private hold(rest: Buffer): void {
    if (rest.length === 0) return;
    if (this.discard) {
      this.discard = this.more(this.discard, rest);
      return;
    }
    // One extra byte may be the CR of a CRLF, so allow it before declaring overflow.
    if (this.pendingBytes + rest.length > this.maxLineBytes + 1) {
      const parts = [...(this.pending ?? []), rest];
      const total = this.pendingBytes + rest.length;
      this.pending = undefined;
      this.pendingBytes = 0;
      // Buffer.concat copies at most the length it is given.
      const head = Buffer.concat(parts, Math.min(DISCARDED_HEAD_BYTES, total));
      let tail: Buffer = Buffer.alloc(0);
      for (const p of parts) tail = lastBytes(tail, p);
      this.discard = { head, tail };
      return;
    }
    // Copy: the socket may reuse the chunk's memory after we return.
    (this.pending ??= []).push(Buffer.from(rest));
    this.pendingBytes += rest.length;
  }
}
