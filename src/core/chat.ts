/**
 * The chat domain: users, rooms, presence and routing. It imports no I/O: it
 * talks to connections through Peer, to persistence through Store and to other
 * nodes through Bus, and emits typed ServerEvents that codecs turn into bytes.
 */
import type { Bus } from '../bus/bus.js';
import type { LeaseStore, Owner, Presence } from '../store/lease.js';
import type {
  Hello,
  Limits,
  MessageEvent,
  PrivateEvent,
  Request,
  ServerEvent,
  SystemEvent,
  WhoEntry,
} from '../protocol/messages.js';
import type {
  AccountRecord,
  AuditRecord,
  BanRecord,
  Store,
  StoredMessage,
  TopicRecord,
} from '../store/store.js';
import { ChatError, toChatError } from '../protocol/errors.js';
import { systemClock, type Clock } from './clock.js';
import type { ThrottleOptions } from './login-throttle.js';
import { AccountWatch, applyAccount, type AccountWatchHost } from './account-watch.js';
import { Moderation } from './moderation.js';
import { Cluster } from './cluster.js';
import { Logins } from './login.js';
import { Streams } from './streams.js';
import { Welcomes } from './welcome.js';
import type { CommandSpec, RequestOf } from '../protocol/commands.js';
import type { ChatContext } from './commands/context.js';
import { isAvailable, runCommand } from './commands/index.js';
import { storeSay } from './commands/say.js';
import type { Peer, Room, User } from './model.js';
import { Transfers, type TransferLimits } from './transfers.js';
import { foldKey, LOBBY, parseRoom, type Name } from '../protocol/names.js';
import { finishReplay, readReplay, roomTarget } from './replay.js';

/** Longest a sender's ack waits for its message's announcement (see Chat.atSeq). */
const AT_SEQ_TIMEOUT_MS = 3000;
/** How often the accounts of users online are read again by default (§2: CLI changes reach them). */
const ACCOUNT_CHECK_MS = 5000;

export interface ChatOptions {
  store: Store;
  bus: Bus;
  limits: Limits;
  /** Admit registered accounts only (`--require-account`). */
  requireAccount: boolean;
  /** Messages replayed per room on join (docs/protocol.md §2). */
  historyOnJoin: number;
  /** Rooms above this many members announce joins and leaves in aggregate, once a second (§6). */
  announceLimit: number;
  /** Seconds of silence before the server pings a JSON client (§4). */
  heartbeatSeconds: number;
  server: { name: string; version: string };
  /** Time and timers (login hold-back, presence batching); the process's own by default. */
  clock?: Clock;
  /** Called for each audited event (after it is stored), so the caller can log it at info. */
  onAudit?: (record: AuditRecord) => void;
  /** The message of the day, sent after the welcome when set (read per login: SIGHUP may change it). */
  motd?: () => string | undefined;
  /** Called for failures that are the server's fault, so the caller can log them. */
  onInternalError?: (err: unknown, context: string) => void;
  /** File transfer limits (§5); defaults in core/transfers.ts. */
  transfers?: Partial<TransferLimits>;
  /** Called when a transfer ends, for the log (no file names: they are user content). */
  onTransferEnd?: (fields: { id: string; outcome: string; bytes: number }) => void;
  /** Called for changes an operator may need to trace (nick changes): never message text. */
  audit?: (action: string, fields: Record<string, string>) => void;
  /** How often the accounts of users online are read again (CLI resets and demotions); 0: never. */
  accountCheckMs?: number;
  /** Failed-login limits per account and per address (`--login-*`); defaults in core/login-throttle.ts. */
  login?: Partial<ThrottleOptions>;
  /**
   * Alias ownership and presence (docs/architecture.md): MemoryLeases in one
   * process, the Redis store in cluster mode; one code path either way.
   */
  leases: LeaseStore;
  /** This process's id among the nodes (unique per start). */
  node: string;
  /** How long an alias lease lasts unless renewed (renewed every third of it). Default 15 s. */
  leaseMs?: number;
}

