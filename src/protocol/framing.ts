/**
 * Byte-level line framing for docs/protocol.md §1. split2's `maxLength` either
 * errors (ending the stream) or skips silently; the protocol needs to tell the
 * sender `line_too_long` for each discarded line and keep the connection, so
 * framing is done here, on Buffers, before any UTF-8 decoding.
 */
export type Frame = { kind: 'line'; bytes: Buffer } | { kind: 'too_long'; head: Buffer };

/**
 * How much of a discarded line is kept: enough for a JSON request's `id`
 * near its start, so the refusal can carry it (§4: one reply per id).
 */
export const DISCARDED_HEAD_BYTES = 256;

const LF = 0x0a;
const CR = 0x0d;

/** A too-long frame with a copy of the line's first bytes (the socket may reuse its memory). */
function tooLong(parts: Buffer[]): Frame {
  const total = parts.reduce((n, p) => n + p.length, 0);
  // Buffer.concat copies at most the length it is given.
  return { kind: 'too_long', head: Buffer.concat(parts, Math.min(DISCARDED_HEAD_BYTES, total)) };
}

/** Splits a byte stream into LF-terminated lines of at most `maxLineBytes` bytes. */
export class LineFramer {
  /** A line's start held until its LF comes; made only then (most connections never need it). */
  private pending: Buffer[] | undefined;
  private pendingBytes = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes: number) {}

  /** Feed a chunk; returns the frames it completes, in order. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) {
        this.hold(chunk.subarray(start), frames);
        return frames;
      }
      const piece = chunk.subarray(start, lf);
      start = lf + 1;
      if (this.discarding) {
        this.discarding = false;
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
      if (line.length > this.maxLineBytes) frames.push(tooLong([line]));
      else frames.push({ kind: 'line', bytes: line });
    }
  }

  /**
   * The input ended: a last line without its LF, if any (`printf 'hi' | nc`
   * sends one). A line being discarded as too long stays discarded.
   */
  end(): Buffer | undefined {
    if (this.discarding || this.pendingBytes === 0) return undefined;
    let line = Buffer.concat(this.pending ?? [], this.pendingBytes);
    this.pending = undefined;
    this.pendingBytes = 0;
    if (line[line.length - 1] === CR) line = line.subarray(0, -1);
    return line.length > this.maxLineBytes ? undefined : line;
  }

  private hold(rest: Buffer, frames: Frame[]): void {
    if (this.discarding || rest.length === 0) return;
    // One extra byte may be the CR of a CRLF, so allow it before declaring overflow.
    if (this.pendingBytes + rest.length > this.maxLineBytes + 1) {
      frames.push(tooLong([...(this.pending ?? []), rest]));
      this.pending = undefined;
      this.pendingBytes = 0;
      this.discarding = true;
      return;
    }
    // Copy: the socket may reuse the chunk's memory after we return.
    (this.pending ??= []).push(Buffer.from(rest));
    this.pendingBytes += rest.length;
  }
}
