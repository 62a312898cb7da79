/**
 * Durable streams (docs/architecture.md): one stream per room (key `#room`)
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
  /**
   * What the appending code hands to this process's subscribers along with
   * the message (see Store.publishesNotes); never stored, never sent to
   * another node, and absent on a message read back.
   */
  note?: object;
}

export interface StoredMessage extends NewMessage {
  stream: StreamKey;
  seq: number;
}

export interface AppendResult {
  message: StoredMessage;
  epoch: string;
  /**
   * True when the idempotency key was seen before: `message` is the original.
   * A store may keep only a digest of a keyed message's text once retention
   * has dropped the message (SQLite): then `text` is the re-sent text when it
   * is the original's, and empty (never a stored say's or dm's text) when it
   * is not, so comparing texts still tells a re-send from a reused id (§4).
   */
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

/**
 * A ban (docs/protocol.md §3 /ban): of an account (by its key), of a guest
 * alias (by its folded key), or of an address or CIDR block (only when the
 * operator asked for it with `/ban -addr`).
 */
export interface BanRecord {
  kind: 'account' | 'alias' | 'address';
  /** The account key, the folded alias, or the address / CIDR (`10.0.0.0/8`). */
  value: string;
  /** Folded alias the ban was made under, so `/unban nick` also finds an address ban made from a nick. */
  nameKey: string;
  /** Display alias (or address) at the time of the ban. */
  name: string;
  by: string;
  at: number;
  reason?: string;
  /** Milliseconds since the epoch when the ban ends by itself; none: permanent. */
  expires?: number;
}

/** What is looked up at login: the account, the alias asked for, the client's address. */
export interface BanQuery {
  accountKey?: string;
  aliasKey: string;
  address: string;
  now: number;
}

/** A mute (docs/protocol.md §3 /mute), stored under each key it applies to (core/moderation.ts muteKeys). */
export interface MuteRecord {
  /** Display name at the time of the mute (what the acks show). */
  name: string;
  /** Folded name the mute was made under, so `/unmute NAME` finds it offline too. */
  nameKey: string;
  by: string;
  at: number;
  reason?: string;
  /** Milliseconds since the epoch when it ends by itself; none: until /unmute. */
  expires?: number;
}

/** Mutes by key and the rooms whose topic is locked (§3 /mute, /topic -lock). */
export interface ModerationState {
  mutes: Map<string, MuteRecord>;
  locks: Set<string>;
}

/** Moderation and identity events kept for `chat-server audit` (never message text, never passwords). */
export interface AuditRecord {
  at: number;
  action:
    | 'kick'
    | 'ban'
    | 'unban'
    | 'operator'
    | 'deoperator'
    | 'passwd'
    | 'topic'
    | 'topic-lock'
    | 'topic-unlock'
    | 'mute'
    | 'unmute'
    | 'nick'
    | 'register'
    | 'account-add'
    | 'account-remove';
  actor: string;
  target?: string;
  room?: string;
  reason?: string;
}

/** Accounts, bans and the audit trail: durable, shared by every node, read at login. */
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
  /**
   * Delete what is kept for a removed account, so that a later account of
   * the same name starts with nothing of it: these streams (messages, seq,
   * epoch; its private stream and unread mark) and `owner`'s ignores.
   */
  forgetAccountData(streams: readonly StreamKey[], owner: string): Promise<void>;
  listAccounts(): Promise<AccountRecord[]>;
  /** Add or replace the ban of (kind, value). */
  addBan(ban: BanRecord): Promise<void>;
  /**
   * Lift every ban whose value or folded alias is `target` (`valueOnly`:
   * only those whose value is, as `/bans` names them); returns how many.
   */
  removeBans(target: string, valueOnly?: boolean): Promise<number>;
  /** Bans still in force at `now`, oldest first. */
  listBans(now: number): Promise<BanRecord[]>;
  /** The ban in force that applies to this account, alias or address (CIDR included), if any. */
  findBan(query: BanQuery): Promise<BanRecord | undefined>;
  addAudit(record: AuditRecord): Promise<void>;
  /** Audit records with `at >= since`, oldest first. */
  listAudit(since: number): Promise<AuditRecord[]>;
}