export class Chat implements ChatContext {
  readonly users = new Map<string, User>();
  readonly rooms = new Map<string, Room>();
  readonly clock: Clock;
  readonly now: () => number;
  /** File transfers relayed between users (§5). */
  readonly transfers: Transfers;
  /** Alias leases, presence and signals among the nodes. */
  readonly cluster: Cluster;
  /** Mutes and topic locks (§3). */
  readonly moderation: Moderation;
  /** Password resets, removals and operator changes made with the CLI reach live sessions (§2). */
  private readonly accountWatch: AccountWatch;
  private readonly watchHost: AccountWatchHost;
  /** Room and private message streams followed on this node, and their fan-out. */
  readonly streams = new Streams(this);
  /** The handshake's checks and the index of who is online. */
  readonly logins = new Logins(this);
  /** Admitting a user: rooms, streams, the welcome and its replay. */
  readonly welcomes = new Welcomes(this);
  /**
   * Persisted topics by room key, read once by load(): a room is created
   * synchronously on join, and its topic must be there at once (§3 /topic).
   */
  readonly topics = new Map<string, TopicRecord>();

  constructor(readonly options: ChatOptions) {
    this.clock = options.clock ?? systemClock;
    this.now = () => this.clock.now();
    this.transfers = new Transfers(this, options.transfers, options.onTransferEnd);
    this.cluster = new Cluster(this, options);
    if (options.login) this.logins.throttle.configure(options.login);
    this.moderation = new Moderation(this.now, options.store, () =>
      this.cluster.sendSignal({ t: 'moderation', node: options.node }),
    );
    this.watchHost = {
      users: this.users,
      store: options.store,
      endSession: (user, why) => this.endSession(user, why),
      onError: (err) => options.onInternalError?.(err, 'reading accounts'),
    };
    this.accountWatch = new AccountWatch(
      this.watchHost,
      options.accountCheckMs ?? ACCOUNT_CHECK_MS,
    );
    // After the Bus reconnects, every stream re-reads what it may have missed.
    options.bus.onResync(() => {
      for (const room of this.rooms.values()) void room.stream.follower?.resync();
      for (const p of this.streams.privates.values()) void p.follower?.resync();
    });
  }

  /** Go live: hear other nodes' signals and keep this node's leases renewed. */
  async start(): Promise<void> {
    await this.cluster.start();
  }

  get store(): Store {
    return this.options.store;
  }

  get limits(): Limits {
    return this.options.limits;
  }

  get requireAccount(): boolean {
    return this.options.requireAccount;
  }

  offers(spec: CommandSpec): boolean {
    return isAvailable(spec);
  }

  /**
   * Read the accounts of the users online again now (SIGHUP, tests): what the
   * timer does every few seconds.
   */
  checkAccounts(): Promise<void> {
    return this.accountWatch.check();
  }

  /** Whether the user is an operator now, read again from the store (§2: demotions apply at once). */
  async isOperator(user: User): Promise<boolean> {
    const had = user.account;
    if (!had) return false;
    const fresh = await this.options.store.getAccount(had.key);
    // Changed meanwhile (its own /passwd, a takeover): judge the record it has now.
    if (user.account !== had) return user.account?.operator === true;
    const now = applyAccount(this.watchHost, user, fresh);
    return user.connected && now?.operator === true;
  }

  /** End a session whose account changed under it (reset password, removed account). */
  private endSession(user: User, why: string): void {
    user.peer.send({ type: 'error', code: 'auth_required', message: `Signed out: ${why}` });
    this.disconnect(user, 'signed out');
    user.peer.close('account changed');
  }

  /** Read what the core keeps in memory from the store (topics); call before serving. */
  async load(): Promise<void> {
    this.accountWatch.start();
    await this.moderation.load();
    for (const [room, t] of await this.options.store.listTopics()) this.topics.set(room, t);
    const lobby = this.rooms.get(LOBBY.key);
    const t = this.topics.get(LOBBY.key);
    if (lobby && t && lobby.topicAt === 0)
      [lobby.topic, lobby.topicBy, lobby.topicAt] = [t.text, t.by, t.at];
  }

  /** Another node changed a mute or a topic lock: read them again. */
  reloadModeration(): void {
    this.moderation
      .load()
      .catch((err: unknown) => this.options.onInternalError?.(err, 'reading mutes'));
  }

  /** The current time as the protocol's ISO timestamp. */
  timestamp(): string {
    return new Date(this.now()).toISOString();
  }

