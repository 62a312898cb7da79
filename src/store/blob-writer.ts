/**
 * What the hand-rolled BLOB layouts of the SQLite store share (history
 * chunks, sqlite-chunk.ts; idempotency chunks, sqlite-key-chunk.ts): a
 * scratch buffer reused from one commit to the next, and length-prefixed
 * UTF-8 strings.
 */

/**
 * A buffer reused between encodings: SQLite copies a bound BLOB, so a
 * commit's bytes are done with before the next commit's are written.
 */
export class Scratch {
  private buf: Buffer;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** The buffer, with room for `more` bytes after the `used` already written (kept). */
  reserve(used: number, more: number): Buffer {
    if (used + more <= this.buf.length) return this.buf;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, used + more));
    this.buf.copy(next, 0, 0, used);
    this.buf = next;
    return next;
  }

  /** The first `length` bytes: valid until the next encoding. */
  view(length: number): Buffer {
    return this.buf.subarray(0, length);
  }
}

/** Write `s` as UTF-8 after a `width`-byte little-endian length at `at`; the offset after it. */
export function putString(b: Buffer, at: number, s: string, width: 2 | 4): number {
  const n = b.write(s, at + width, 'utf8');
  if (width === 2) b.writeUInt16LE(n, at);
  else b.writeUInt32LE(n, at);
  return at + width + n;
}
