import type Database from 'better-sqlite3';
import { SqliteAccounts } from './sqlite-accounts.js';
import { Checkpointer } from './sqlite-checkpointer.js';
import { ServerLease } from './sqlite-lease.js';
import { describeOpenFailure, openDatabase } from './sqlite-open.js';
import { SqlitePrefs } from './sqlite-prefs.js';
import { SqliteTables } from './sqlite-tables.js';
import { SqliteHistory, type StreamState } from './sqlite-history.js';
import { SqliteKeys } from './sqlite-keys.js';
import { StorageEpisodes, type StorageReport } from './storage-episodes.js';
import { isStorageFull, StoreError } from './store-error.js';
import type {
  AppendResult,
  NewMessage,
  Publish,
  ReadResult,
  Store,
  StoredMessage,
  StreamKey,
} from './store.js';

export { openDatabase } from './sqlite-open.js';

export type { StorageReport } from './storage-episodes.js';

export interface SqliteStoreOptions {
  /** A database file (created when missing), or `:memory:` for a throwaway store. */
  path: string;
  /** Called once per newly stored message, in seq order, after it is committed. */
  publish: Publish;
  /** Messages kept per stream; older ones are trimmed. Default 10000. */
  retention?: number;
  /** How long a repeated idempotency key returns the original message. Default 15 minutes. */
  idempotencyTtlMs?: number;
  /** How long to wait for another process that holds the database file. Default 5000. */
  lockTimeoutMs?: number;
  /** The clock for idempotency expiry; injectable for tests. */
  now?: () => number;
  /** Another server took the database over: this one must stop serving (it writes nothing more). */
  onLeaseLost?: (err: StoreError) => void;
  /** Writes started failing, or work again (see StorageReport). */
  onStorage?: (report: StorageReport) => void;
}

/** An append waiting for its batch to commit, then to be published. */
interface Entry {
  message: StoredMessage;
  key: string | undefined;
  epoch: string;
  promise: Promise<AppendResult>;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
}

/**
 * The embedded Store: SQLite through better-sqlite3, one file per server.
 *
 * Appends take their seq synchronously from an in-memory copy of each stream's
 * top and are written together, once per event-loop turn, in one transaction;
 * only after that commit are they resolved and published. This process must
 * be the only writer of messages, since the cached tops would otherwise go
 * stale: a ServerLease keeps a second server out, while admin commands
 * (accounts, bans) may share the file.
 */
export class SqliteStore extends SqliteTables implements Store {
  private readonly path: string;
  private readonly publish: Publish;
  private readonly retention: number;
  private readonly now: () => number;
  private readonly db: Database.Database;
  /** The database's own epoch, given to each stream when it is created. */
  private readonly dbEpoch: string;
  private readonly keys: SqliteKeys;
  private readonly history: SqliteHistory;
  /** WAL checkpoints in a worker thread (a file db only). */
  private readonly checkpointer: Checkpointer | undefined;
  private readonly writeBatch: (batch: Entry[]) => void;
  private readonly streams = new Map<StreamKey, StreamState>();
  private pending: Entry[] = [];
  private readonly deliveries: Entry[] = [];
  private delivering = false;
  private flushTimer: NodeJS.Immediate | undefined;
  private closed = false;
  private readonly episodes: StorageEpisodes;