  nowMs(): number {
    return this.now();
  }

  /** Renew this node's leases and presence now (the timer does it every third of a lease). */
  renewAll(): Promise<void> {
    return this.cluster.renewAll();
  }

  /** Who is in a room (or `*`) across nodes. */
  whoIn(roomKey: string, local: Iterable<User>): Promise<WhoEntry[]> {
    return this.cluster.whoIn(roomKey, local);
  }

  /** A user online on another node, or undefined. */
  remoteUser(raw: string): Promise<Owner | undefined> {
    return this.cluster.remoteUser(raw);
  }

  /** Users online on other nodes, from their `*` presence. */
  remotePresence(): Promise<Presence[]> {
    return this.cluster.remotePresence();
  }

  /** Kick a user held by another node. */
  ejectRemote(key: string, by: User, reason: string | undefined): void {
    this.cluster.ejectRemote(key, by, reason);
  }

  /** A ban was recorded: everyone online it covers goes now, on every node. */
  applyBan(ban: BanRecord, by: User): void {
    this.cluster.applyBan(ban, by);
  }

  /**
   * Record a moderation or identity event (docs/security.md "Audit trail"):
   * stored for `chat-server audit`, and logged. Never message text or passwords.
   */
  audit(record: Omit<AuditRecord, 'at'>): void {
    const full: AuditRecord = { at: this.now(), ...record };
    this.options.store.addAudit(full).then(
      () => this.options.onAudit?.(full),
      (err: unknown) => this.options.onInternalError?.(err, 'storing an audit record'),
    );
  }

  /** Settings a SIGHUP reload may change; they apply from the next request or login. */
  reconfigure(
    change: Partial<
      Pick<
        ChatOptions,
        | 'limits'
        | 'historyOnJoin'
        | 'announceLimit'
        | 'requireAccount'
        | 'heartbeatSeconds'
        | 'login'
      >
    >,
  ): void {
    Object.assign(this.options, change);
    if (change.login) this.logins.throttle.configure(change.login);
  }

  /**
   * Handle one request from a connected user. Never throws: refusals go to the
   * peer. Requests of one connection run one at a time, in the order handed
   * over (§4 "Order"): the next starts only once this one's store writes have
   * committed and been fanned out, so everything a connection causes reaches
   * every recipient, and its answers reach it, in the order it was sent.
   */
  handle(user: User, req: Request): void {
    if (req.type === 'say' && this.store.pipelinesAppends) {
      // Pipelining: a say behind a say that is still waiting for its commit
      // is appended now, not after (the store takes its seq at once and
      // commits, publishes and resolves in append order), so a sender's
      // backlog goes into one group commit instead of one commit per line.
      // Its answer still waits for the previous say's (§4 "Order"); any other
      // request (or a say behind one) keeps waiting its turn below.
      const tail = user.sayTail;
      if (tail && user.busy && !user.waiting?.length) {
        user.sayTail = this.pipelineSay(user, req, tail);
        return;
      }
      this.inOrder(user, () => this.run(user, req), true);
      return;
    }
    this.inOrder(user, () => this.run(user, req));
  }

  /** A pipelined say (handle): appended now, answered once `after` has settled. Never rejects. */
  private pipelineSay(user: User, req: RequestOf<'say'>, after: Promise<void>): Promise<void> {
    if (!user.connected) return after;
    user.lastActive = this.now();
    const answer = storeSay(this, user, req).then(
      (a) => a.send,
      (err: unknown) => () => this.refuse(user, err, req.id),
    );
    return after
      .then(() => answer)
      .then((send) => send())
      .catch((err: unknown) => this.options.onInternalError?.(err, 'answering a pipelined say'));
  }

  /** Send `event` to the user after the answers to everything handed over before it. */
  answer(user: User, event: ServerEvent): void {
    this.inOrder(user, () => user.peer.send(event));
  }

  /** Run `then` once everything handed over for this user so far is done (a close). */
  afterPending(user: User, then: () => void): void {
    this.inOrder(user, then);
  }

  /**
   * The user's connection ended: once what it sent before is carried out,
   * remove the user (§4 "Order": a quit never overtakes the user's last message).
   */
  leave(user: User, reason: string): void {
    this.inOrder(user, () => this.disconnect(user, reason));
  }

