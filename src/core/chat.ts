/**
 * The chat domain: users, rooms, presence and routing. It imports no I/O: it
 * talks to connections through Peer, to persistence through Store and to other
 * nodes through Bus, and emits typed ServerEvents that codecs turn into bytes.
 */
import type { Bus } from '../bus/bus.js';
import { StreamFollower } from '../bus/follower.js';
import type { Lease, LeaseStore, Owner } from '../store/lease.js';
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
import { WELCOME_MEMBERS } from '../protocol/messages.js';
import type {
  AccountRecord,
  AuditRecord,
  BanRecord,
  Store,
  StoredMessage,
  TopicRecord,
} from '../store/store.js';
import { ChatError, PasswordNeeded, toChatError } from '../protocol/errors.js';
import { systemClock, type Clock, type Timer } from './clock.js';
import { LoginThrottle, type ThrottleOptions } from './login-throttle.js';
import { verifyPassword } from './passwords.js';
import { AccountWatch, applyAccount, type AccountWatchHost } from './account-watch.js';
import { Moderation } from './moderation.js';
import { guestIdOf, newSessionToken } from './guest-session.js';
import { banApplies } from '../store/ban-match.js';
import type { CommandSpec, RequestOf } from '../protocol/commands.js';
import type { ChatContext } from './commands/context.js';
import { isAvailable, runCommand } from './commands/index.js';
import { storeSay } from './commands/say.js';
import { Followed, Room, User, type Peer } from './model.js';
import { Transfers, type TransferLimits } from './transfers.js';
import { foldKey, LOBBY, parseAlias, parseRoom, skeleton, type Name } from '../protocol/names.js';
import {
  finishReplay,
  privateTarget,
  readReplay,
  resumePoint,
  resumeRooms,
  roomTarget,
  type ResumeFrom,
} from './replay.js';

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
   * Alias ownership and presence (CLUSTER.md leases): MemoryLeases in one
   * process, the Redis store in cluster mode; one code path either way.
   */
  leases: LeaseStore;
  /** This process's id among the nodes (unique per start). */
  node: string;
  /** How long an alias lease lasts unless renewed (renewed every third of it). Default 15 s. */
  leaseMs?: number;
}

/**
 * A notice between nodes (Bus.signal): system events for rooms whose members
 * may be on other nodes, and requests to the node that holds a user.
 */
type Signal =
  | {
      t: 'announce';
      node: string;
      /** Room keys: each node delivers `event` once to each of its members of any of them. */
      rooms: string[];
      event: SystemEvent;
      /** Folded alias of the user the event is about (not told). */
      except?: string;
      /** Big rooms aggregate this instead (§6). */
      presence?: { kind: 'joined' | 'left'; name: string };
    }
  | { t: 'eject'; node: string; key: string; by: string; reason?: string }
  /** A ban was recorded: each node removes whoever of its users it covers. */
  | { t: 'ban'; node: string; ban: BanRecord }
  | { t: 'takeover'; node: string; key: string; session: string };

/** The store (Redis) could not be reached: refused with a code clients can act on. */
function unavailable(): ChatError {
  return new ChatError(
    'unavailable',
    'The server cannot reach its shared store right now; try again shortly',
  );
}

/** How long the look-alike check trusts its copy of the account list (§2). */
const ACCOUNT_CACHE_MS = 5000;
/** What a banned user is told: until when, and why, when the operator said. */
function banMessage(ban: BanRecord): string {
  const until = ban.expires === undefined ? '' : ` until ${new Date(ban.expires).toISOString()}`;
  return `You are banned from this server${until}${ban.reason ? ` (${ban.reason})` : ''}`;
}

export class Chat implements ChatContext {
  readonly users = new Map<string, User>();
  readonly rooms = new Map<string, Room>();
  readonly clock: Clock;
  private readonly now: () => number;
  private readonly throttle: LoginThrottle;
  /** File transfers relayed between users (§5). */
  readonly transfers: Transfers;
  /** Mutes and topic locks (§3). */
  readonly moderation: Moderation;
  /** Password resets, removals and operator changes made with the CLI reach live sessions (§2). */
  private readonly accountWatch: AccountWatch;
  /** Private streams followed on this node, by folded alias. */
  private readonly privates = new Map<string, Followed>();
  private readonly leaseMs: number;
  private renewTimer: Timer | undefined;
  private renewing = false;
  /** Online users by look-alike skeleton (§2): a guest may not look like any of them. */
  private readonly lookalikes = new Map<string, Set<User>>();
  /** Accounts by skeleton, read from the store at most every ACCOUNT_CACHE_MS. */
  private accountSkeletons: { at: number; map: Map<string, AccountRecord> } | undefined;
  /**
   * Persisted topics by room key, read once by load(): a room is created
   * synchronously on join, and its topic must be there at once (§3 /topic).
   */
  readonly topics = new Map<string, TopicRecord>();

