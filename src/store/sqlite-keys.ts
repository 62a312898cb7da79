/**
 * Idempotency keys of the SQLite store (docs/protocol.md §4 `say` with an
 * `id`): which append a repeated key returns, whether it is still queued in
 * this turn's batch or committed within the TTL. The table holds a copy of
 * the message, not a reference, since retention may overwrite the original
 * while a client can still re-send it.
 */
import type Database from 'better-sqlite3';
import {
  COLUMNS,
  VALUES,
  type MessageRow,
  type RowValues,
  rowValues,
  toMessage,
} from './sqlite-statements.js';
import type { AppendResult, StoredMessage, StreamKey } from './store.js';

/** An append's answer, once its batch has committed. */
export interface Queued {
  promise: Promise<AppendResult>;
}

export class SqliteKeys {
  private readonly pending = new Map<string, Queued>();
  private readonly insert: Database.Statement<[key: string, at: number, ...values: RowValues]>;
  private readonly select: Database.Statement<[string, number], MessageRow>;
  private readonly purgeBefore: Database.Statement<[number]>;

  constructor(
    db: Database.Database,
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** The epoch of a stream, for an answer from the table. */
    private readonly epochOf: (stream: StreamKey) => string,
  ) {
    // OR REPLACE: an expired key not yet purged may be reused.
    this.insert = db.prepare(
      `INSERT OR REPLACE INTO idempotency (key, at, ${COLUMNS}) VALUES (?, ?, ${VALUES})`,
    );
    this.select = db.prepare(`SELECT ${COLUMNS} FROM idempotency WHERE key = ? AND at > ?`);
    this.purgeBefore = db.prepare('DELETE FROM idempotency WHERE at <= ?');
  }

  /** The remembered append under `key`, as a duplicate; undefined when the key is new. */
  find(key: string): Promise<AppendResult> | undefined {
    const queued = this.pending.get(key);
    if (queued) return queued.promise.then((r) => ({ ...r, duplicate: true }));
    const row = this.select.get(key, this.now() - this.ttlMs);
    if (!row) return undefined;
    const message = toMessage(row);
    return Promise.resolve({ message, epoch: this.epochOf(message.stream), duplicate: true });
  }

  /** An append under `key` was queued: a repeat in the same turn waits for it. */
  queue(key: string, append: Queued): void {
    this.pending.set(key, append);
  }

  /** The batch holding `key` is being written (or failed): it is found in the table from now on. */
  unqueue(key: string): void {
    this.pending.delete(key);
  }

  /** Record `key` for a message of the batch being written (inside its transaction). */
  record(key: string, at: number, message: StoredMessage): void {
    this.insert.run(key, at, ...rowValues(message));
  }

  /** Forget keys older than the TTL (once per batch, inside its transaction). */
  purge(at: number): void {
    this.purgeBefore.run(at - this.ttlMs);
  }
}