  private run(user: User, req: Request): void | Promise<void> {
    if (!user.connected) return;
    // Heartbeats keep a connection alive; they do not make its user less idle (/whois).
    if (req.type !== 'ping' && req.type !== 'pong') user.lastActive = this.now();
    try {
      const pending = runCommand(this, user, req);
      if (pending) return pending.catch((err: unknown) => this.refuse(user, err, req.id));
    } catch (err) {
      this.refuse(user, err, req.id);
    }
  }

  /**
   * Run `job` after the user's earlier jobs. A synchronous job costs no
   * promise; an asynchronous one holds the queue until it settles. The store
   * publishes an append before it resolves it, so by then the Bus has fanned
   * the message out on this node.
   */
  inOrder(user: User, job: () => void | Promise<void>, isSay = false): void {
    if (user.busy) {
      (user.waiting ??= []).push(job);
      return;
    }
    let next: (() => void | Promise<void>) | undefined = job;
    while (next) {
      user.busy = true;
      let pending: void | Promise<void> = undefined;
      try {
        pending = next();
      } catch (err) {
        // Jobs handle their own refusals; a throw here is a bug, not the user's.
        this.options.onInternalError?.(err, 'running a request in order');
      }
      if (pending) {
        // A say waiting for its commit lets later says be pipelined behind it (handle).
        const mine = pending;
        if (isSay && next === job) user.sayTail = mine;
        const resume = (settled: Promise<void>): void => {
          // Pipelined says are still out: the queue moves on after the last one.
          const tail = user.sayTail;
          if (tail !== undefined && tail !== settled) {
            const next = (): void => resume(tail);
            void tail.then(next, next);
            return;
          }
          user.sayTail = undefined;
          user.busy = false;
          const after = user.waiting?.shift();
          if (after) this.inOrder(user, after);
        };
        pending.then(
          () => resume(mine),
          (err: unknown) => {
            this.options.onInternalError?.(err, 'running a request in order');
            resume(mine);
          },
        );
        return;
      }
      user.busy = false;
      next = user.waiting?.shift();
    }
    if (user.waiting?.length === 0) user.waiting = undefined;
  }

  /** Add a user to a room, announce it and replay the room's recent history (§2, §3 /join). */
  async join(user: User, room: Room, history = this.options.historyOnJoin): Promise<void> {
    this.addMember(user, room);
    const target = roomTarget(this, user, room);
    user.hold(target.key);
    let read;
    try {
      await room.stream.ready;
      read = await readReplay(
        this,
        user,
        target,
        { after: undefined, epoch: undefined },
        Math.min(history, this.options.historyOnJoin),
      );
    } finally {
      finishReplay(this, user, target, read);
    }
  }

  /**
   * Give a user a new alias, signed in to `account` (or none): the old alias
   * is free at once, and neighbours are told (§3 /nick). A guest keeps its
   * private stream across /nick; moving to or from an account changes it.
   * A new alias is claimed first (its lease decides between nodes).
   */
  async rename(
    user: User,
    name: Name,
    account: AccountRecord | undefined = user.account,
  ): Promise<void> {
    const old = user.name;
    if (old.key !== name.key) {
      if (!account) await this.cluster.assertNoRemoteLookalike(name);
      const lease = await this.cluster.claim(name, user.peer.id, account, {
        takeover: false,
        ...(!account && { guestId: user.guestId }),
      });
      if (!user.connected) {
        void this.options.leases.release(lease.key, lease.token).catch(() => undefined);
        return;
      }
      void this.cluster.releaseLease(user);
      user.lease = lease;
      user.leaseConfirmedAt = this.now();
      this.cluster.unmarkPresent(old.key, ['*', ...user.rooms.keys()]);
    }
    this.logins.removeUser(user);
    user.name = name;
    this.logins.addUser(user);
    this.setAccount(user, account);
    void this.cluster.markPresent(user);
    if (old.display !== name.display)
      this.audit({ action: 'nick', actor: old.display, target: name.display });
    this.announce(
      [...user.rooms.values()],
      this.system('nick', { user: old.display, name: name.display }),
      user,
    );
  }