/**
 * Mutes and topic locks: durable (they survive a restart) and, in cluster
 * mode, shared by every node, as bans are (core/moderation.ts caches them).
 */
export interface ModerationStore {
  /** Mute under each of `keys` (replacing what was there). */
  setMute(keys: readonly string[], record: MuteRecord): Promise<void>;
  /** Lift every mute made under `nameKey` or stored under one of `keys`; returns those lifted. */
  removeMutes(nameKey: string, keys: readonly string[]): Promise<MuteRecord[]>;
  /** Lock (or unlock) a room's topic, by room key. */
  setTopicLock(room: string, locked: boolean): Promise<void>;
  /** Every mute (lapsed ones too: the caller judges expiry) and every topic lock. */
  getModeration(): Promise<ModerationState>;
}

/** A room's topic as persisted (docs/protocol.md §3 /topic). */
export interface TopicRecord {
  text: string;
  by: string;
  at: number;
}

/** Where appended messages are announced; the Bus implements it (doorbell, docs/architecture.md). */
export type Publish = (message: StoredMessage) => void;

/**
 * The persistence contract every backend (SQLite now, Redis for cluster mode)
 * implements and every backend's contract test suite checks.
 */
export interface Store extends AccountStore, ModerationStore {
  /**
   * True when append takes its seq synchronously and appends commit, publish
   * and resolve in call order (one group commit per event-loop turn): then a
   * connection's next message may be appended before the previous one has
   * resolved, and its answers still come in order (Chat.handle).
   */
  readonly pipelinesAppends?: boolean;
  /**
   * True when an append's `note` is on the very message object published to
   * this process's Bus, before the append resolves: the core then acks a say
   * during its message's fan-out (core/ack-order.ts). A store whose messages
   * reach the Bus some other way (through Redis) leaves it false.
   */
  readonly publishesNotes?: boolean;
  /**
   * Atomically take the next seq, store, trim to retention, then publish. A
   * repeated `idempotencyKey` returns the original message and publishes nothing.
   */
  append(stream: StreamKey, msg: NewMessage, idempotencyKey?: string): Promise<AppendResult>;
  /**
   * The append already made under `idempotencyKey` (duplicate: true), if it is
   * still remembered; lets a retry be answered before its target is checked.
   * `resent` is the text being sent again, to compare with (see AppendResult).
   */
  original(
    idempotencyKey: string,
    resent?: Pick<NewMessage, 'text'>,
  ): Promise<AppendResult | undefined>;
  /** Messages with seq > afterSeq, oldest first, at most `limit`. */
  read(stream: StreamKey, afterSeq: number, limit: number): Promise<ReadResult>;
  /** The newest `limit` messages with seq < beforeSeq (all when undefined), oldest first. */
  readBefore(stream: StreamKey, beforeSeq: number | undefined, limit: number): Promise<ReadResult>;
  /** The persisted topic of a room (by its key); undefined when none was ever set. */
  getTopic(room: StreamKey): Promise<TopicRecord | undefined>;
  /** Every persisted topic by room key (read once at start: rooms are created synchronously). */
  listTopics(): Promise<Map<StreamKey, TopicRecord>>;
  /** Persist a room's topic; an empty text clears it (kept, with who cleared it and when). */
  setTopic(room: StreamKey, topic: TopicRecord): Promise<void>;
  /** Folded alias → display alias of the users `owner` (User.identity) ignores. */
  getIgnores(owner: string): Promise<Map<string, string>>;
  /** Add (display given) or remove (display undefined) one ignored user of `owner`. */
  setIgnore(owner: string, key: string, display: string | undefined): Promise<void>;
  /** Flush pending writes and release the backend. Idempotent. */
  close(): Promise<void>;
}
