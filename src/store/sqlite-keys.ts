/**
 * Idempotency keys of the SQLite store (docs/protocol.md §4 `say`/`dm` with
 * an `id`): which append a repeated key returns, whether it is still queued
 * in this turn's batch or committed within the TTL.
 *
 * A re-send needs its original ack (seq, ts, the room or recipient) and to
 * be told apart from another message under the same id (`id_reused`). So
 * the `idempotency_keys` row holds where the message is, its short fields,
 * and a SHA-1 digest of its text, not the text itself: a second copy of
 * every 512-byte message cost as much as storing the message
 * (docs/performance.md, fourth pass). The original text comes from the
 * history while retention still keeps it; after that, a re-sent text with
 * the original's digest is the original's text.
 */
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { KeyFilter } from './key-filter.js';
import type { AppendResult, NewMessage, StoredMessage, StreamKey } from './store.js';

/** An append's answer, once its batch has committed. */
export interface Queued {
  promise: Promise<AppendResult>;
}

interface KeyRow {
  stream: string;
  seq: number;
  ts: number;
  sender: string;
  recipient: string | null;
  action: number;
  digest: string;
}

/** The columns of `idempotency_keys` (migration 5 → 6) after `key` and `at`. */
const KEY_COLUMNS = 'stream, seq, ts, sender, recipient, action, digest';

/**
 * SHA-1 of a message text (UTF-8), in base64. Not a defence against a
 * forger: a collision only matters within one sender's own ids (the key
 * includes who sent it), where it would ack their own earlier message.
 */
export const textDigest: (text: string) => string =
  // crypto.hash (Node ≥ 20.12) skips the Hash object: about half the cost;
  // a string result costs about 1.8 µs less than a Buffer (a backing store each).
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha1', text, 'base64')
    : (text) => crypto.createHash('sha1').update(text).digest('base64');

export class SqliteKeys {
  private readonly pending = new Map<string, Queued>();
  /** Keys certainly not in the table, without a statement (key-filter.ts). */
  private readonly filter: KeyFilter;
  private readonly insert: Database.Statement<
    [
      key: string,
      at: number,
      stream: string,
      seq: number,
      ts: number,
      sender: string,
      recipient: string | null,
      action: number,
      digest: string,
    ]
  >;
  private readonly select: Database.Statement<[string, number], KeyRow>;
  private readonly purgeBefore: Database.Statement<[number]>;

  constructor(
    db: Database.Database,
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** The epoch of a stream, for an answer from the table. */
    private readonly epochOf: (stream: StreamKey) => string,
    /** The stored message `seq` of `stream`, while retention keeps it. */
    private readonly retained: (stream: StreamKey, seq: number) => StoredMessage | undefined,
  ) {
    this.filter = new KeyFilter(ttlMs, now);
    // OR REPLACE: an expired key not yet purged may be reused.
    this.insert = db.prepare(
      `INSERT OR REPLACE INTO idempotency_keys (key, at, ${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.select = db.prepare(
      `SELECT ${KEY_COLUMNS} FROM idempotency_keys WHERE key = ? AND at > ?`,
    );
    this.purgeBefore = db.prepare('DELETE FROM idempotency_keys WHERE at <= ?');
    // The keys a restart must still answer: the filter starts knowing them.
    const live = db
      .prepare<[number], string>('SELECT key FROM idempotency_keys WHERE at > ?')
      .pluck();
    for (const key of live.iterate(now() - ttlMs)) this.filter.add(key);
  }

  /**
   * The remembered append under `key`, as a duplicate; undefined when the key
   * is new. `resent` is the message being sent again, if any: when retention
   * no longer keeps the original, its text is the original's if the digests
   * match; otherwise the answer's text is empty, which no stored say or dm
   * is, so the caller's comparison refuses the re-send (`id_reused`).
   */
  find(key: string, resent?: Pick<NewMessage, 'text'>): Promise<AppendResult> | undefined {
    const queued = this.pending.get(key);
    if (queued) return queued.promise.then((r) => ({ ...r, duplicate: true }));
    if (!this.filter.mayHave(key)) return undefined;
    const row = this.select.get(key, this.now() - this.ttlMs);
    if (!row) return undefined;
    let message = this.retained(row.stream, row.seq);
    if (!message) {
      const same = resent !== undefined && textDigest(resent.text) === row.digest;
      message = {
        stream: row.stream,
        seq: row.seq,
        ts: row.ts,
        from: row.sender,
        text: same ? resent.text : '',
        action: row.action === 1,
      };
      if (row.recipient !== null) message.to = row.recipient;
    }
    return Promise.resolve({ message, epoch: this.epochOf(row.stream), duplicate: true });
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
  record(key: string, at: number, m: StoredMessage): void {
    this.filter.add(key);
    this.insert.run(
      key,
      at,
      m.stream,
      m.seq,
      m.ts,
      m.from,
      m.to ?? null,
      m.action ? 1 : 0,
      textDigest(m.text),
    );
  }

  /** Forget keys older than the TTL (once per batch, inside its transaction). */
  purge(at: number): void {
    this.purgeBefore.run(at - this.ttlMs);
  }
}