  /** Sign a user in to an account (/nick, /register): the private stream follows the identity. */
  setAccount(user: User, account: AccountRecord | undefined): void {
    const before = user.privateStream;
    user.account = account;
    this.streams.rebindPrivate(user, before);
  }

  /** Set (text '') a room's topic: stored first, so an acknowledged topic survives a restart. */
  async setTopic(room: Room, text: string, by: User): Promise<void> {
    const record = { text, by: by.name.display, at: this.now() };
    await this.options.store.setTopic(room.name.key, record);
    [room.topic, room.topicBy, room.topicAt] = [record.text, record.by, record.at];
    this.topics.set(room.name.key, record);
    this.audit({ action: 'topic', actor: by.name.display, room: room.name.display });
  }

  /** Remove a user from the chat: everyone who shares a room, and the user, see who and why. */
  eject(target: User, by: User, reason: string | undefined): void {
    this.ejectBy(target, by.name.display, reason, by);
  }

  /** `operator`: the operator's session when on this node (it reads the kick line too). */
  ejectBy(target: User, by: string, reason: string | undefined, operator?: User): void {
    const event = this.system('kick', {
      user: target.name.display,
      by,
      ...(reason && { reason }),
    });
    target.peer.send(event);
    // The operator reads the very line the room and the kicked user read (who
    // kicked whom and why, docs/protocol.md §2), also from outside the rooms.
    const told =
      operator === undefined ||
      operator === target ||
      [...target.rooms.values()].some((r) => !this.isBig(r) && r.members.has(operator));
    this.transfers.leave(target, 'was kicked');
    this.disconnect(target, reason ?? 'kicked', event);
    if (!told) this.deliver(operator, event);
    target.peer.close('kicked');
  }

  /** Remove a user whose connection ended; `reason` is shown to the others. */
  disconnect(
    user: User,
    reason: string,
    event = this.system('quit', { user: user.name.display, reason }),
  ): void {
    if (!user.connected) return;
    user.connected = false;
    // A dropped connection may come back and resume (§5); leaving for good ends them first.
    this.transfers.suspend(user);
    this.announce([...user.rooms.values()], event, user, 'left');
    this.cluster.unmarkPresent(user.name.key, ['*', ...user.rooms.keys()]);
    for (const room of [...user.rooms.values()]) this.removeMember(user, room);
    this.logins.removeUser(user);
    this.streams.unsubscribePrivate(user);
    void this.cluster.releaseLease(user);
  }

  /**
   * Tell a system event about `subject` to everyone in these rooms, on every
   * node, once each however many of the rooms they share; in big rooms a
   * join or leave is aggregated instead (§6). Other nodes hear it as a signal.
   */
  private announce(
    rooms: Room[],
    event: SystemEvent,
    subject: User | undefined,
    presence?: 'joined' | 'left',
  ): void {
    const p = presence && subject ? { kind: presence, name: subject.name.display } : undefined;
    const keys = rooms.map((r) => r.name.key);
    this.announceHere(keys, event, subject?.name.key, p);
    this.cluster.sendSignal({
      t: 'announce',
      node: this.options.node,
      rooms: keys,
      event,
      ...(subject && { except: subject.name.key }),
      ...(p && { presence: p }),
    });
  }

  /** This node's share of an announce: its members of the rooms. */
  announceHere(
    roomKeys: string[],
    event: SystemEvent,
    except: string | undefined,
    presence: { kind: 'joined' | 'left'; name: string } | undefined,
  ): void {
    const recipients = new Set<User>();
    for (const key of roomKeys) {
      const room = this.rooms.get(key);
      if (!room) continue;
      if (presence && this.isBig(room)) this.queuePresence(room, presence.kind, presence.name);
      else for (const m of room.members) if (m.name.key !== except) recipients.add(m);
    }
    for (const n of recipients) this.deliver(n, event);
  }

  /** Tell everyone the server is going away (§8); the caller closes the connections. */
  shutdown(reason?: string): void {
    this.accountWatch.stop();
    this.cluster.stop();
    for (const room of this.rooms.values()) this.clock.clearTimeout(room.presenceTimer);
    this.transfers.shutdown();
    const event = this.system('shutdown', reason ? { reason } : {});
    for (const user of this.users.values()) user.peer.send(event);
  }

