/**
 * The chat domain: users, rooms, presence and routing. It imports no I/O: it
 * talks to connections through Peer, to persistence through Store and to other
 * nodes through Bus, and emits typed ServerEvents that codecs turn into bytes.
 * Chat holds the state and implements `ChatContext`; the work is done by its
 * parts, one responsibility each: RequestOrder (request-order.ts), Announcer
 * (announce.ts), Membership (membership.ts), Logins (login.ts), Welcomes
 * (welcome.ts), Streams (streams.ts), Cluster (cluster.ts), ack-order.ts.
 */
import { DroppedGuests } from './dropped-guests.js';
import type { Limits, Request, ServerEvent, SystemEvent } from '../protocol/messages.js';
import type { AuditRecord, Store, TopicRecord } from '../store/store.js';
import { ChatError } from '../protocol/errors.js';
import { systemClock, type Clock } from './clock.js';
import { AccountWatch } from './account-watch.js';
import { answerInPlace, atSeq, dropSay, holdForSay } from './ack-order.js';
import { Announcer } from './announce.js';
import type { ChatOptions } from './chat-options.js';
import { Moderation } from './moderation.js';
import { Cluster, type ClusterHost } from './cluster.js';
import { Logins } from './login.js';
import { Membership } from './membership.js';
import { RequestOrder } from './request-order.js';
import { Streams } from './streams.js';
import { Welcomes } from './welcome.js';
import type { CommandSpec } from '../protocol/commands.js';
import type { ChatContext } from './commands/context.js';
import { isAvailable } from './commands/index.js';
import type { Room, User } from './model.js';
import { Transfers } from './transfers.js';
import { OnlineUsers } from './online-users.js';
import { foldKey, LOBBY, parseRoomArg } from '../protocol/names.js';

export type { ChatOptions } from './chat-options.js';

export class Chat implements ChatContext {
  readonly users = new OnlineUsers();
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
  /** Room and private message streams followed on this node, and their fan-out. */
  readonly streams = new Streams(this);
  /** The handshake's checks and the index of who is online. */
  readonly logins = new Logins(this);
  /** Admitting a user: rooms, streams, the welcome and its replay. */
  readonly welcomes = new Welcomes(this);
  /** The order of each user's requests and answers (§4 "Order"). */
  readonly order = new RequestOrder(this);
  /** Delivery, announcements to rooms on every node, big rooms' aggregate presence. */
  readonly announcer = new Announcer(this);
  /** Rooms joined and left, renames, leaving the chat. */
  readonly membership = new Membership(this);
  /**
   * Persisted topics by room key, read once by load(): a room is created
   * synchronously on join, and its topic must be there at once (§3 /topic).
   */
  readonly topics = new Map<string, TopicRecord>();

