/**
 * What a command handler may do: the narrow face of the chat that handlers
 * see, instead of the whole `Chat` (its options, its maps to mutate). The
 * state changes a command needs (rename, join, eject) are methods here, so
 * the bookkeeping behind them lives in one place in the chat (membership.ts
 * for rooms, renames and removals; announce.ts for what others are told).
 */
import type { DroppedGuest } from '../dropped-guests.js';
import type { CommandSpec } from '../../protocol/commands.js';
import type {
  Limits,
  MessageEvent,
  PrivateEvent,
  ServerEvent,
  SystemEvent,
  WhoEntry,
} from '../../protocol/messages.js';
import type { Name } from '../../protocol/names.js';
import type {
  AccountRecord,
  AuditRecord,
  BanRecord,
  Store,
  StoredMessage,
} from '../../store/store.js';
import type { Owner, Presence } from '../../store/lease.js';
import type { Peer, Room, User } from '../model.js';
import type { Moderation } from '../moderation.js';
import type { Transfers } from '../transfers.js';

export interface ChatContext {
  /** Persistence (injected; the core never knows which backend). */
  readonly store: Store;
  readonly limits: Limits;
  /** Online users by folded alias (read only: use the methods below to change it). */
  readonly users: ReadonlyMap<string, User>;
  /** Rooms by folded name (read only). */
  readonly rooms: ReadonlyMap<string, Room>;
  /** File transfers relayed between users (§5). */
  readonly transfers: Transfers;
  /** Mutes and topic locks (§3 /mute, /topic -lock). */
  readonly moderation: Moderation;

  /** Now, from the injected clock, in ms and as the protocol's ISO timestamp. */
  nowMs(): number;
  timestamp(): string;

  /** Whether this server carries out a typed command (for /help). */
  offers(spec: CommandSpec): boolean;

  /** An online user by alias, or `not_found`. */
  findUser(raw: string): User;
  /** A room the user names (default: current) that they are in, or `not_member`. */
  memberRoom(user: User, raw: string | undefined): Room;
  /**
   * Throw `alias_taken` when someone other than `self` holds the alias, or
   * (unless it is `account`'s) someone online has a look-alike one.
   */
  assertAliasFree(name: Name, self?: User, account?: AccountRecord): void;
  /** Throw `alias_taken` when a guest alias looks like an account other than `own`. */
  assertNotLikeAccount(name: Name, own?: AccountRecord): Promise<void>;
  /** Refuse a rename into an alias or account a ban covers (`forbidden`). */
  assertNameNotBanned(name: Name, account: AccountRecord | undefined): Promise<void>;
  /** Tell the look-alike check about a new account. */
  accountCreated(account: AccountRecord): void;
  /** Whether the server admits accounts only (`--require-account`). */
  readonly requireAccount: boolean;
  /**
   * Whether the user is an operator now: the account is read again from the
   * store, so a demotion (or a grant) made with the CLI applies at once (§2).
   */
  isOperator(user: User): Promise<boolean>;
  /**
   * Check an account's password with login throttling (§2), counted against
   * the peer's address or local user (Peer.loginKey); throws `auth_failed`.
   */
  checkPassword(
    peer: Pick<Peer, 'address' | 'loginKey'>,
    account: AccountRecord,
    password: string,
  ): Promise<void>;

  /** Build a system event stamped now. */
  system(
    event: SystemEvent['event'],
    fields: Omit<SystemEvent, 'type' | 'event' | 'ts'>,
  ): SystemEvent;
  /** Send an event to one user (held while a replay of its stream is under way). */
  deliver(user: User, event: ServerEvent): void;
  /**
   * Send a system event to every member of a room (or of several, each
   * member once), on every node, except `except`.
   */
  broadcast(room: Room | readonly Room[], event: SystemEvent, except?: User): void;
  /** Announce that `user` left `room` (its `part`), gathered into a big room's presence notice (§6). */
  announceLeave(room: Room, user: User, event: SystemEvent): void;
  /** Who is in a room (or `*`) on every node: `local` as they are, others from presence. */
  whoIn(roomKey: string, local: Iterable<User>): Promise<WhoEntry[]>;
  /**
   * A say with an answer is about to be appended: hold the room's live
   * messages for this user until its ack is in place (false: a replay holds
   * the room already, ack at once). See ack-order.ts.
   */
  holdForSay(user: User, room: Room): boolean;
  /** Send a held say's ack where its message is in the room's stream as the user sees it. */
  answerInPlace(user: User, room: Room, seq: number, ack: () => void): void | Promise<void>;
  /** A held say failed: let its hold go. */
  dropSay(user: User, room: Room): void;
  /** Run `then` once this node has fanned `room` out up to `seq` (at once when it has). */
  afterFanOut(room: Room, seq: number, then: () => void): void | Promise<void>;
  /** A user online on another node, or undefined. */
  remoteUser(raw: string): Promise<Owner | undefined>;
  /** The guest whose connection dropped a moment ago under alias `key` (folded), if any (dropped-guests.ts). */
  droppedGuest(key: string): DroppedGuest | undefined;
  /** Users online on other nodes, from their `*` presence (away, rooms, last active). */
  remotePresence(): Promise<Presence[]>;
  /** Send a system event to the user `key` (folded alias) held by another node. */
  tellRemote(key: string, event: SystemEvent): void;
  /** Ask the node holding `key` to kick that user. */
  ejectRemote(key: string, by: User, reason: string | undefined): void;
  /** A ban was recorded: remove everyone online it covers, on every node (operators excepted). */
  applyBan(ban: BanRecord, by: User): void;
  /** The wire form of a stored room message; `mention` set when it names `reader` (§4). */
  messageEvent(room: Room, m: StoredMessage, reader?: User): MessageEvent;
  /** The wire form of a stored private message addressed to `user`. */
  privateEvent(m: StoredMessage, user: User): PrivateEvent;

  /** The room with this name, created when new. */
  room(name: Name): Room;
  /** Add a user to a room, announce it and replay its recent history (§2). */
  join(user: User, room: Room, history?: number): Promise<void>;
  /** Leave a room; the caller announces it. */
  removeMember(user: User, room: Room): void;
  /**
   * Take a new alias, signed in to `account` (default: the current one): the
   * lease (cluster-wide), the maps, the private stream (which follows the
   * identity) and the neighbours' notice.
   */
  rename(user: User, name: Name, account?: AccountRecord): Promise<void>;
  /** Sign a user in to an account (/register): its private stream follows the identity. */
  /** Settles once other nodes can read the account (its alias lease and presence). */
  setAccount(user: User, account: AccountRecord | undefined): Promise<void>;
  /** Set or clear a room's topic: stored, then in effect (docs/protocol.md §3 /topic). */
  setTopic(room: Room, text: string, by: User): Promise<void>;
  /** Record a moderation or identity event (docs/security.md "Audit trail"). */
  audit(record: Omit<AuditRecord, 'at'>): void;
  /** Remove a user who quit or was removed; `event` is what the others see. */
  disconnect(user: User, reason: string, event?: SystemEvent): void;
  /** Kick `target` out of the chat: the target and everyone sharing a room see who and why. */
  eject(target: User, by: User, reason: string | undefined): void;
}