  /** Send a refusal for a failed request to its requester. */
  refuse(user: User, err: unknown, id: string | undefined): void {
    const e = toChatError(err);
    if (e.code === 'internal') this.options.onInternalError?.(err, 'handling a request');
    user.peer.send({
      type: 'error',
      ...(id !== undefined && { id }),
      code: e.code,
      message: e.message,
      ...(e.retryAfterMs !== undefined && { retryAfterMs: e.retryAfterMs }),
    });
  }

  /** Build a system event stamped now. */
  system(
    event: SystemEvent['event'],
    fields: Omit<SystemEvent, 'type' | 'event' | 'ts'>,
  ): SystemEvent {
    return { type: 'system', event, ts: this.timestamp(), ...fields };
  }

  /**
   * Send an event to one user. Events of a stream (`stream` given: a room key
   * or `@`) wait while that stream is being replayed to the user, and are
   * dropped when their seq was already delivered.
   */
  deliver(user: User, event: ServerEvent, stream?: string): void {
    if (stream !== undefined && 'seq' in event && event.seq !== undefined) {
      const buffer = user.holding(stream);
      if (buffer) {
        buffer.push([event, stream]);
        return;
      }
      if (user.alreadySent(stream, event.seq)) return;
    }
    user.peer.send(event);
  }

  /** Send a system event to every member of a room, on every node, except `except`. */
  broadcast(room: Room, event: SystemEvent, except?: User): void {
    this.announce([room], event, except);
  }

  /** Send one event object to this node's members of a room (split horizon). */
  broadcastHere(room: Room, event: ServerEvent): void {
    for (const m of room.members) this.deliver(m, event);
  }

  /** The room with this name, created (and subscribed) when new. */
  room(name: Name): Room {
    return this.streams.room(name);
  }

  /** The wire form of a stored room message. */
  messageEvent(room: Room, m: StoredMessage, reader?: User): MessageEvent {
    return this.streams.messageEvent(room, m, reader);
  }

  /** The wire form of a stored private message addressed to `user`. */
  privateEvent(m: StoredMessage, user: User): PrivateEvent {
    return this.streams.privateEvent(m, user);
  }

  /** The whole handshake check of §2; see Logins.login. */
  login(
    peer: Peer,
    hello: Pick<Hello, 'name' | 'password' | 'history' | 'resume' | 'bot' | 'session'>,
  ): Promise<User> {
    return this.logins.login(peer, hello);
  }

  /** Refuse a guest alias that looks like a registered account other than `own` (§2). */
  assertNotLikeAccount(name: Name, own?: AccountRecord): Promise<void> {
    return this.logins.assertNotLikeAccount(name, own);
  }

  /** A new account (/register) is a name guests may no longer imitate. */
  accountCreated(account: AccountRecord): void {
    this.logins.accountCreated(account);
  }

  /** Check an account's password, slowed and refused after failures (§2). */
  checkPassword(address: string, account: AccountRecord, password: string): Promise<void> {
    return this.logins.checkPassword(address, account, password);
  }

  /** Throw `alias_taken` when the alias, or one that looks like it, is online. */
  assertAliasFree(name: Name, self?: User, account?: AccountRecord): void {
    this.logins.assertAliasFree(name, self, account);
  }

  /** Look up a room a user names, defaulting to the current one; must be a member. */
  memberRoom(user: User, raw: string | undefined): Room {
    if (raw === undefined) return user.current;
    const name = parseRoom(raw);
    const room = user.rooms.get(name.key);
    if (!room) throw new ChatError('not_member', `You are not in ${name.display}; /join it first`);
    return room;
  }

  /** Find an online user by alias, or throw `not_found`. */
  findUser(raw: string): User {
    const user = this.users.get(foldKey(raw.trim()));
    if (!user) throw new ChatError('not_found', `Unknown user: ${raw.trim().slice(0, 40)}`);
    return user;
  }

