/**
 * Durable streams (CLUSTER.md "The shape"): one stream per room (key `#room`)
 * and one per user for private messages (key `@user`). Each stream has its own
 * `seq` and an `epoch` that changes when its history is lost or reset.
 */

/** A stream key: a folded room name (`#lobby`) or `@` plus a folded alias. */
export type StreamKey = string;

export interface NewMessage {
  /** Display alias of the sender at the time of sending. */
  from: string;
  /** Private messages: display alias of the recipient. */
  to?: string;
  text: string;
  action: boolean;
  /** Milliseconds since the epoch, set by the server. */
  ts: number;
}

export interface StoredMessage extends NewMessage {
  stream: StreamKey;
  seq: number;
}

export interface AppendResult {
  message: StoredMessage;
  epoch: string;
  /** True when the idempotency key was seen before: `message` is the original. */
  duplicate: boolean;
}

export interface ReadResult {
  epoch: string;
  /** Highest seq ever assigned in this stream (0 when empty). */
  top: number;
  /** Lowest seq still retained (top + 1 when nothing is retained). */
  firstRetained: number;
  /** Oldest first. */
  messages: StoredMessage[];
}

/** A registered alias (docs/protocol.md §2). */
export interface AccountRecord {
  /** Folded alias: the lookup key. */
  key: string;
  /** The alias as registered. */
  name: string;
  /** Encoded password hash (see core/passwords.ts); never the password. */
  hash: string;
  operator: boolean;
  createdAt: number;
}

/** A ban: of an account (by its key) or of a guest's address. */
export interface BanRecord {
  kind: 'account' | 'address';
  /** The account key or the IP address. */
  value: string;
  /** Folded alias of the banned user, so `/unban nick` finds address bans too. */
  nameKey: string;
  /** Display alias at the time of the ban. */
  name: string;
  by: string;
  at: number;
}

/** Accounts and bans: durable, shared by every node, read at login. */
export interface AccountStore {
  getAccount(key: string): Promise<AccountRecord | undefined>;
  /** Create an account; false when the key is taken. */
  createAccount(account: AccountRecord): Promise<boolean>;
  /** Change the hash and/or operator flag; false when there is no such account. */
  updateAccount(
    key: string,
    change: Partial<Pick<AccountRecord, 'hash' | 'operator'>>,
  ): Promise<boolean>;
  deleteAccount(key: string): Promise<boolean>;
  listAccounts(): Promise<AccountRecord[]>;
  addBan(ban: BanRecord): Promise<void>;
  /** Lift every ban recorded under this folded alias; returns how many. */
  removeBans(nameKey: string): Promise<number>;
  /** The ban that applies to this account (if any) or address. */
  findBan(accountKey: string | undefined, address: string): Promise<BanRecord | undefined>;
}

/** Where appended messages are announced; the Bus implements it (doorbell, CLUSTER.md). */
export type Publish = (message: StoredMessage) => void;

/**
 * The persistence contract every backend (SQLite now, Redis for cluster mode)
 * implements and every backend's contract test suite checks.
 */
export interface Store extends AccountStore {
  /**
   * Atomically take the next seq, store, trim to retention, then publish. A
   * repeated `idempotencyKey` returns the original message and publishes nothing.
   */
  append(stream: StreamKey, msg: NewMessage, idempotencyKey?: string): Promise<AppendResult>;
  /**
   * The append already made under `idempotencyKey` (duplicate: true), if it is
   * still remembered; lets a retry be answered before its target is checked.
   */
  original(idempotencyKey: string): Promise<AppendResult | undefined>;
  /** Messages with seq > afterSeq, oldest first, at most `limit`. */
  read(stream: StreamKey, afterSeq: number, limit: number): Promise<ReadResult>;
  /** The newest `limit` messages with seq < beforeSeq (all when undefined), oldest first. */
  readBefore(stream: StreamKey, beforeSeq: number | undefined, limit: number): Promise<ReadResult>;
  /** Flush pending writes and release the backend. Idempotent. */
  close(): Promise<void>;
}
