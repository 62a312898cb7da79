/**
 * The core's picture of who is here: a User is an identity, a Peer is the
 * connection it speaks through (STYLE.md: "user is not connection").
 */
import type { Timer } from './clock.js';
import type { ServerEvent } from '../protocol/messages.js';
import type { AccountRecord, StoredMessage, StreamKey } from '../store/store.js';
import type { Name } from '../protocol/names.js';
import type { StreamFollower } from '../bus/follower.js';
import type { Lease } from '../store/lease.js';

/** A settled promise for every stream that is ready (one object, not one per stream). */
export const SETTLED: Promise<void> = Promise.resolve();

/** A connection as the core sees it: somewhere to send events, something to close. */
export interface Peer {
  /** Connection id for logs; never shown to other users. */
  readonly id: string;
  /** The client's IP address: for bans and login throttling, never shown to other users. */
  readonly address: string;
  /**
   * Whom a wrong password counts against (§2 login limits), when finer than
   * `address`: on a shared host, the local user of a loopback connection.
   * Asked only when a password is checked (it may read the kernel's tables).
   */
  loginKey?(): Promise<string>;
  /** The codec's mode (`json`, `text`): only JSON clients can take part in file transfers (§5). */
  readonly mode?: string;
  send(event: ServerEvent): void;
  /**
   * Send several events in order; the same array may go to many peers (encode
   * it once). `skip`: indexes (ascending) of events this peer must not get;
   * `instead[j]`, when given, is sent in place of event `skip[j]` (a
   * sender's ack where its own line would be, core/ack-order.ts).
   */
  sendAll(
    events: readonly ServerEvent[],
    skip?: readonly number[],
    instead?: readonly (ServerEvent | undefined)[],
  ): void;
  /** End the connection once what was sent is flushed. */
  close(reason: string): void;
  /**
   * `nick`, a member of `room` (this peer's user or another), was made an
   * operator or demoted while online. Only IRC has a line for it (MODE ±o,
   * the `@` its clients show); the other modes learn it from /who and /whois.
   */
  operatorChanged?(room: string, nick: string, operator: boolean): void;
}

/**
 * A stream this node follows (a room, or a user's private stream): its
 * follower delivers it exactly once and in order, reading gaps from the
 * Store. The follower is set once the subscription is live and the stream's
 * top is known; until then announced messages wait in `early`.
 */
export class Followed {
  follower: StreamFollower | undefined;
  /** Announced before the stream's top was known (a private stream's: made on first use). */
  early: StoredMessage[] | undefined;
  /** Resolves once subscribed and the follower is set: replays start after it. */
  ready: Promise<void> = SETTLED;
  /** Subscribing or the first read failed (store unreachable): try again on next use. */
  failed = false;
  /** Work to run when delivery reaches a seq (a sender's ack in stream order), by seq. */
  atSeq: Map<number, Array<() => void>> | undefined;
  /**
   * A private stream's follower is made at its first message (Streams):
   * until then, where it will start, the stream's top once subscribed (-1:
   * not known yet) and its epoch (undefined: a new stream, nothing to compare).
   */
  startAt = -1;
  startEpoch: string | undefined;

  constructor(early: StoredMessage[] | undefined = []) {
    this.early = early;
  }

  /** Run and forget the work waiting for seqs up to `seq` (all of it when omitted). */
  reached(seq = Infinity): void {
    if (!this.atSeq) return;
    for (const [s, jobs] of [...this.atSeq]) {
      if (s > seq) continue;
      this.atSeq.delete(s);
      for (const job of jobs) job();
    }
    if (this.atSeq.size === 0) this.atSeq = undefined;
  }
}

export class Room {
  readonly members = new Set<User>();
  /**
   * Moves whenever a member joins, leaves or is renamed: what was worked out
   * from the members' names (the room's mention finder, streams.ts) is stale
   * once it has moved.
   */
  namesVersion = 0;
  topic = '';
  /** Who set the topic and when (ms); persisted, and shown by clients that show it (IRC 333). */
  topicBy = '';
  topicAt = 0;
  /** The room's stream as this node follows it. */
  readonly stream = new Followed();
  /** Big rooms (§6): joins and leaves waiting for the next aggregate notice. */
  readonly pendingJoined: string[] = [];
  readonly pendingLeft: string[] = [];
  presenceTimer: Timer | undefined;

