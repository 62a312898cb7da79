/** Message rows: the one place where row and message field names differ. */
import type { NewMessage, StoredMessage, StreamKey } from './store.js';

export interface MessageRow {
  stream: string;
  seq: number;
  ts: number;
  sender: string;
  recipient: string | null;
  text: string;
  action: number;
}

/**
 * Bound positionally, not by name (`@stream`…): better-sqlite3 binds an
 * object's fields by name lookups, which made an insert of a 512-byte
 * message about 2.5 µs slower (docs/performance.md, ingest).
 */
export const COLUMNS = 'stream, seq, ts, sender, recipient, text, action';

/** A message as a row. */
export function toRow(stream: StreamKey, seq: number, msg: NewMessage): MessageRow {
  return {
    stream,
    seq,
    ts: msg.ts,
    sender: msg.from,
    recipient: msg.to ?? null,
    text: msg.text,
    action: msg.action ? 1 : 0,
  };
}

/** A row as a message, without a `to` key for room messages (as a NewMessage would have it). */
export function toMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    stream: row.stream,
    seq: row.seq,
    ts: row.ts,
    from: row.sender,
    text: row.text,
    action: row.action === 1,
  };
  if (row.recipient !== null) message.to = row.recipient;
  return message;
}