  /** Open (creating and migrating as needed) the database; throws StoreError naming the path. */
  constructor(options: SqliteStoreOptions) {
    super();
    this.path = options.path;
    this.publish = options.publish;
    this.retention = options.retention ?? 10_000;
    this.now = options.now ?? Date.now;
    this.episodes = new StorageEpisodes(options.onStorage ?? (() => undefined));
    this.db = openDatabase(options.path, options.lockTimeoutMs ?? 5000);
    try {
      this.dbEpoch = this.db
        .prepare("SELECT value FROM meta WHERE key = 'epoch'")
        .pluck()
        .get() as string;
      this.keys = new SqliteKeys(
        this.db,
        options.idempotencyTtlMs ?? 15 * 60_000,
        this.now,
        (stream) => this.stream(stream).epoch,
        (stream, seq) => {
          // The oldest message kept after seq - 1: seq itself, unless trimmed.
          const [m] = this.history.after(stream, this.stream(stream), seq - 1, 1);
          return m?.seq === seq ? m : undefined;
        },
      );
      this.writeBatch = this.db.transaction((batch: Entry[]) => this.write(batch));
      this.accounts = new SqliteAccounts(this.db);
      this.prefs = new SqlitePrefs(this.db);
      this.lease = new ServerLease(this.db, options.path, this.now, options.onLeaseLost);
      // After the lease: re-slotting rewrites the history, which a second server must not do.
      this.history = new SqliteHistory(this.db, this.retention);
      this.checkpointer = this.db.memory ? undefined : new Checkpointer(this.db, options.path);
    } catch (err) {
      // A read-only or full file fails here, at the lease's first write: one line, no stack.
      this.db.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError('open', describeOpenFailure(options.path, err), { cause: err });
    }
  }

  private readonly lease: ServerLease;

  /** Seqs are taken in append(); batches commit and publish in append order (Store). */
  readonly pipelinesAppends = true;
  /** The published message is the one made in queue(), note and all (Store). */
  readonly publishesNotes = true;