  constructor(readonly name: Name) {}
}

/** The Store key of account `key`'s private stream (a guest's is `@~` + its session id). */
export function accountStream(key: string): StreamKey {
  return '@' + key;
}

/**
 * This node's session of account `key`, whatever alias it goes by now (a
 * `/nick` keeps the account). A scan: only for a name nobody holds as an alias.
 */
export function sessionOfAccount(users: ReadonlyMap<string, User>, key: string): User | undefined {
  for (const u of users.values()) if (u.account?.key === key) return u;
  return undefined;
}

/** Whose ignores (and idempotency ids) an account's are: User.identity when signed in to it. */
export function accountOwner(key: string): string {
  return 'a:' + key;
}

/**
 * Who a session is (User.identity): its account when it has one, else its
 * guest session (`guestId`, which every session without an account has).
 */
export function identityOf(
  account: { key: string } | undefined,
  guestId: string | undefined,
): string {
  return account ? accountOwner(account.key) : `g:${guestId}`;
}

/**
 * A user's rooms by key, in the order joined (the first is where a resumed
 * session lands, the last where a /part leaves it). Most users are in one
 * room: that one is held in a field, and a Map is made only for a second.
 * A one-entry Map is about 180 bytes (its smallest hash table); this is 40,
 * on every idle connection, and an idle connection's size is what limits
 * how many a server holds (§6 scale).
 */
export class UserRooms {
  private one: Room | undefined;
  private many: Map<string, Room> | undefined;

