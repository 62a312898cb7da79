import Database from 'better-sqlite3';
import { migrate } from './sqlite-migrations.js';
import { SqliteAccounts } from './sqlite-accounts.js';
import { ServerLease } from './sqlite-lease.js';
import { StoreError } from './store-error.js';
import type {
  AccountRecord,
  AppendResult,
  BanRecord,
  NewMessage,
  Publish,
  ReadResult,
  Store,
  StoredMessage,
  StreamKey,
} from './store.js';

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
}

interface StreamState {
  /** Highest seq handed out, including appends not yet committed. */
  top: number;
  epoch: string;
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

interface MessageRow {
  stream: string;
  seq: number;
  ts: number;
  sender: string;
  recipient: string | null;
  text: string;
  action: number;
}

const COLUMNS = 'stream, seq, ts, sender, recipient, text, action';
const VALUES = '@stream, @seq, @ts, @sender, @recipient, @text, @action';

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
export class SqliteStore implements Store {
  private readonly path: string;
  private readonly publish: Publish;
  private readonly retention: number;
  private readonly idempotencyTtlMs: number;
  private readonly now: () => number;
  private readonly db: Database.Database;
  /** The database's own epoch, given to each stream when it is created. */
  private readonly dbEpoch: string;
  private readonly sql: Statements;
  private readonly writeBatch: (batch: Entry[]) => void;
  private readonly streams = new Map<StreamKey, StreamState>();
  private pending: Entry[] = [];
  private readonly pendingKeys = new Map<string, Entry>();
  private readonly deliveries: Entry[] = [];
  private delivering = false;
  private flushTimer: NodeJS.Immediate | undefined;
  private closed = false;

  /** Open (creating and migrating as needed) the database; throws StoreError naming the path. */
  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.publish = options.publish;
    this.retention = options.retention ?? 10_000;
    this.idempotencyTtlMs = options.idempotencyTtlMs ?? 15 * 60_000;
    this.now = options.now ?? Date.now;
    this.db = openDatabase(options.path, options.lockTimeoutMs ?? 5000);
    this.dbEpoch = this.db
      .prepare("SELECT value FROM meta WHERE key = 'epoch'")
      .pluck()
      .get() as string;
    this.sql = prepare(this.db);
    this.writeBatch = this.db.transaction((batch: Entry[]) => this.write(batch));
    this.accounts = new SqliteAccounts(this.db);
    this.lease = new ServerLease(this.db, options.path, this.now);
  }

  private readonly accounts: SqliteAccounts;
  private readonly lease: ServerLease;

  getAccount(key: string): Promise<AccountRecord | undefined> {
    return this.accounts.getAccount(key);
  }

  createAccount(account: AccountRecord): Promise<boolean> {
    return this.accounts.createAccount(account);
  }

  updateAccount(
    key: string,
    change: Partial<Pick<AccountRecord, 'hash' | 'operator'>>,
  ): Promise<boolean> {
    return this.accounts.updateAccount(key, change);
  }

  deleteAccount(key: string): Promise<boolean> {
    return this.accounts.deleteAccount(key);
  }

  listAccounts(): Promise<AccountRecord[]> {
    return this.accounts.listAccounts();
  }

  addBan(ban: BanRecord): Promise<void> {
    return this.accounts.addBan(ban);
  }

  removeBans(nameKey: string): Promise<number> {
    return this.accounts.removeBans(nameKey);
  }

  findBan(accountKey: string | undefined, address: string): Promise<BanRecord | undefined> {
    return this.accounts.findBan(accountKey, address);
  }

  /** Take the next seq now; resolves (and publishes) once this turn's batch has committed. */
  async append(stream: StreamKey, msg: NewMessage, idempotencyKey?: string): Promise<AppendResult> {
    this.assertOpen();
    if (idempotencyKey !== undefined) {
      const original = this.findOriginal(idempotencyKey);
      if (original) return original;
    }
    const state = this.stream(stream);
    state.top += 1;
    let resolve!: (result: AppendResult) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<AppendResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = {
      message: toMessage(toRow(stream, state.top, msg)),
      key: idempotencyKey,
      epoch: state.epoch,
      promise,
      resolve,
      reject,
    };
    this.pending.push(entry);
    if (idempotencyKey !== undefined) this.pendingKeys.set(idempotencyKey, entry);
    this.flushTimer ??= setImmediate(() => this.flush());
    return promise;
  }

  /** Messages after `afterSeq`, oldest first; appends not yet committed are written first. */
  async read(stream: StreamKey, afterSeq: number, limit: number): Promise<ReadResult> {
    this.assertOpen();
    this.flush();
    const rows = this.sql.readAfter.all(stream, afterSeq, sqlLimit(limit));
    return this.result(stream, rows.map(toMessage));
  }