  // The rest of ChatContext, and the sessions' face of the chat: carried out
  // by the parts above, and documented where they live (and on ChatContext).
  readonly nowMs = (): number => this.now();
  readonly offers = (spec: CommandSpec): boolean => isAvailable(spec);
  readonly handle = (user: User, req: Request): void => this.order.handle(user, req);
  readonly answer = (user: User, event: ServerEvent): void => this.order.answer(user, event);
  readonly afterPending = (user: User, then: () => void): void =>
    this.order.afterPending(user, then);
  readonly leave = (user: User, reason: string): void => this.order.leave(user, reason);
  readonly join: ChatContext['join'] = (user, room, history) =>
    this.membership.join(user, room, history);
  readonly rename: ChatContext['rename'] = (user, name, account) =>
    this.membership.rename(user, name, account);
  readonly setAccount: ChatContext['setAccount'] = (user, account) =>
    this.membership.setAccount(user, account);
  readonly removeMember: ChatContext['removeMember'] = (user, room) =>
    this.membership.removeMember(user, room);
  readonly disconnect: ChatContext['disconnect'] = (user, reason, event) =>
    this.membership.disconnect(user, reason, event);
  readonly eject: ChatContext['eject'] = (target, by, reason) =>
    this.membership.ejectBy(target, by.name.display, reason, by);
  readonly ejectBy: ClusterHost['ejectBy'] = (target, by, reason) =>
    this.membership.ejectBy(target, by, reason);
  readonly deliver: Announcer['deliver'] = (user, event, stream) =>
    this.announcer.deliver(user, event, stream);
  readonly broadcast: ChatContext['broadcast'] = (room, event, except) =>
    this.announcer.announce('length' in room ? [...room] : [room], event, except);
  readonly announceLeave: ChatContext['announceLeave'] = (...args) =>
    this.announcer.announceLeave(...args);
  readonly announceHere: ClusterHost['announceHere'] = (...args) =>
    this.announcer.announceHere(...args);
  readonly holdForSay: ChatContext['holdForSay'] = holdForSay;
  readonly answerInPlace: ChatContext['answerInPlace'] = (...args) => answerInPlace(this, ...args);
  readonly dropSay: ChatContext['dropSay'] = (...args) => dropSay(this, ...args);
  readonly afterFanOut: ChatContext['afterFanOut'] = (...args) => atSeq(this, ...args);
  readonly isOperator: ChatContext['isOperator'] = (user) => this.accountWatch.isOperator(user);
  readonly checkAccounts = (): Promise<void> => this.accountWatch.check();
  readonly renewAll = (): Promise<void> => this.cluster.renewAll();
  readonly whoIn: ChatContext['whoIn'] = (roomKey, local) => this.cluster.whoIn(roomKey, local);
  readonly remoteUser: ChatContext['remoteUser'] = (raw) => this.cluster.remoteUser(raw);
  readonly droppedGuests = new DroppedGuests();
  readonly droppedGuest: ChatContext['droppedGuest'] = (key) =>
    this.droppedGuests.find(key, this.now());
  readonly remotePresence: ChatContext['remotePresence'] = () => this.cluster.remotePresence();
  /** The last read of mutes and topic locks that another node's signal started. */
  private moderationRead: Promise<void> = Promise.resolve();
  /** Another node changed a mute or a topic lock: read them again. */
  readonly reloadModeration: ClusterHost['reloadModeration'] = () => {
    this.moderationRead = this.moderation
      .load()
      .catch((err: unknown) => this.options.onInternalError?.(err, 'reading mutes'));
  };
  readonly tellHere: ClusterHost['tellHere'] = (user, event) =>
    void this.moderationRead.then(() => {
      if (user.connected) this.deliver(user, event);
    });
  /**
   * Another node stored a topic (§9): shown here at once, so a join that
   * follows the room's `topic` event shows it too. Two nodes setting one
   * topic together may hear each other in either order; the store's last
   * write, read again, settles it the same on every node.
   */
  readonly topicChanged: ClusterHost['topicChanged'] = (roomKey, topic) => {
    this.applyTopic(roomKey, topic);
    this.options.store.getTopic(roomKey).then(
      (stored) => stored && this.applyTopic(roomKey, stored),
      (err: unknown) => this.options.onInternalError?.(err, 'reading a topic'),
    );
  };
  /**
   * Ignores follow a rename (§3 /ignore): whoever here ignores the old alias
   * ignores the new one too, stored like an /ignore. Otherwise /nick was a
   * way out of every ignore list at once.
   */
  readonly followRename: ClusterHost['followRename'] = (from, to) => {
    for (const u of this.users.values()) {
      if (!u.isIgnoring(from) || u.isIgnoring(to.key) || u.name.key === to.key) continue;
      u.ignore(to.key, to.display);
      this.options.store
        .setIgnore(u.identity, to.key, to.display)
        .catch((err: unknown) => this.options.onInternalError?.(err, 'storing an ignore'));
    }
  };
  readonly tellRemote: ChatContext['tellRemote'] = (key, event) =>
    this.cluster.tellRemote(key, event);
  readonly ejectRemote: ChatContext['ejectRemote'] = (key, by, reason) =>
    this.cluster.ejectRemote(key, by, reason);
  readonly applyBan: ChatContext['applyBan'] = (ban, by) => this.cluster.applyBan(ban, by);
  readonly room: ChatContext['room'] = (name) => this.streams.room(name);
  readonly messageEvent: ChatContext['messageEvent'] = (room, m, reader) =>
    this.streams.messageEvent(room, m, reader);
  readonly privateEvent: Streams['privateEvent'] = (m, user) => this.streams.privateEvent(m, user);
  readonly login: Logins['login'] = (peer, hello) => this.logins.login(peer, hello);
  readonly assertNotLikeAccount: ChatContext['assertNotLikeAccount'] = (name, own) =>
    this.logins.assertNotLikeAccount(name, own);
  readonly assertNameNotBanned: ChatContext['assertNameNotBanned'] = (name, account) =>
    this.logins.assertNameNotBanned(name, account);
  readonly accountCreated: ChatContext['accountCreated'] = (account) =>
    this.logins.accountCreated(account);
  readonly checkPassword: ChatContext['checkPassword'] = (peer, account, password) =>
    this.logins.checkPassword(peer, account, password);
  readonly assertAliasFree: ChatContext['assertAliasFree'] = (name, self, account) =>
    this.logins.assertAliasFree(name, self, account);