  /** Take the next seq now; resolves (and publishes) once this turn's batch has committed. */
  append(stream: StreamKey, msg: NewMessage, idempotencyKey?: string): Promise<AppendResult> {
    // Not an async function: it would wrap the entry's promise in one of its
    // own, a promise and two microtasks more per message on the hot path.
    // A refusal still arrives as a rejection, as callers expect.
    try {
      this.assertOpen();
      if (idempotencyKey !== undefined) {
        const original = this.keys.find(idempotencyKey, msg);
        if (original) return original;
      }
      return this.queue(stream, msg, idempotencyKey);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** append's entry in this turn's batch, with its seq taken now. */
  private queue(
    stream: StreamKey,
    msg: NewMessage,
    idempotencyKey?: string,
  ): Promise<AppendResult> {
    const state = this.stream(stream);
    state.top += 1;
    let resolve!: (result: AppendResult) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<AppendResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const message: StoredMessage = {
      stream,
      seq: state.top,
      ts: msg.ts,
      from: msg.from,
      text: msg.text,
      action: msg.action,
    };
    if (msg.to !== undefined) message.to = msg.to;
    if (msg.note !== undefined) message.note = msg.note;
    const entry: Entry = {
      message,
      key: idempotencyKey,
      epoch: state.epoch,
      promise,
      resolve,
      reject,
    };
    this.pending.push(entry);
    if (idempotencyKey !== undefined) this.keys.queue(idempotencyKey, entry);
    this.flushTimer ??= setImmediate(() => this.flush());
    return promise;
  }

  /** As SqliteTables, with this turn's appends written first and the streams' cached state dropped. */
  override async forgetAccountData(streams: readonly StreamKey[], owner: string): Promise<void> {
    this.assertOpen();
    this.flush();
    await super.forgetAccountData(streams, owner);
    for (const stream of streams) this.streams.delete(stream);
  }

  /** Messages after `afterSeq`, oldest first; appends not yet committed are written first. */
  async read(stream: StreamKey, afterSeq: number, limit: number): Promise<ReadResult> {
    this.assertOpen();
    this.flush();
    const s = this.stream(stream);
    return this.result(s, this.history.after(stream, s, afterSeq, limit));
  }

  /** The newest `limit` messages before `beforeSeq`, oldest first; pending appends are written first. */
  async readBefore(
    stream: StreamKey,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<ReadResult> {
    this.assertOpen();
    this.flush();
    const s = this.stream(stream);
    const before = beforeSeq ?? Number.MAX_SAFE_INTEGER;
    return this.result(s, this.history.before(stream, s, before, limit));
  }

  /** Write what is pending and close the file; later calls reject with StoreError `closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    // Closed first, so that a publish callback appending during this last
    // flush is refused instead of queued into a batch nobody will write.
    this.closed = true;
    this.flush();
    this.lease.release();
    await this.checkpointer?.close();
    try {
      this.db.close();
    } catch {
      // A full disk may refuse the final checkpoint; the WAL keeps what was committed.
    }
  }

  protected assertOpen(): void {
    if (this.lease.isLost) {
      throw new StoreError(
        'lease',
        `The message store ${this.path} now belongs to another server.`,
      );
    }
    if (this.closed) {
      throw new StoreError(
        'closed',
        `The message store ${this.path} is closed; it was used after close() (during shutdown?).`,
      );
    }
  }

  /** The remembered append under this idempotency key: still queued in this turn, or committed within the TTL. */
  async original(
    idempotencyKey: string,
    resent?: Pick<NewMessage, 'text'>,
  ): Promise<AppendResult | undefined> {
    this.assertOpen();
    return this.keys.find(idempotencyKey, resent);
  }

  /** Commit everything appended so far, then resolve and publish it. Never throws. */
  private flush(): void {
    if (this.flushTimer) {
      clearImmediate(this.flushTimer);
      this.flushTimer = undefined;
    }
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.keys.unqueueAll();
    try {
      this.writeBatch(batch);
      this.keys.committed();
    } catch (err) {
      this.keys.rolledBack();
      // Nothing of the batch was stored: hand its seqs out again, so that the
      // stream has no gaps, and tell every caller (none was acked).
      for (const e of batch) {
        const state = this.streams.get(e.message.stream);
        if (state) state.top = Math.min(state.top, e.message.seq - 1);
      }
      const failure =
        err instanceof StoreError
          ? err
          : new StoreError(
              isStorageFull(err) ? 'full' : 'write',
              `Could not store messages in ${this.path}: ${err instanceof Error ? err.message : String(err)}. Check the disk (space, permissions).`,
              { cause: err },
            );
      this.episodes.failed(failure, batch.length);
      for (const e of batch) e.reject(failure);
      return;
    }
    // About what the batch wrote to the WAL: its texts plus a row's other fields.
    this.checkpointer?.committed(batch.reduce((n, e) => n + e.message.text.length + 64, 0));
    this.episodes.succeeded();
    this.deliveries.push(...batch);
    this.deliver();
  }

  /** The transaction body: lease, history slots, tops, idempotency keys. */
  private write(batch: Entry[]): void {
    this.lease.assertHeld();
    const at = this.now();
    const last = new Map<StreamKey, Entry>();
    const messages: StoredMessage[] = [];
    for (const e of batch) {
      messages.push(e.message);
      last.set(e.message.stream, e);
    }
    this.history.write(messages);
    for (const [stream, e] of last) this.history.setTop(stream, e.message.seq, e.epoch);
    this.keys.record(at, batch);
  }

  /**
   * Resolve and publish committed appends in seq order. A publish callback may
   * read (which flushes) or append; entries committed meanwhile join the same
   * queue behind the current ones, so publish order stays seq order.
   */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    // for…of over an array also visits elements pushed during the loop.
    for (const e of this.deliveries) {
      // Like MemoryStore: a throwing publish fails that append (it is stored).
      try {
        this.publish(e.message);
        e.resolve({ message: e.message, epoch: e.epoch, duplicate: false });
      } catch (err) {
        e.reject(err);
      }
    }
    this.deliveries.length = 0;
    this.delivering = false;
  }

  private result(s: StreamState, messages: StoredMessage[]): ReadResult {
    return { epoch: s.epoch, top: s.top, firstRetained: this.history.firstRetained(s), messages };
  }

  /** The cached state of a stream, loaded on first use; unknown streams start empty. */
  private stream(key: StreamKey): StreamState {
    let s = this.streams.get(key);
    if (!s) {
      s = this.history.loadStream(key) ?? { top: 0, epoch: this.dbEpoch, first: 1 };
      this.streams.set(key, s);
    }
    return s;
  }
}
