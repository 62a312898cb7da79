/**
 * The bytes of an idempotency chunk: the keyed appends of one commit, as one
 * BLOB of `idempotency_chunks.data` (sqlite-keys.ts). Hand-rolled for the
 * reason history chunks are (sqlite-chunk.ts): the writer runs once per
 * keyed message on the ingest path.
 *
 * Each key, little-endian:
 *
 *   u16 byte length, then the key (UTF-8)
 *   u16 byte length, then the stream (UTF-8)
 *   f64 seq
 *   f64 ts (ms since the epoch)
 *   u8  flags: 1 = action, 2 = has a recipient
 *   u16 byte length, then the sender's alias (UTF-8)
 *   u16 byte length, then the recipient's alias (only with flag 2)
 *   28 bytes: the text's digest (textDigest, base64)
 *
 * This layout is what schema version 8 means by `idempotency_chunks.data`:
 * changing it takes a new migration.
 */
import { putString, Scratch } from './blob-writer.js';
import type { StoredMessage } from './store.js';

const ACTION = 1;
const RECIPIENT = 2;
/** A SHA-1 digest in base64 (textDigest). */
export const DIGEST_BYTES = 28;

/** A key as a chunk holds it: where its message is, its short fields and its text's digest. */
export interface KeyRecord {
  key: string;
  message: Omit<StoredMessage, 'text'>;
  digest: string;
}

const scratch = new Scratch(16 * 1024);

/** Encode `records`; the result is a view of a shared buffer, valid until the next call. */
export function encodeKeyChunk(records: readonly KeyRecord[]): Buffer {
  let at = 0;
  for (const { key, message: m, digest } of records) {
    const to = m.to;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const most =
      27 +
      DIGEST_BYTES +
      3 * (key.length + m.stream.length + m.from.length + (to === undefined ? 0 : to.length));
    const b = scratch.reserve(at, most);
    at = putString(b, at, key, 2);
    at = putString(b, at, m.stream, 2);
    at = b.writeDoubleLE(m.seq, at);
    at = b.writeDoubleLE(m.ts, at);
    b[at++] = (m.action ? ACTION : 0) | (to === undefined ? 0 : RECIPIENT);
    at = putString(b, at, m.from, 2);
    if (to !== undefined) at = putString(b, at, to, 2);
    at += b.write(digest, at, DIGEST_BYTES, 'latin1');
  }
  return scratch.view(at);
}

function getString(data: Buffer, at: number): [string, number] {
  const n = data.readUInt16LE(at);
  return [data.toString('utf8', at + 2, at + 2 + n), at + 2 + n];
}

/** The record at `at` in a chunk, and where the next one starts. */
function readRecord(data: Buffer, at: number): [KeyRecord, number] {
  const [key, afterKey] = getString(data, at);
  const [stream, afterStream] = getString(data, afterKey);
  at = afterStream;
  const seq = data.readDoubleLE(at);
  const ts = data.readDoubleLE(at + 8);
  const flags = data[at + 16]!;
  const [from, afterFrom] = getString(data, at + 17);
  at = afterFrom;
  const message: KeyRecord['message'] = { stream, seq, ts, from, action: (flags & ACTION) !== 0 };
  if (flags & RECIPIENT) [message.to, at] = getString(data, at);
  const digest = data.toString('latin1', at, at + DIGEST_BYTES);
  return [{ key, message, digest }, at + DIGEST_BYTES];
}

/** The record of `key` in a chunk, or undefined when the chunk has none. */
export function findInKeyChunk(data: Buffer, key: string): KeyRecord | undefined {
  for (let at = 0; at < data.length;) {
    const [record, next] = readRecord(data, at);
    if (record.key === key) return record;
    at = next;
  }
  return undefined;
}

/** Every key in a chunk, in the order written (to index a chunk at open). */
export function keysOfChunk(data: Buffer): string[] {
  const keys: string[] = [];
  for (let at = 0; at < data.length;) {
    const [record, next] = readRecord(data, at);
    keys.push(record.key);
    at = next;
  }
  return keys;
}