  /** `quiet`: the user is back in a room it never left as far as the others know (§9). */
  addMember(user: User, room: Room, quiet = false): void {
    if (user.rooms.has(room.name.key)) return;
    if (!quiet)
      this.announce(
        [room],
        this.system('join', { room: room.name.display, user: user.name.display }),
        user,
        'joined',
      );
    room.members.add(user);
    user.rooms.set(room.name.key, room);
    if (user.lease) void this.cluster.markPresent(user, [room]);
  }

  /** Announce that `user` left `room` (part or kick), aggregated in big rooms. */
  announceLeave(room: Room, user: User, event: SystemEvent): void {
    this.announce([room], event, user, 'left');
  }

  private isBig(room: Room): boolean {
    return room.members.size > this.options.announceLimit;
  }

  /** §6 "Big rooms": N joins cost one notice per second, not N lines to N members. */
  private queuePresence(room: Room, kind: 'joined' | 'left', name: string): void {
    (kind === 'joined' ? room.pendingJoined : room.pendingLeft).push(name);
    room.presenceTimer ??= this.clock.setTimeout(() => {
      room.presenceTimer = undefined;
      const joined = room.pendingJoined.splice(0);
      const left = room.pendingLeft.splice(0);
      if (room.members.size === 0) return;
      this.broadcastHere(room, this.system('presence', { room: room.name.display, joined, left }));
    }, 1000);
  }

  removeMember(user: User, room: Room): void {
    room.members.delete(user);
    user.rooms.delete(room.name.key);
    user.release(room.name.key);
    user.forgetStream(room.name.key);
    if (user.connected && user.lease) this.cluster.leftRoom(user, room.name.key);
    if (room.members.size === 0 && room.name.key !== LOBBY.key) {
      this.clock.clearTimeout(room.presenceTimer);
      this.rooms.delete(room.name.key);
      void this.options.bus.unsubscribe(room.name.key);
      room.stream.reached();
    }
  }

  /**
   * Store a user's room message with `append`, then acknowledge it with `ack`
   * exactly where the message is in the room's stream as this user sees it:
   * after every earlier message, before every later one (split horizon: the
   * ack is how the sender sees its own line). While the append is under way
   * the room's live messages for this user wait; they are sorted around the
   * ack once its seq is known.
   */
  async appendInOrder<T extends { seq: number }>(
    user: User,
    room: Room,
    append: () => Promise<T>,
    ack: (m: T) => void,
  ): Promise<void> {
    const key = room.name.key;
    // A replay of this room is under way (it holds already): it sorts itself out.
    const mine = user.holding(key) === undefined;
    if (mine) user.hold(key);
    /** Let the held messages go, those before `seq` first, then `between`, then the rest. */
    const release = (seq: number, between: () => void): void => {
      const held = user.release(key);
      const seqOf = (e: ServerEvent): number => ('seq' in e ? (e.seq ?? 0) : 0);
      for (const [e, st] of held) if (seqOf(e) < seq) this.deliver(user, e, st);
      between();
      for (const [e, st] of held) if (seqOf(e) >= seq) this.deliver(user, e, st);
    };
    let m: T;
    try {
      m = await append();
    } catch (err) {
      if (mine) release(Infinity, () => undefined);
      throw err;
    }
    if (!mine) ack(m);
    else await this.atSeq(room, m.seq, () => release(m.seq, () => ack(m)));
  }

  /**
   * Run `then` (a sender's ack) once this node has delivered `room`'s
   * messages up to `seq`, in the same step as that seq; at once when it has
   * already. In one process the store publishes before it answers, so that is
   * always at once; with Redis the message's own announcement may come after
   * the script's reply, and another node's next message may come before it.
   */
  atSeq(room: Room, seq: number, then: () => void): Promise<void> {
    const follower = room.stream.follower;
    if (!follower || follower.position.last >= seq || this.rooms.get(room.name.key) !== room) {
      then();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let done = false;
      const job = (): void => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        then();
        resolve();
      };
      // Should the announcement never come (the Bus is down and no resync
      // follows), answer anyway rather than hold the connection's queue.
      const timer = this.clock.setTimeout(() => room.stream.reached(seq), AT_SEQ_TIMEOUT_MS);
      timer.unref();
      room.stream.atSeq ??= new Map();
      const jobs = room.stream.atSeq.get(seq) ?? [];
      jobs.push(job);
      room.stream.atSeq.set(seq, jobs);
    });
  }
}