  get size(): number {
    return this.many ? this.many.size : this.one ? 1 : 0;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  get(key: string): Room | undefined {
    if (this.many) return this.many.get(key);
    return this.one?.name.key === key ? this.one : undefined;
  }

  /** Add `room` under its key (last in join order), or replace the room held under it. */
  set(key: string, room: Room): this {
    if (this.many) this.many.set(key, room);
    else if (!this.one || this.one.name.key === key) this.one = room;
    else {
      this.many = new Map([[this.one.name.key, this.one]]).set(key, room);
      this.one = undefined;
    }
    return this;
  }

  delete(key: string): boolean {
    if (!this.many) {
      if (this.one?.name.key !== key) return false;
      this.one = undefined;
      return true;
    }
    const deleted = this.many.delete(key);
    // Back to one room: back to the field.
    if (this.many.size === 1) {
      this.one = this.many.values().next().value;
      this.many = undefined;
    }
    return deleted;
  }

  values(): IterableIterator<Room> {
    if (this.many) return this.many.values();
    return (this.one ? [this.one] : []).values();
  }

  keys(): IterableIterator<string> {
    if (this.many) return this.many.keys();
    return (this.one ? [this.one.name.key] : []).values();
  }
}

/**
 * A live event held for a user (a replay or a say's ack under way): the
 * event, its stream, and when it arrived among everything held for the
 * user, so holds of several streams can be let go in the order they came.
 */
export type Held = [event: ServerEvent, stream: string, arrival: number];

/**
 * One say of a user, from its append to its answer. Answers go out in the
 * order the says came (docs/protocol.md §4 "Order"): a say's ack may be sent
 * during its message's fan-out only once the say before it is answered.
 */
export interface SayTurn {
  answered: boolean;
  /** The say before, while it is not answered (a chain no longer than what is in flight). */
  prev: SayTurn | undefined;
}

/** A say's answer went out (its ack, its refusal, or nothing for a say without an id). */
export function sayAnswered(turn: SayTurn): void {
  turn.answered = true;
  turn.prev = undefined;
}

/** The member list a welcome gave, of its current room (User.welcomeSent). */
export interface WelcomeList {
  room: string;
  members: readonly string[];
  /** Every member is listed (the welcome lists a few only in a big room). */
  complete: boolean;
}

export class User {
  readonly rooms = new UserRooms();
  /**
   * Folded key → display name of users this user does not want to hear from.
   * Created on first use: most users never ignore anyone, and an idle
   * connection's size is what limits how many a server holds (§6 scale).
   */
  private ignoredUsers: Map<string, string> | undefined;
  /**
   * Streams being replayed, or held for a say's ack (ack-order.ts): their
   * live events wait here meanwhile (created on first use).
   */
  private held: Map<string, Held[]> | undefined;
  /** Events held so far, to number the next (Held's arrival). */
  private arrivals = 0;
  /**
   * Per stream, the last seq a replay sent: live events at or below it were
   * already shown. An entry goes once live traffic passes it, so a user in
   * steady state carries none and delivery checks nothing per message.
   */
  private replayed: Map<string, number> | undefined;
  away = '';
  connected = true;
  /**
   * Its welcome has been sent (§4: before any other event). Until then what
   * is told to it (others joining, a topic, a private message to a new
   * guest) waits in `early`; clients drop what comes before the welcome.
   */
  welcomed = false;
  /** Its client program's id (hello.instance), if it sent one: see Cluster.takeOver. */
  instance: string | undefined;
  private early: ServerEvent[] | undefined;
  /** The alias lease this session holds (cluster-wide uniqueness), renewed while it lives. */
  lease: Lease | undefined;
  /** When `lease` was last confirmed (claimed or renewed), by this node's clock (ms). */
  leaseConfirmedAt = 0;
  /** Said `bot: true` in its hello (§4): shown in /who and /whois. */
  bot = false;
  /** The account this user signed in to (or registered), if any. */
  account: AccountRecord | undefined;
  /**
   * A guest's identity, derived from its session token (docs/protocol.md §2
   * "Guest sessions"): it survives /nick and reconnects that present the
   * token, and is never derived from the alias, so a later holder of the
   * alias cannot read this guest's private messages.
   */
  guestId = '';
  /**
   * This connection's work in the order it arrived (docs/protocol.md §4
   * "Order"): while one job (a request, an answer, the close) is running or
   * waiting for the store, later ones wait here. Created on first use.
   */
  waiting: Array<() => void | Promise<void>> | undefined;
  /** A job of this connection is under way (the welcome's replay first). */
  busy = false;
  /**
   * While the job under way is a `say` waiting for its commit: settles once
   * the last say issued behind it (pipelined, see Chat.handle) has answered.
   */
  sayTail: Promise<void> | undefined;
  /**
   * The room (key) of the says in flight behind `sayTail`: only a say to
   * the same room is pipelined behind them (RequestOrder.handle).
   */
  sayRoom: string | undefined;
  /** The user's latest say, answered or not (beginSay). */
  private lastSay: SayTurn | undefined;

  /** When the user last sent a request other than a heartbeat (ms; for /whois idle time). */
  lastActive: number;

  constructor(
    public name: Name,
    public current: Room,
    readonly peer: Peer,
    /** When this connection was admitted (ms since the epoch). */
    readonly since: number,
  ) {
    this.lastActive = since;
  }

  /** Who this user is for idempotency and ignores: the account, else the guest session. */
  get identity(): string {
    return identityOf(this.account, this.guestId);
  }

  /** The Store key of this user's private stream: `@account`, or `@~guestId` for a guest. */
  get privateStream(): string {
    return this.account ? accountStream(this.account.key) : '@~' + this.guestId;
  }

  isIgnoring(key: string): boolean {
    return this.ignoredUsers?.has(key) ?? false;
  }

  ignore(key: string, display: string): void {
    (this.ignoredUsers ??= new Map()).set(key, display);
  }

  /** Stop ignoring; returns the display name, or undefined when not ignored. */
  unignore(key: string): string | undefined {
    const display = this.ignoredUsers?.get(key);
    this.ignoredUsers?.delete(key);
    return display;
  }

  /** Replace the ignore list with the persisted one (at login). */
  setIgnores(list: Map<string, string>): void {
    this.ignoredUsers = list.size > 0 ? new Map(list) : undefined;
  }

  ignoredNames(): string[] {
    return [...(this.ignoredUsers?.values() ?? [])];
  }

  /** Each ignored user's key and display name. */
  ignoredUsersList(): Array<[key: string, display: string]> {
    return [...(this.ignoredUsers ?? [])];
  }

