/**
 * The bytes of a history chunk: one stream's messages of one commit, in seq
 * order, as one BLOB (sqlite-history.ts). Hand-rolled rather than JSON or a
 * library: the writer runs once per stored message on the ingest path, and
 * filling a Buffer field by field costs a fraction of a row per message
 * (docs/performance.md, sixth pass).
 *
 * Each message, little-endian:
 *
 *   u32 seq − the chunk's first seq
 *   f64 ts (ms since the epoch)
 *   u8  flags: 1 = action, 2 = has a recipient
 *   u16 byte length, then the sender's alias (UTF-8)
 *   u16 byte length, then the recipient's alias (only with flag 2)
 *   u32 byte length, then the text (UTF-8)
 *
 * This layout is what schema version 7 means by `history_chunks.data`:
 * changing it takes a new migration.
 */
import { putString, Scratch } from './blob-writer.js';
import type { StoredMessage, StreamKey } from './store.js';

const ACTION = 1;
const RECIPIENT = 2;

const scratch = new Scratch(64 * 1024);

/**
 * Encode `messages` (one stream's, ascending seq, the first being `first`).
 * The result is a view of a shared buffer, valid until the next call.
 */
export function encodeChunk(messages: readonly StoredMessage[], first: number): Buffer {
  let at = 0;
  for (const m of messages) {
    const to = m.to;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const most = 21 + 3 * (m.from.length + m.text.length + (to === undefined ? 0 : to.length));
    const b = scratch.reserve(at, most);
    at = b.writeUInt32LE(m.seq - first, at);
    at = b.writeDoubleLE(m.ts, at);
    b[at++] = (m.action ? ACTION : 0) | (to === undefined ? 0 : RECIPIENT);
    at = putString(b, at, m.from, 2);
    if (to !== undefined) at = putString(b, at, to, 2);
    at = putString(b, at, m.text, 4);
  }
  return scratch.view(at);
}

/**
 * Append to `out` the messages of a chunk of `stream` starting at seq
 * `first` whose seq is within [lo, hi]; stops at the first one past `hi`.
 */
export function decodeChunk(
  data: Buffer,
  stream: StreamKey,
  first: number,
  lo: number,
  hi: number,
  out: StoredMessage[],
): void {
  let at = 0;
  while (at < data.length) {
    const seq = first + data.readUInt32LE(at);
    if (seq > hi) return;
    const ts = data.readDoubleLE(at + 4);
    const flags = data[at + 12]!;
    const fromAt = at + 15;
    const fromEnd = fromAt + data.readUInt16LE(at + 13);
    at = fromEnd;
    let toAt = -1;
    if (flags & RECIPIENT) {
      toAt = at;
      at += 2 + data.readUInt16LE(at);
    }
    const textEnd = at + 4 + data.readUInt32LE(at);
    if (seq >= lo) {
      const m: StoredMessage = {
        stream,
        seq,
        ts,
        from: data.toString('utf8', fromAt, fromEnd),
        text: data.toString('utf8', at + 4, textEnd),
        action: (flags & ACTION) !== 0,
      };
      if (toAt >= 0) m.to = data.toString('utf8', toAt + 2, toAt + 2 + data.readUInt16LE(toAt));
      out.push(m);
    }
    at = textEnd;
  }
}
