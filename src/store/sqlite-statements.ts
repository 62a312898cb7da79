/** The message tables' SQL, and the one place where row and message field names differ. */
import type Database from 'better-sqlite3';
import type { NewMessage, StoredMessage, StreamKey } from './store.js';

export interface StreamRow {
  top: number;
  epoch: string;
}

export interface MessageRow {
  stream: string;
  seq: number;
  ts: number;
  sender: string;
  recipient: string | null;
  text: string;
  action: number;
}

const COLUMNS = 'stream, seq, ts, sender, recipient, text, action';
/**
 * Positional, not named (`@stream`…): better-sqlite3 binds an object's
 * fields by name lookups, which made an insert of a 512-byte message about
 * 2.5 µs slower (docs/performance.md, ingest).
 */
const VALUES = '?, ?, ?, ?, ?, ?, ?';

/** A message row's values in COLUMNS order. */
export type RowValues = [
  stream: string,
  seq: number,
  ts: number,
  sender: string,
  recipient: string | null,
  text: string,
  action: number,
];

type Stmt<P extends unknown[] | object, R = unknown> = Database.Statement<P, R>;

/** Every message statement the store runs, compiled once (typed here so declarations can name it). */
export interface Statements {
  selectStream: Stmt<[string], StreamRow>;
  upsertStream: Stmt<[string, number, string]>;
  insertMessage: Stmt<RowValues>;
  trim: Stmt<[string, number]>;
  readAfter: Stmt<[string, number, number], MessageRow>;
  readBefore: Stmt<[string, number, number], MessageRow>;
  firstRetained: Stmt<[string], number | null>;
  insertKey: Stmt<[key: string, at: number, ...values: RowValues]>;
  selectKey: Stmt<[string, number], MessageRow>;
  purgeKeys: Stmt<[number]>;
}

export function prepareMessages(db: Database.Database): Statements {
  return {
    selectStream: db.prepare<[string], StreamRow>(
      'SELECT top, epoch FROM streams WHERE stream = ?',
    ),
    upsertStream: db.prepare<[string, number, string]>(
      'INSERT INTO streams (stream, top, epoch) VALUES (?, ?, ?) ON CONFLICT (stream) DO UPDATE SET top = excluded.top',
    ),
    insertMessage: db.prepare<RowValues>(`INSERT INTO messages (${COLUMNS}) VALUES (${VALUES})`),
    trim: db.prepare<[string, number]>('DELETE FROM messages WHERE stream = ? AND seq <= ?'),
    readAfter: db.prepare<[string, number, number], MessageRow>(
      `SELECT ${COLUMNS} FROM messages WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    readBefore: db.prepare<[string, number, number], MessageRow>(
      `SELECT ${COLUMNS} FROM messages WHERE stream = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
    firstRetained: db
      .prepare<[string], number | null>('SELECT MIN(seq) FROM messages WHERE stream = ?')
      .pluck(),
    // OR REPLACE: an expired key not yet purged may be reused.
    insertKey: db.prepare<[key: string, at: number, ...values: RowValues]>(
      `INSERT OR REPLACE INTO idempotency (key, at, ${COLUMNS}) VALUES (?, ?, ${VALUES})`,
    ),
    selectKey: db.prepare<[string, number], MessageRow>(
      `SELECT ${COLUMNS} FROM idempotency WHERE key = ? AND at > ?`,
    ),
    purgeKeys: db.prepare<[number]>('DELETE FROM idempotency WHERE at <= ?'),
  };
}

/** SQLite's LIMIT takes -1 for "no limit"; like MemoryStore, Infinity means all and ≤ 0 none. */
export function sqlLimit(limit: number): number {
  if (limit === Infinity) return -1;
  return limit > 0 ? Math.floor(limit) : 0;
}

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

/** A stored message's row values, in COLUMNS order (for the positional inserts). */
export function rowValues(m: StoredMessage): RowValues {
  return [m.stream, m.seq, m.ts, m.from, m.to ?? null, m.text, m.action ? 1 : 0];
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