  /**
   * A say of this user begins (RequestOrder, in the order sent): its turn
   * knows the say before it while that one is still to be answered, so an
   * ack can go out early only in its turn (ack-order.ts).
   */
  beginSay(): SayTurn {
    const prev = this.lastSay;
    const turn: SayTurn = { answered: false, prev: prev?.answered === false ? prev : undefined };
    this.lastSay = turn;
    return turn;
  }

  /** An event told before the welcome: sent once it is (welcomeSent). */
  sendAfterWelcome(event: ServerEvent): void {
    (this.early ??= []).push(event);
  }

  /**
   * The welcome (and its replay) went out: what waited for it follows, but
   * for what the welcome's member list already shows (`listed`, of its
   * current room): someone listed whose first news is a join, or (when the
   * list is complete) someone not listed whose first news is leaving.
   */
  welcomeSent(listed?: WelcomeList): void {
    this.welcomed = true;
    const early = this.early;
    this.early = undefined;
    if (!early) return;
    const told = new Set<string>();
    for (const event of early) {
      if (!(listed && this.shownByWelcome(event, listed, told))) this.peer.send(event);
    }
  }

  /** Whether `event` is the first news of its user in the listed room, and the list already gave it. */
  private shownByWelcome(event: ServerEvent, listed: WelcomeList, told: Set<string>): boolean {
    if (event.type !== 'system' || !event.user) return false;
    // A quit names no room: it is about the listed room when that is the only one.
    const room = event.room ?? (this.rooms.size === 1 ? listed.room : undefined);
    if (room !== listed.room || told.has(event.user)) return false;
    told.add(event.user);
    const shown = listed.members.includes(event.user);
    if (event.event === 'join') return shown;
    return (event.event === 'part' || event.event === 'quit') && listed.complete && !shown;
  }

  /** Hold `event` of `stream` (held), numbered in the order held across streams. */
  holdEvent(buffer: Held[], event: ServerEvent, stream: string): void {
    buffer.push([event, stream, ++this.arrivals]);
  }

  /** Start holding a stream's live events (a replay is under way); keeps an existing hold. */
  hold(stream: string): void {
    this.held ??= new Map();
    if (!this.held.has(stream)) this.held.set(stream, []);
  }

  /** The buffer of a held stream, or undefined when it is live. */
  holding(stream: string): Held[] | undefined {
    return this.held?.get(stream);
  }

  /** Stop holding a stream; returns what was held. */
  release(stream: string): Held[] {
    const events = this.held?.get(stream) ?? [];
    this.held?.delete(stream);
    if (this.held?.size === 0) this.held = undefined;
    return events;
  }

  /**
   * Whether every message of a live burst on `stream` from `senders` goes to
   * this user unfiltered: no replay of it under way or just finished, and none
   * of the senders ignored.
   */
  receivesAll(stream: string, senders: Iterable<string>): boolean {
    if (this.held?.has(stream) || this.replayed?.has(stream)) return false;
    if (this.ignoredUsers) for (const s of senders) if (this.ignoredUsers.has(s)) return false;
    return true;
  }

  /** Record that a replay of `stream` sent everything up to `seq`. */
  markReplayed(stream: string, seq: number): void {
    if (seq <= 0) return;
    this.replayed ??= new Map();
    this.replayed.set(stream, Math.max(this.replayed.get(stream) ?? 0, seq));
  }

  /** Whether a live event of `stream` with this seq was already sent by a replay. */
  alreadySent(stream: string, seq: number): boolean {
    const top = this.replayed?.get(stream);
    if (top === undefined) return false;
    if (seq <= top) return true;
    // Live traffic has passed the replay: streams arrive in order from here on.
    this.forgetStream(stream);
    return false;
  }

  /** Drop what is known of a stream (left the room, changed alias). */
  forgetStream(stream: string): void {
    this.replayed?.delete(stream);
    if (this.replayed?.size === 0) this.replayed = undefined;
  }

  /** Everyone who shares at least one room with this user, excluding the user. */
  neighbours(): Set<User> {
    const out = new Set<User>();
    for (const room of this.rooms.values())
      for (const m of room.members) if (m !== this) out.add(m);
    return out;
  }
}