  /** The newest `limit` messages before `beforeSeq`, oldest first; pending appends are written first. */
  async readBefore(
    stream: StreamKey,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<ReadResult> {
    this.assertOpen();
    this.flush();
    const before = beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const rows = this.sql.readBefore.all(stream, before, sqlLimit(limit));
    return this.result(stream, rows.reverse().map(toMessage));
  }

  /** Write what is pending and close the file; later calls reject with StoreError `closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    // Closed first, so that a publish callback appending during this last
    // flush is refused instead of queued into a batch nobody will write.
    this.closed = true;
    this.flush();
    this.lease.release();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new StoreError(
        'closed',
        `The message store ${this.path} is closed; it was used after close() (during shutdown?).`,
      );
    }
  }

  /** The original append for a repeated key: still queued in this turn, or committed within the TTL. */
  /** The remembered append under this idempotency key, if any. */
  async original(idempotencyKey: string): Promise<AppendResult | undefined> {
    this.assertOpen();
    return this.findOriginal(idempotencyKey);
  }

  private findOriginal(key: string): Promise<AppendResult> | undefined {
    const queued = this.pendingKeys.get(key);
    if (queued) return queued.promise.then((r) => ({ ...r, duplicate: true }));
    const row = this.sql.selectKey.get(key, this.now() - this.idempotencyTtlMs);
    if (!row) return undefined;
    const epoch = this.stream(row.stream).epoch;
    return Promise.resolve({ message: toMessage(row), epoch, duplicate: true });
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
    for (const e of batch) if (e.key !== undefined) this.pendingKeys.delete(e.key);
    try {
      this.writeBatch(batch);
    } catch (err) {
      // Nothing of the batch was stored: hand its seqs out again, so that the
      // stream has no gaps, and tell every caller (none was acked).
      for (const e of batch) {
        const state = this.streams.get(e.message.stream);
        if (state) state.top = Math.min(state.top, e.message.seq - 1);
      }
      const reason = err instanceof Error ? err.message : String(err);
      const failure = new StoreError(
        'write',
        `Could not store ${batch.length} message(s) in ${this.path}: ${reason}. Check the disk (space, permissions).`,
        { cause: err },
      );
      for (const e of batch) e.reject(failure);
      return;
    }
    this.deliveries.push(...batch);
    this.deliver();
  }

  /** The transaction body: rows, tops, retention, idempotency keys. */
  private write(batch: Entry[]): void {
    const at = this.now();
    const last = new Map<StreamKey, Entry>();
    for (const e of batch) {
      const row = toRow(e.message.stream, e.message.seq, e.message);
      this.sql.insertMessage.run(row);
      if (e.key !== undefined) this.sql.insertKey.run({ ...row, key: e.key, at });
      last.set(e.message.stream, e);
    }
    for (const [stream, e] of last) {
      this.sql.upsertStream.run(stream, e.message.seq, e.epoch);
      const cutoff = e.message.seq - this.retention;
      if (cutoff > 0) this.sql.trim.run(stream, cutoff);
    }
    this.sql.purgeKeys.run(at - this.idempotencyTtlMs);
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

  private result(stream: StreamKey, messages: StoredMessage[]): ReadResult {
    const s = this.stream(stream);
    const first = this.sql.firstRetained.get(stream);
    return { epoch: s.epoch, top: s.top, firstRetained: first ?? s.top + 1, messages };
  }

  /** The cached state of a stream, loaded on first use; unknown streams start empty. */
  private stream(key: StreamKey): StreamState {
    let s = this.streams.get(key);
    if (!s) {
      s = this.sql.selectStream.get(key) ?? { top: 0, epoch: this.dbEpoch };
      this.streams.set(key, s);
    }
    return s;
  }
}

/**
 * Open and configure the file, turning every failure into a StoreError that
 * names the path and what to do about it.
 */
export function openDatabase(path: string, lockTimeoutMs = 5000): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: lockTimeoutMs });
    if (!db.memory) db.pragma('journal_mode = WAL');
    // The guarantee is "acked ⇒ survives kill -9 of the process". In WAL mode
    // a commit has written the WAL frames to the OS by the time it returns;
    // NORMAL only skips the fsync, so the data sits in the kernel's page cache,
    // which a process crash does not lose, and the WAL is replayed on reopen.
    // Only an OS crash or power cut can lose the last commits (never corrupt).
    db.pragma('synchronous = NORMAL');
    migrate(db);
    return db;
  } catch (err) {
    db?.close();
    throw new StoreError('open', describeOpenFailure(path, err), { cause: err });
  }
}

/** A sentence for the operator: what is wrong with `path` and how to fix it. */
function describeOpenFailure(path: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return `Cannot open the message database ${path}: it is not a SQLite database or is corrupt (${reason}). Move it aside to start a new history, or point --db at the right file.`;
    case 'SQLITE_BUSY':
      return `Cannot open the message database ${path}: another process (a second chat-server?) has it open. Stop that process or choose another --db.`;
    default:
      return `Cannot open the message database ${path}: ${reason}. Check that the directory exists and is writable, or choose another --db.`;
  }
}

type Statements = ReturnType<typeof prepare>;

/** Every statement the store runs, compiled once. */
function prepare(db: Database.Database) {
  return {
    selectStream: db.prepare<[string], StreamState>(
      'SELECT top, epoch FROM streams WHERE stream = ?',
    ),
    upsertStream: db.prepare<[string, number, string]>(
      'INSERT INTO streams (stream, top, epoch) VALUES (?, ?, ?) ON CONFLICT (stream) DO UPDATE SET top = excluded.top',
    ),
    insertMessage: db.prepare<MessageRow>(`INSERT INTO messages (${COLUMNS}) VALUES (${VALUES})`),
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
    insertKey: db.prepare<MessageRow & { key: string; at: number }>(
      `INSERT OR REPLACE INTO idempotency (key, at, ${COLUMNS}) VALUES (@key, @at, ${VALUES})`,
    ),
    selectKey: db.prepare<[string, number], MessageRow>(
      `SELECT ${COLUMNS} FROM idempotency WHERE key = ? AND at > ?`,
    ),
    purgeKeys: db.prepare<[number]>('DELETE FROM idempotency WHERE at <= ?'),
  };
}

/** SQLite's LIMIT takes -1 for "no limit"; like MemoryStore, Infinity means all and ≤ 0 none. */
function sqlLimit(limit: number): number {
  if (limit === Infinity) return -1;
  return limit > 0 ? Math.floor(limit) : 0;
}

/** A message as a row; the only place the field names differ. */
function toRow(stream: StreamKey, seq: number, msg: NewMessage): MessageRow {
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
function toMessage(row: MessageRow): StoredMessage {
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