  constructor(readonly options: ChatOptions) {
    this.clock = options.clock ?? systemClock;
    this.now = () => this.clock.now();
    this.throttle = new LoginThrottle(options.login, this.now);
    this.transfers = new Transfers(this, options.transfers, options.onTransferEnd);
    this.moderation = new Moderation(this.now);
    this.watchHost = {
      users: this.users,
      store: options.store,
      endSession: (user, why) => this.endSession(user, why),
      onError: (err) => options.onInternalError?.(err, 'reading accounts'),
    };
    this.accountWatch = new AccountWatch(
      this.watchHost,
      options.accountCheckMs ?? ACCOUNT_CACHE_MS,
    );
    this.leaseMs = options.leaseMs ?? 15_000;
    // After the Bus reconnects, every stream re-reads what it may have missed.
    options.bus.onResync(() => {
      for (const room of this.rooms.values()) void room.stream.follower?.resync();
      for (const p of this.privates.values()) void p.follower?.resync();
    });
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

  private readonly watchHost: AccountWatchHost;

  /** End a session whose account changed under it (reset password, removed account). */
  private endSession(user: User, why: string): void {
    user.peer.send({ type: 'error', code: 'auth_required', message: `Signed out: ${why}` });
    this.disconnect(user, 'signed out');
    user.peer.close('account changed');
  }

  /** Go live: hear other nodes' signals and keep this node's leases renewed. */
  async start(): Promise<void> {
    await this.options.bus.onSignal((payload) => this.onSignal(payload));
    this.renewTimer ??= this.clock.setInterval(() => {
      this.dropUnconfirmed();
      void this.renewAll();
    }, this.leaseMs / 3);
    this.renewTimer.unref();
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

  /** Read what the core keeps in memory from the store (topics); call before serving. */
  async load(): Promise<void> {
    this.accountWatch.start();
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

  nowMs(): number {
    return this.now();
  }

  /**
   * The whole handshake check of §2: alias rules, bans, the account's
   * password (slowed, then refused, after repeated failures from one
   * address), `--require-account`, and uniqueness, where the right password
   * takes an alias over from its old connection (no ghosts). Resolves with
   * the admitted user; rejects with a ChatError (PasswordNeeded when the
   * alias is registered and no password was given).
   */
  async login(
    peer: Peer,
    hello: Pick<Hello, 'name' | 'password' | 'history' | 'resume' | 'bot' | 'session'>,
  ): Promise<User> {
    const name = parseAlias(hello.name);
    this.throttle.assertAllowed(peer.address);
    const store = this.options.store;
    const account = await store.getAccount(name.key);
    const ban = await store.findBan({
      ...(account && { accountKey: account.key }),
      aliasKey: name.key,
      address: peer.address,
      now: this.now(),
    });
    if (ban) throw new ChatError('banned', banMessage(ban));
    if (account) {
      // A locked account is said before its password is asked for.
      this.throttle.assertAccountAllowed(peer.address, account.key, account.name);
      if (hello.password === undefined) throw new PasswordNeeded(account.name);
      await this.checkPassword(peer.address, account, hello.password);
    } else if (this.options.requireAccount) {
      throw new ChatError(
        'auth_required',
        'This server admits registered accounts only; ask an operator to create yours',
      );
    } else if (hello.session !== undefined) {
      // The same guest coming back (its token proves it): its old connection,
      // a ghost after a cut, gives way like an account's would.
      const guestId = guestIdOf(hello.session);
      for (const u of this.users.values()) {
        if (!u.account && u.guestId === guestId) this.takeOver(u);
      }
    }
    if (!account) await this.assertNotLikeAccount(name);
    // On a server for accounts only, the name others see is the account's, as registered.
    const shownName = this.options.requireAccount && account ? parseAlias(account.name) : name;
    // A guest's session token (kept from an earlier welcome, or new) is its
    // identity; it proves the guest when it comes back through another node.
    const session = account ? undefined : (hello.session ?? newSessionToken());
    const guestId = session === undefined ? undefined : guestIdOf(session);
    // The right password (or a guest's own token) takes the alias over from
    // wherever it is held (no ghosts).
    const lease = await this.claim(shownName, peer.id, account, {
      takeover: account !== undefined || guestId !== undefined,
      ...(guestId !== undefined && { guestId }),
    });
    let user: User;
    try {
      user = this.connect(
        peer,
        { ...hello, name: shownName.display, ...(session !== undefined && { session }) },
        account,
      );
    } catch (err) {
      void this.options.leases.release(lease.key, lease.token).catch(() => undefined);
      throw err;
    }
    user.lease = lease;
    user.leaseConfirmedAt = this.now();
    user.bot = hello.bot === true;
    return user;
  }

  /**
   * Claim an alias lease for a session: exactly one of racing claims on any
   * node wins. With `takeover`, a holder is asked to let go (closed here, or
   * by its node on a signal) and the claim is retried until the alias is free;
   * a holder on a dead node lapses within the lease time.
   */
  async claim(
    name: Name,
    session: string,
    account: AccountRecord | undefined,
    how: { takeover: boolean; guestId?: string },
  ): Promise<Lease> {
    const owner: Owner = {
      node: this.options.node,
      session,
      display: name.display,
      since: this.now(),
      account: account !== undefined,
      operator: account?.operator ?? false,
      ...(how.guestId !== undefined && { guest: how.guestId }),
    };
    const leases = this.options.leases;
    let asked = false;
    for (let attempt = 0; ; attempt++) {
      let claim;
      try {
        claim = await leases.claimAlias(name.key, owner, this.leaseMs);
      } catch (err) {
        this.options.onInternalError?.(err, 'claiming an alias');
        throw unavailable();
      }
      if (claim.ok) return claim.lease;
      const local = this.users.get(name.key);
      // A guest takes over only its own session (same token), never another guest's alias.
      const mine = how.takeover && (account !== undefined || claim.holder.guest === how.guestId);
      if (!mine || (local && local.peer.id === session)) {
        throw new ChatError(
          'alias_taken',
          `${claim.holder.display} is already online; pick another alias`,
        );
      }
      if (local && claim.holder.node === this.options.node) {
        this.takeOver(local);
        continue;
      }
      if (!asked) {
        this.sendSignal({
          t: 'takeover',
          node: this.options.node,
          key: name.key,
          session: claim.holder.session,
        });
        asked = true;
      }
      // Another node closes its copy and releases the lease; a dead one's lapses.
      if (attempt * 50 > this.leaseMs + 2000) {
        throw new ChatError('alias_taken', `${claim.holder.display} could not be taken over`);
      }
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 50));
    }
  }

  /**
   * Refuse a guest alias that looks like a registered account other than
   * `own` (§2): by skeleton, so `аре` (Cyrillic) or `Ana1` cannot pass for
   * the account `ape` or `AnaI`. Accounts come from the store and are cached
   * for a few seconds (accounts added with the CLI while the server runs are
   * seen within ACCOUNT_CACHE_MS). Throws `alias_taken`.
   */
  async assertNotLikeAccount(name: Name, own?: AccountRecord): Promise<void> {
    const now = this.now();
    let cache = this.accountSkeletons;
    if (!cache || now - cache.at > ACCOUNT_CACHE_MS) {
      const map = new Map<string, AccountRecord>();
      for (const a of await this.options.store.listAccounts()) map.set(skeleton(a.name), a);
      cache = this.accountSkeletons = { at: now, map };
    }
    const like = cache.map.get(skeleton(name.display));
    if (like && like.key !== own?.key && like.key !== name.key) {
      throw new ChatError(
        'alias_taken',
        `${name.display} looks like the registered ${like.operator ? 'operator' : 'user'} ${like.name}; pick another alias`,
      );
    }
  }

  /** A new account (/register) is a name guests may no longer imitate. */
  accountCreated(account: AccountRecord): void {
    this.accountSkeletons?.map.set(skeleton(account.name), account);
  }

  /**
   * Check an account's password for a client at `address`: slowed after a
   * few failures, refused for a while after many (§2). Throws `auth_failed`.
   */
  async checkPassword(address: string, account: AccountRecord, password: string): Promise<void> {
    this.throttle.assertAccountAllowed(address, account.key, account.name);
    const delay = this.throttle.begin(address, account.key);
    let ok: boolean;
    try {
      if (delay > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delay));
      ok = await verifyPassword(password, account.hash);
    } finally {
      this.throttle.end(address, account.key);
    }
    if (!ok) {
      this.throttle.fail(address, account.key);
      throw new ChatError('auth_failed', `Wrong password for ${account.name}`);
    }
    this.throttle.succeed(address, account.key);
  }

