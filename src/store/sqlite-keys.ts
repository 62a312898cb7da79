/**
 * Idempotency keys of the SQLite store (docs/protocol.md §4 `say`/`dm` with
 * an `id`): which append a repeated key returns, whether it is still queued
 * in this turn's batch or committed within the TTL.
 *
 * A re-send needs its original ack (seq, ts, the room or recipient) and to
 * be told apart from another message under the same id (`id_reused`). So a
 * key keeps where its message is, its short fields, and a SHA-1 digest of
 * its text, not the text itself: a second copy of every 512-byte message
 * cost as much as storing the message (docs/performance.md, fourth pass).
 * The original text comes from the history while retention still keeps it;
 * after that, a re-sent text with the original's digest is the original's
 * text.
 *
 * A commit's keys are one row of `idempotency_chunks` (sqlite-key-chunk.ts),
 * not a row each: a row per key, with its primary key and the index to purge
 * by, cost about 4 µs per keyed message, the largest part of a JSON say
 * (docs/performance.md, ninth pass). KeyIndex finds a key's row again.
 */
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { KeyIndex } from './key-index.js';
import { encodeKeyChunk, findInKeyChunk, keysOfChunk, type KeyRecord } from './sqlite-key-chunk.js';
import type { AppendResult, NewMessage, StoredMessage, StreamKey } from './store.js';

/** An append's answer, once its batch has committed. */
export interface Queued {
  promise: Promise<AppendResult>;
}

/** A chunk row written, for the purge: its rowid and when. */
interface Written {
  row: number;
  at: number;
}

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
  /**
   * This turn's keys, made with the turn's first keyed append and dropped
   * whole when its batch is written. Not one Map for the life of the store
   * with every key set and then deleted: that Map grew old, and in the (g)
   * JSON run V8 then promoted about 25 MB a second into the old generation
   * (200 MB in 8 s by --trace-gc-nvp, 7 MB with a Map per turn), which
   * doubled the cost of every young collection (docs/performance.md,
   * fourteenth pass).
   */
  private pending: Map<string, Queued> | undefined;
  private readonly index: KeyIndex;
  /**
   * Chunks within the TTL, oldest first from `head` (committed ones only: a
   * rolled-back rowid is handed out again).
   */
  private written: Written[] = [];
  private head = 0;
  /** The batch being written: its records, and its row once inserted. */
  private staged: { records: KeyRecord[]; row: number; at: number } | undefined;
  private readonly insert: Database.Statement<[at: number, data: Buffer]>;
  private readonly select: Database.Statement<[row: number, after: number], { data: Buffer }>;
  private readonly purgeTo: Database.Statement<[row: number]>;

  constructor(
    db: Database.Database,
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** The epoch of a stream, for an answer from the table. */
    private readonly epochOf: (stream: StreamKey) => string,
    /** The stored message `seq` of `stream`, while retention keeps it. */
    private readonly retained: (stream: StreamKey, seq: number) => StoredMessage | undefined,
  ) {
    this.index = new KeyIndex(ttlMs, now);
    this.insert = db.prepare('INSERT INTO idempotency_chunks (at, data) VALUES (?, ?)');
    this.select = db.prepare('SELECT data FROM idempotency_chunks WHERE rowid = ? AND at > ?');
    this.purgeTo = db.prepare('DELETE FROM idempotency_chunks WHERE rowid <= ?');
    // The keys a restart must still answer: the index starts knowing them.
    const live = db.prepare<[number], { row: number; at: number; data: Buffer }>(
      'SELECT rowid AS row, at, data FROM idempotency_chunks WHERE at > ? ORDER BY rowid',
    );
    for (const { row, at, data } of live.iterate(now() - ttlMs)) {
      for (const key of keysOfChunk(data)) this.index.add(key, row);
      this.written.push({ row, at });
    }
  }

  /**
   * The remembered append under `key`, as a duplicate; undefined when the key
   * is new. `resent` is the message being sent again, if any: when retention
   * no longer keeps the original, its text is the original's if the digests
   * match; otherwise the answer's text is empty, which no stored say or dm
   * is, so the caller's comparison refuses the re-send (`id_reused`).
   */
  find(key: string, resent?: Pick<NewMessage, 'text'>): Promise<AppendResult> | undefined {
    const queued = this.pending?.get(key);
    if (queued) return queued.promise.then((r) => ({ ...r, duplicate: true }));
    const rows = this.index.rowsOf(key);
    if (!rows) return undefined;
    const after = this.now() - this.ttlMs;
    // Newest first: a key written twice (an expired one reused) answers with the later.
    for (let i = rows.length - 1; i >= 0; i--) {
      const chunk = this.select.get(rows[i]!, after);
      const record = chunk && findInKeyChunk(chunk.data, key);
      if (record) return Promise.resolve(this.answer(record, resent));
    }
    return undefined;
  }

  private answer(record: KeyRecord, resent: Pick<NewMessage, 'text'> | undefined): AppendResult {
    const { stream, seq } = record.message;
    let message = this.retained(stream, seq);
    if (!message) {
      const same = resent !== undefined && textDigest(resent.text) === record.digest;
      message = { ...record.message, text: same ? resent.text : '' };
    }
    return { message, epoch: this.epochOf(stream), duplicate: true };
  }

  /** An append under `key` was queued: a repeat in the same turn waits for it. */
  queue(key: string, append: Queued): void {
    (this.pending ??= new Map()).set(key, append);
  }

  /**
   * The batch of every key queued so far is being written (or failed): its
   * keys are found in the table from now on.
   */
  unqueueAll(): void {
    this.pending = undefined;
  }

  /**
   * Record a batch's keyed messages as one chunk, and forget chunks older
   * than the TTL (inside the batch's transaction; then committed or rolledBack).
   */
  record(
    at: number,
    batch: ReadonlyArray<{ key: string | undefined; message: StoredMessage }>,
  ): void {
    this.staged = undefined;
    this.purge(at);
    const records: KeyRecord[] = [];
    for (const { key, message } of batch) {
      if (key !== undefined) records.push({ key, message, digest: textDigest(message.text) });
    }
    if (records.length === 0) return;
    const row = Number(this.insert.run(at, encodeKeyChunk(records)).lastInsertRowid);
    this.staged = { records, row, at };
  }

  /** The batch's transaction committed: its keys are found from now on. */
  committed(): void {
    const staged = this.staged;
    if (!staged) return;
    this.staged = undefined;
    for (const r of staged.records) this.index.add(r.key, staged.row);
    this.written.push({ row: staged.row, at: staged.at });
  }

  /** The batch's transaction was rolled back: nothing of it was written. */
  rolledBack(): void {
    this.staged = undefined;
  }

  /** Delete the chunks a TTL old (rowids rise with time: one range). */
  private purge(at: number): void {
    const cutoff = at - this.ttlMs;
    const start = this.head;
    while (this.head < this.written.length && this.written[this.head]!.at <= cutoff) this.head++;
    if (this.head === start) return;
    this.purgeTo.run(this.written[this.head - 1]!.row);
    // Dropped in bulk: a shift per commit would copy the whole queue each time.
    if (this.head > 1024 && 2 * this.head > this.written.length) {
      this.written = this.written.slice(this.head);
      this.head = 0;
    }
  }
}