  constructor(readonly options: ChatOptions) {
    this.clock = options.clock ?? systemClock;
    this.now = () => this.clock.now();
    this.transfers = new Transfers(this, options.transfers, options.onTransferEnd);
    this.cluster = new Cluster(this, options);
    if (options.login) this.logins.throttle.configure(options.login);
    this.moderation = new Moderation(this.now, options.store, () =>
      this.cluster.sendSignal({ t: 'moderation', node: options.node }),
    );
    this.accountWatch = new AccountWatch(
      {
        users: this.users,
        store: options.store,
        clock: this.clock,
        endSession: (user, why) => this.membership.signOut(user, why),
        operatorChanged: (user, operator) => {
          void this.cluster.accountChanged(user);
          for (const room of user.rooms.values()) {
            for (const member of room.members) {
              member.peer.operatorChanged?.(room.name.display, user.name.display, operator);
            }
          }
        },
        onError: (err) => options.onInternalError?.(err, 'reading accounts'),
      },
      options.accountCheckMs,
    );
    // After the Bus reconnects, every stream re-reads what it may have missed.
    // A read that fails (the store still away) is reported, never left to
    // reject unhandled (that ends the process); the next gap or resync retries.
    options.bus.onResync(() => {
      const failed = (err: unknown): void => options.onInternalError?.(err, 'resyncing a stream');
      for (const room of this.rooms.values()) room.stream.follower?.resync().catch(failed);
      this.streams.resyncPrivates(failed);
      // Other nodes' signals sent meanwhile were lost too: read what they changed.
      this.reloadModeration();
      this.options.store.listTopics().then(
        (topics) => topics.forEach((t, room) => this.applyTopic(room, t)),
        (err: unknown) => options.onInternalError?.(err, 'reading topics'),
      );
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

  /** The current time as the protocol's ISO timestamp. */
  timestamp(): string {
    return new Date(this.now()).toISOString();
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

  /** Set (text '') a room's topic: stored first, so an acknowledged topic survives a restart. */
  async setTopic(room: Room, text: string, by: User): Promise<void> {
    const record = { text, by: by.name.display, at: this.now() };
    await this.options.store.setTopic(room.name.key, record);
    this.applyTopic(room.name.key, record);
    // Sent before the room's `topic` event (one sender's signals keep their
    // order): a node shows the new topic by the time its members hear of it.
    this.cluster.sendSignal({
      t: 'topic',
      node: this.options.node,
      room: room.name.key,
      topic: record,
    });
    this.audit({ action: 'topic', actor: by.name.display, room: room.name.display });
  }

  /** A room's topic as this node shows it: on the room if loaded, and when it is created. */
  private applyTopic(roomKey: string, topic: TopicRecord): void {
    this.topics.set(roomKey, topic);
    const room = this.rooms.get(roomKey);
    if (room) [room.topic, room.topicBy, room.topicAt] = [topic.text, topic.by, topic.at];
  }

  /** Tell everyone the server is going away (§8); the caller closes the connections. */
  shutdown(reason?: string): void {
    this.accountWatch.stop();
    this.cluster.stop();
    for (const room of this.rooms.values()) this.announcer.stopPresence(room);
    this.transfers.shutdown();
    const event = this.system('shutdown', reason ? { reason } : {});
    for (const user of this.users.values()) user.peer.send(event);
  }

  /** Build a system event stamped now. */
  system(
    event: SystemEvent['event'],
    fields: Omit<SystemEvent, 'type' | 'event' | 'ts'>,
  ): SystemEvent {
    return { type: 'system', event, ts: this.timestamp(), ...fields };
  }

  /** Look up a room a user names, defaulting to the current one; must be a member. */
  memberRoom(user: User, raw: string | undefined): Room {
    if (raw === undefined) return user.current;
    const name = parseRoomArg(raw);
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
}