  /** The right password for a connected alias: the old connection is told and closed. */
  private takeOver(holder: User): void {
    holder.peer.send({
      type: 'error',
      code: 'alias_taken',
      message: `${holder.name.display} signed in from another connection; closing this one`,
    });
    this.disconnect(holder, 'signed in from elsewhere');
    holder.peer.close('replaced');
  }

  /** Give a user's alias lease up (left, replaced, renamed). */
  private releaseLease(user: User): Promise<void> {
    const lease = user.lease;
    user.lease = undefined;
    if (!lease) return Promise.resolve();
    return this.options.leases.release(lease.key, lease.token).then(
      () => undefined,
      () => undefined, // Unreachable store: the lease lapses on its own.
    );
  }

  /**
   * Renew every lease this node holds, and its presence. A lease lost to
   * someone else ends its session; when the store cannot be reached for so
   * long that leases may have lapsed, every session ends rather than keep
   * aliases another node may now hold (CLUSTER.md).
   */
  async renewAll(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    const users = [...this.users.values()].filter((u) => u.lease !== undefined);
    try {
      const lost = await this.options.leases.renew(
        users.map((u) => u.lease!),
        this.leaseMs,
      );
      const confirmed = this.now();
      const gone = new Set(lost.map((l) => l.token));
      for (const u of users) {
        if (u.connected && u.lease && gone.has(u.lease.token)) {
          u.lease = undefined;
          this.drop(u, 'alias_taken', `${u.name.display} is now held elsewhere; closing this one`);
        } else if (u.lease) u.leaseConfirmedAt = Math.max(u.leaseConfirmedAt, confirmed);
      }
      await Promise.all(users.filter((u) => u.connected).map((u) => this.markPresent(u)));
    } catch (err) {
      // dropUnconfirmed() ends the sessions if this goes on (a stuck call too).
      this.options.onInternalError?.(err, 'renewing leases');
    } finally {
      this.renewing = false;
    }
  }

  /**
   * Sessions whose lease has not been confirmed for two thirds of its time
   * may soon hold an alias another node can take: this node cannot reach the
   * store, so it ends them rather than diverge (CLUSTER.md).
   */
  private dropUnconfirmed(): void {
    const limit = this.now() - (this.leaseMs * 2) / 3;
    for (const u of [...this.users.values()]) {
      if (u.connected && u.lease && u.leaseConfirmedAt <= limit) {
        this.drop(
          u,
          'unavailable',
          'This server lost its shared store; reconnect (to another server if there is one)',
        );
      }
    }
  }

  /** End a session with an error the client can act on. */
  private drop(user: User, code: 'alias_taken' | 'unavailable', message: string): void {
    user.peer.send({ type: 'error', code, message });
    this.disconnect(
      user,
      code === 'unavailable' ? 'server unavailable' : 'signed in from elsewhere',
    );
    user.peer.close(code);
  }

  /** Presence of a user in each of its rooms and in `*` (everyone), for /who across nodes. */
  private markPresent(user: User, rooms: Iterable<Room> = user.rooms.values()): Promise<void> {
    const member = {
      key: user.name.key,
      display: user.name.display,
      node: this.options.node,
      ...(user.away && { away: user.away }),
      ...(user.account?.operator && { operator: true }),
      ...(user.bot && { bot: true }),
    };
    const keys = ['*', ...[...rooms].map((r) => r.name.key)];
    return Promise.all(
      keys.map((k) => this.options.leases.setPresence(k, member, this.leaseMs)),
    ).then(
      () => undefined,
      () => undefined, // Renewed on the next tick; it lapses if the store stays away.
    );
  }

  private unmarkPresent(key: string, rooms: string[]): void {
    for (const r of rooms) void this.options.leases.removePresence(r, key).catch(() => undefined);
  }

  /**
   * Who is in a room (or `*`: everyone) across nodes: this node's users as
   * they are, other nodes' from the presence leases.
   */
  async whoIn(roomKey: string, local: Iterable<User>): Promise<WhoEntry[]> {
    const out = new Map<string, WhoEntry>();
    for (const u of local) {
      out.set(u.name.key, {
        name: u.name.display,
        ...(u.away && { away: u.away }),
        ...(u.account?.operator && { operator: true as const }),
        ...(u.bot && { bot: true as const }),
      });
    }
    let remote;
    try {
      remote = await this.options.leases.presence(roomKey);
    } catch (err) {
      this.options.onInternalError?.(err, 'reading presence');
      throw unavailable();
    }
    for (const p of remote) {
      if (p.node === this.options.node || out.has(p.key)) continue;
      out.set(p.key, {
        name: p.display,
        ...(p.away && { away: p.away }),
        ...(p.operator && { operator: true as const }),
        ...(p.bot && { bot: true as const }),
      });
    }
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A user online on another node (its alias lease), or undefined. */
  async remoteUser(raw: string): Promise<Owner | undefined> {
    const key = foldKey(raw.trim());
    let held;
    try {
      held = await this.options.leases.holder(key);
    } catch (err) {
      this.options.onInternalError?.(err, 'reading an alias holder');
      throw unavailable();
    }
    if (!held || held.owner.node === this.options.node) return undefined;
    return held.owner;
  }

  /** Kick a user held by another node: that node removes it and tells the rooms. */
  ejectRemote(key: string, by: User, reason: string | undefined): void {
    this.sendSignal({
      t: 'eject',
      node: this.options.node,
      key,
      by: by.name.display,
      ...(reason !== undefined && { reason }),
    });
  }

  /**
   * A ban was recorded: everyone online it covers goes now (operators and
   * `by` excepted), on this node and, by signal, on every other.
   */
  applyBan(ban: BanRecord, by: User): void {
    this.banHere(ban, by);
    this.sendSignal({ t: 'ban', node: this.options.node, ban });
  }

  private banHere(ban: BanRecord, by: User | undefined): void {
    const now = this.now();
    const reason = ban.reason ? `banned: ${ban.reason}` : 'banned';
    for (const u of [...this.users.values()]) {
      if (u === by || u.account?.operator || !u.connected) continue;
      const query = {
        ...(u.account && { accountKey: u.account.key }),
        aliasKey: u.name.key,
        address: u.peer.address,
        now,
      };
      if (banApplies(ban, query)) this.ejectBy(u, ban.by, reason);
    }
  }

  private sendSignal(signal: Signal): void {
    this.options.bus.signal(JSON.stringify(signal));
  }

  /** Another node's notice (our own come back too: those are ignored). */
  private onSignal(payload: string): void {
    let s: Signal;
    try {
      s = JSON.parse(payload) as Signal;
    } catch {
      return;
    }
    if (s.node === this.options.node) return;
    if (s.t === 'announce') {
      this.announceHere(s.rooms, s.event, s.except, s.presence);
      return;
    }
    if (s.t === 'ban') {
      this.banHere(s.ban, undefined);
      return;
    }
    const user = this.users.get(s.key);
    if (!user) return;
    if (s.t === 'takeover') {
      if (user.peer.id === s.session) this.takeOver(user);
      return;
    }
    this.ejectBy(user, s.by, s.reason);
  }

  /**
   * Admit a peer that completed its handshake (§2): claim the alias, join
   * `#lobby` (or the resumed rooms), announce, then welcome and replay history.
   * Throws `bad_alias` or `alias_taken`; nothing changes in that case.
   */
  connect(
    peer: Peer,
    hello: Pick<Hello, 'name' | 'history' | 'resume' | 'session'>,
    account?: AccountRecord,
  ): User {
    const name = parseAlias(hello.name);
    this.assertAliasFree(name, undefined, account);
    // One hello must not create a thousand rooms (§6): rooms past the cap are not joined.
    const resumed = resumeRooms(hello.resume).slice(0, this.options.limits.maxRoomsPerUser);
    const lobby = this.room(LOBBY);
    const user = new User(name, lobby, peer, this.now());
    user.account = account;
    // Guests: the token the client kept from an earlier welcome, or a new one.
    const session = account ? undefined : (hello.session ?? newSessionToken());
    if (session !== undefined) user.guestId = guestIdOf(session);
    this.addUser(user);
    const privateReady = this.subscribePrivate(user);

    const joined =
      resumed.length > 0 ? resumed : [{ room: LOBBY, after: undefined, epoch: undefined }];
    for (const j of joined) this.addMember(user, this.room(j.room));
    user.current = user.rooms.values().next().value ?? lobby;
    const count = hello.history ?? this.options.historyOnJoin;
    const targets = joined.map((j) => roomTarget(this, user, user.rooms.get(j.room.key)!));
    const starts: ResumeFrom[] = [...joined];
    const dms = resumePoint(hello.resume?.['@']);
    if (dms) {
      targets.push(privateTarget(this, user));
      starts.push(dms);
    }
    // Every stream holds its live messages from now on, before any read: the
    // first read flushes pending appends, which must not reach a stream whose
    // replay has not started yet (they would arrive live, then again replayed).
    for (const t of targets) user.hold(t.key);
    void this.markPresent(user);
    // Resume order (CLUSTER.md): every stream is subscribed (its live messages
    // held for this user) before its history is read.
    const live = [privateReady, ...[...user.rooms.values()].map((r) => r.stream.ready)];
    const reads = Promise.all(live).then(() =>
      Promise.all(
        targets.map((t, i) => readReplay(this, user, t, starts[i]!, t.key === '@' ? 0 : count)),
      ),
    );
    // The welcome and its replay are this connection's first job: requests
    // that arrive meanwhile wait behind it (§4 "Order").
    // The ignore list is the user's, kept by the store (docs/protocol.md §3
    // /ignore): loaded before the replay, which it filters.
    const ignores = this.options.store
      .getIgnores(user.identity)
      .then((list) => user.setIgnores(list));
    this.inOrder(user, () =>
      Promise.all([ignores, reads]).then(
        ([, results]) => {
          if (!user.connected) return;
          const epochs: Record<string, string> = {};
          results.forEach((r, i) => (epochs[targets[i]!.display] = r.result.epoch));
          peer.send({
            type: 'welcome',
            name: name.display,
            rooms: [...user.rooms.values()].map((r) => r.name.display),
            members: this.someMembers(user.current, user),
            memberCount: user.current.members.size,
            heartbeat: this.options.heartbeatSeconds,
            limits: this.options.limits,
            server: this.options.server,
            epochs,
            ...(session !== undefined && { session }),
          });
          const motd = this.options.motd?.();
          if (motd) peer.send(this.system('motd', { text: motd }));
          results.forEach((r, i) => finishReplay(this, user, targets[i]!, r));
        },
        (err: unknown) => {
          this.options.onInternalError?.(err, 'reading history on connect');
          targets.forEach((t) => finishReplay(this, user, t, undefined));
          this.refuse(
            user,
            new ChatError('internal', 'The server could not read history'),
            undefined,
          );
        },
      ),
    );
    return user;
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
    if (change.login) this.throttle.configure(change.login);
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
      (send) => send,
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
  private inOrder(user: User, job: () => void | Promise<void>, isSay = false): void {
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
      const lease = await this.claim(name, user.peer.id, account, {
        takeover: false,
        ...(!account && { guestId: user.guestId }),
      });
      if (!user.connected) {
        void this.options.leases.release(lease.key, lease.token).catch(() => undefined);
        return;
      }
      void this.releaseLease(user);
      user.lease = lease;
      user.leaseConfirmedAt = this.now();
      this.unmarkPresent(old.key, ['*', ...user.rooms.keys()]);
    }
    this.removeUser(user);
    user.name = name;
    this.addUser(user);
    this.setAccount(user, account);
    void this.markPresent(user);
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
    this.rebindPrivate(user, before);
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
    this.ejectBy(target, by.name.display, reason);
  }

  private ejectBy(target: User, by: string, reason: string | undefined): void {
    const event = this.system('kick', {
      user: target.name.display,
      by,
      ...(reason && { reason }),
    });
    target.peer.send(event);
    this.transfers.leave(target, 'was kicked');
    this.disconnect(target, reason ?? 'kicked', event);
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
    this.unmarkPresent(user.name.key, ['*', ...user.rooms.keys()]);
    for (const room of [...user.rooms.values()]) this.removeMember(user, room);
    this.removeUser(user);
    this.unsubscribePrivate(user);
    void this.releaseLease(user);
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
    this.sendSignal({
      t: 'announce',
      node: this.options.node,
      rooms: keys,
      event,
      ...(subject && { except: subject.name.key }),
      ...(p && { presence: p }),
    });
  }

  /** This node's share of an announce: its members of the rooms. */
  private announceHere(
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
    this.clock.clearInterval(this.renewTimer);
    this.renewTimer = undefined;
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
  private broadcastHere(room: Room, event: ServerEvent): void {
    for (const m of room.members) this.deliver(m, event);
  }

  /** The room with this name, created (and subscribed) when new. */
  room(name: Name): Room {
    let room = this.rooms.get(name.key);
    if (room?.stream.failed) {
      room.stream.failed = false;
      room.stream.early = [];
      const r = room;
      this.follow(
        r.stream,
        name.key,
        (ms) => this.deliverRoomMessages(r, ms),
        () => this.broadcastHere(r, this.system('reset', { room: r.name.display })),
      );
    }
    if (!room) {
      room = new Room(name);
      this.rooms.set(name.key, room);
      const r = room;
      const t = this.topics.get(name.key);
      if (t) [r.topic, r.topicBy, r.topicAt] = [t.text, t.by, t.at];
      this.follow(
        r.stream,
        name.key,
        (ms) => this.deliverRoomMessages(r, ms),
        () => this.broadcastHere(r, this.system('reset', { room: r.name.display })),
      );
    }
    return room;
  }

  /**
   * Subscribe to a stream, then learn its top: the follower delivers what
   * comes after it exactly once, in order, reading any gap from the Store
   * (the Bus is a doorbell; the stream is the truth). Announcements that
   * arrive before the top is known wait and go through the follower too.
   */
  private follow(
    stream: Followed,
    key: string,
    deliver: (ms: StoredMessage[]) => void,
    onReset: () => void,
  ): void {
    const store = this.options.store;
    stream.ready = (async () => {
      await this.options.bus.subscribe(key, (ms) => {
        if (stream.follower) stream.follower.onMessages(ms);
        else stream.early?.push(...ms);
      });
      const top = await store.read(key, Number.MAX_SAFE_INTEGER, 1);
      stream.follower = new StreamFollower({
        stream: key,
        read: (k, after, limit) => store.read(k, after, limit),
        deliver,
        last: top.top,
        epoch: top.epoch,
        onReset,
      });
      const early = stream.early ?? [];
      stream.early = undefined;
      if (early.length > 0) stream.follower.onMessages(early);
    })();
    stream.ready.catch((err: unknown) => {
      // The next user of the stream subscribes again (see room()).
      stream.failed = true;
      this.options.onInternalError?.(err, 'subscribing to a stream');
    });
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

  assertAliasFree(name: Name, self?: User, account?: AccountRecord): void {
    const holder = this.users.get(name.key);
    if (holder && holder !== self) {
      throw new ChatError(
        'alias_taken',
        `${holder.name.display} is already online; pick another alias`,
      );
    }
    // A signed-in account is its own proof of identity; a guest must not
    // look like anyone online (§2 look-alikes).
    if (account) return;
    for (const other of this.lookalikes.get(skeleton(name.display)) ?? []) {
      if (other !== self) {
        throw new ChatError(
          'alias_taken',
          `${name.display} looks like ${other.name.display}, who is online; pick another alias`,
        );
      }
    }
  }

  private addUser(user: User): void {
    this.users.set(user.name.key, user);
    const k = skeleton(user.name.display);
    let set = this.lookalikes.get(k);
    if (!set) this.lookalikes.set(k, (set = new Set()));
    set.add(user);
  }

  private removeUser(user: User): void {
    if (this.users.get(user.name.key) === user) this.users.delete(user.name.key);
    const k = skeleton(user.name.display);
    const set = this.lookalikes.get(k);
    set?.delete(user);
    if (set?.size === 0) this.lookalikes.delete(k);
  }

  addMember(user: User, room: Room): void {
    if (user.rooms.has(room.name.key)) return;
    this.announce(
      [room],
      this.system('join', { room: room.name.display, user: user.name.display }),
      user,
      'joined',
    );
    room.members.add(user);
    user.rooms.set(room.name.key, room);
    if (user.lease) void this.markPresent(user, [room]);
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
    if (user.connected && user.lease) this.unmarkPresent(user.name.key, [room.name.key]);
    if (room.members.size === 0 && room.name.key !== LOBBY.key) {
      this.clock.clearTimeout(room.presenceTimer);
      this.rooms.delete(room.name.key);
      void this.options.bus.unsubscribe(room.name.key);
    }
  }

  /** Up to WELCOME_MEMBERS display names of a room, `first` among them. */
  private someMembers(room: Room, first: User): string[] {
    const names = [first.name.display];
    for (const m of room.members) {
      if (names.length >= WELCOME_MEMBERS) break;
      if (m !== first) names.push(m.name.display);
    }
    return names;
  }

  /** The wire form of a stored room message. */
  messageEvent(room: Room, m: StoredMessage): MessageEvent {
    return {
      type: 'message',
      room: room.name.display,
      seq: m.seq,
      ts: new Date(m.ts).toISOString(),
      from: m.from,
      text: m.text,
      action: m.action,
    };
  }

  /**
   * Fan a burst of a room's messages out. Members who get all of it (not a
   * sender, ignoring none of the senders, not in a replay) get it as one
   * unit, encoded once for all of them; the others get it message by message
   * with their filters applied.
   */
  private deliverRoomMessages(room: Room, stored: StoredMessage[]): void {
    // The room's follower hands each seq over once, in order.
    const fresh = stored;
    const key = room.name.key;
    const events = fresh.map((m) => this.messageEvent(room, m));
    const from = fresh.map((m) => foldKey(m.from));
    const senders = new Set(from);
    for (const member of room.members) {
      if (!senders.has(member.name.key) && member.receivesAll(key, senders)) {
        if (events.length === 1) member.peer.send(events[0]!);
        else member.peer.sendAll(events);
        continue;
      }
      events.forEach((event, i) => {
        const fromKey = from[i]!;
        if (member.name.key !== fromKey && !member.isIgnoring(fromKey))
          this.deliver(member, event, key);
      });
    }
  }

  /** The wire form of a stored private message addressed to `user`. */
  privateEvent(m: StoredMessage, user: User): PrivateEvent {
    return {
      type: 'private',
      from: m.from,
      to: m.to ?? user.name.display,
      ts: new Date(m.ts).toISOString(),
      text: m.text,
      action: m.action,
      seq: m.seq,
    };
  }

  /**
   * One listener for every private stream. A closure made inside connect()
   * would share connect's scope and keep its replay state alive for as long
   * as the user is online.
   */
  private readonly onPrivate = (ms: StoredMessage[]): void => {
    for (const m of ms) this.deliverPrivateTo(m);
  };

  /** Private stream key → the online user it belongs to (not an alias: see User.privateStream). */
  private readonly privateOwners = new Map<string, User>();

  /**
   * Start delivering a user's private stream to it on this node (wherever
   * its senders are); resolves once the stream is live.
   */
  subscribePrivate(user: User): Promise<void> {
    const key = user.privateStream;
    this.privateOwners.set(key, user);
    const stream = new Followed();
    this.privates.set(key, stream);
    this.follow(stream, key, this.onPrivate, () => {
      const owner = this.privateOwners.get(key);
      if (owner) owner.peer.send(this.system('reset', { room: '@' }));
    });
    return stream.ready;
  }

  unsubscribePrivate(user: User, stream = user.privateStream): void {
    if (this.privateOwners.get(stream) !== user) return;
    this.privateOwners.delete(stream);
    this.privates.delete(stream);
    void this.options.bus.unsubscribe(stream);
  }

  /**
   * Call after a user's account changed (/nick to or from an account,
   * /register): the private stream follows the identity, not the alias.
   */
  rebindPrivate(user: User, before: string): void {
    if (user.privateStream === before) return;
    user.forgetStream('@');
    this.unsubscribePrivate(user, before);
    void this.subscribePrivate(user);
  }

  /** Deliver a message of a private stream to its owner, if online and not ignoring. */
  deliverPrivateTo(m: StoredMessage): void {
    const user = this.privateOwners.get(m.stream);
    if (!user || user.isIgnoring(foldKey(m.from))) return;
    this.deliver(user, this.privateEvent(m, user), '@');
  }
}
