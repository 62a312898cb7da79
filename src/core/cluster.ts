/**
 * This node among the others (docs/architecture.md, cluster mode): alias
 * leases (one holder of an alias across nodes, taken over on a right
 * password, renewed on a timer, dropped when the store is out of reach),
 * presence for /who across nodes, and the signals nodes send each other
 * (announce, eject, ban, takeover). With one node and the in-memory lease
 * store it is the same code, talking to itself.
 */
import type { SystemEvent, WhoEntry } from '../protocol/messages.js';
import { ChatError } from '../protocol/errors.js';
import { foldKey, parseRoom, skeleton, type Name } from '../protocol/names.js';
import { banApplies } from '../store/ban-match.js';
import { EVERYONE, type Lease, type Owner, type Presence } from '../store/lease.js';
import type { AccountRecord, BanRecord } from '../store/store.js';
import type { ChatOptions } from './chat-options.js';
import type { Clock, Timer } from './clock.js';
import type { Room, User } from './model.js';

/**
 * A notice between nodes (Bus.signal): system events for rooms whose members
 * may be on other nodes, and requests to the node that holds a user.
 */
export type Signal =
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
  | { t: 'takeover'; node: string; key: string; session: string }
  /** A mute or topic lock changed in the store: each node reads them again. */
  | { t: 'moderation'; node: string };

/** The store (Redis) could not be reached: refused with a code clients can act on. */
function unavailable(): ChatError {
  return new ChatError(
    'unavailable',
    'The server cannot reach its shared store right now; try again shortly',
  );
}

/**
 * Longest a login waits for another node to close its copy of a session
 * (takeover): a live node does it in milliseconds. A holder that does not let
 * go by then is on a node that stopped; the login is refused with the time
 * its lease lapses, rather than held open past the client's patience (an
 * abandoned login that succeeded later would join, then quit at once).
 */
const TAKEOVER_WAIT_MS = 2000;
/** Why the others read that a user whose server stopped has gone (reaped). */
const LOST_REASON = 'lost connection to its server';

/** What the cluster needs of the chat on this node. */
export interface ClusterHost {
  readonly users: Map<string, User>;
  readonly clock: Clock;
  /** Remove a user whose session ended; `reason` is shown to the others. */
  disconnect(user: User, reason: string): void;
  /** Read mutes and topic locks again from the store (another node changed one). */
  reloadModeration(): void;
  /** Remove a user on an operator's word (a kick or ban from any node). */
  ejectBy(target: User, by: string, reason: string | undefined): void;
  /** This node's share of an announce: its members of the rooms. */
  announceHere(
    roomKeys: string[],
    event: SystemEvent,
    except: string | undefined,
    presence: { kind: 'joined' | 'left'; name: string } | undefined,
  ): void;
}

export class Cluster {
  readonly leaseMs: number;
  private renewTimer: Timer | undefined;
  private renewing = false;

  constructor(
    private readonly host: ClusterHost,
    private readonly options: ChatOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 15_000;
  }

  /** Hear other nodes' signals and keep this node's leases renewed. */
  async start(): Promise<void> {
    await this.options.bus.onSignal((payload) => this.onSignal(payload));
    this.renewTimer ??= this.host.clock.setInterval(() => {
      this.dropUnconfirmed();
      void this.renewAll();
      void this.reap();
    }, this.leaseMs / 3);
    this.renewTimer.unref();
  }

  /** Stop renewing (shutdown): the leases lapse or are released as sessions end. */
  stop(): void {
    this.host.clock.clearInterval(this.renewTimer);
    this.renewTimer = undefined;
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
      since: this.host.clock.now(),
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
      const local = this.host.users.get(name.key);
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
      // Another node closes its copy and releases the lease within moments;
      // a stopped one never does, and its lease lapses by itself.
      if (attempt * 50 >= Math.min(TAKEOVER_WAIT_MS, this.leaseMs)) {
        const wait = Math.min(
          this.leaseMs,
          Math.max(100, claim.expiresAt - this.host.clock.now() + 100),
        );
        throw new ChatError(
          'alias_taken',
          `${claim.holder.display} is still held by a server that does not answer (it may have stopped); ` +
            `it is free within ${Math.ceil(wait / 1000)} s: try again then`,
          wait,
        );
      }
      await new Promise<void>((resolve) => this.host.clock.setTimeout(resolve, 50));
    }
  }

  /** The right password for a connected alias: the old connection is told and closed. */
  takeOver(holder: User): void {
    holder.peer.send({
      type: 'error',
      code: 'alias_taken',
      message: `${holder.name.display} signed in from another connection; closing this one`,
    });
    this.host.disconnect(holder, 'signed in from elsewhere');
    holder.peer.close('replaced');
  }

  /** Give a user's alias lease up (left, replaced, renamed). */
  releaseLease(user: User): Promise<void> {
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
   * aliases another node may now hold (docs/architecture.md).
   */
  async renewAll(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    const users = [...this.host.users.values()].filter((u) => u.lease !== undefined);
    try {
      const lost = await this.options.leases.renew(
        users.map((u) => u.lease!),
        this.leaseMs,
      );
      const confirmed = this.host.clock.now();
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
   * store, so it ends them rather than diverge (docs/architecture.md).
   */
  private dropUnconfirmed(): void {
    const limit = this.host.clock.now() - (this.leaseMs * 2) / 3;
    for (const u of [...this.host.users.values()]) {
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
    this.host.disconnect(
      user,
      code === 'unavailable' ? 'server unavailable' : 'signed in from elsewhere',
    );
    user.peer.close(code);
  }

  /**
   * Presence of a user in each of `rooms` (all of its rooms by default) and
   * in `*` (everyone), for /who, /whois and /rooms across nodes. The `*`
   * entry also names the session's identity, all its rooms and when it last
   * did something.
   */
  markPresent(user: User, rooms: Iterable<Room> = user.rooms.values()): Promise<void> {
    const member = {
      key: user.name.key,
      display: user.name.display,
      node: this.options.node,
      ...(user.away && { away: user.away }),
      ...(user.account?.operator && { operator: true }),
      ...(user.bot && { bot: true }),
    };
    const everyone = {
      ...member,
      identity: user.identity,
      rooms: [...user.rooms.values()].map((r) => r.name.display),
      active: user.lastActive,
    };
    const leases = this.options.leases;
    return Promise.all([
      leases.setPresence(EVERYONE, everyone, this.leaseMs),
      ...[...rooms].map((r) => leases.setPresence(r.name.key, member, this.leaseMs)),
    ]).then(
      () => undefined,
      () => undefined, // Renewed on the next tick; it lapses if the store stays away.
    );
  }

  /** A user left one room: its presence there goes, and `*` lists its rooms without it. */
  leftRoom(user: User, roomKey: string): void {
    this.unmarkPresent(user.name.key, [roomKey]);
    void this.markPresent(user, []);
  }

  /**
   * A session coming back after its node stopped (same identity, the old
   * entry in `*` never removed nor reaped): it takes the old entry's place
   * and continues, so the others see no quit and no join for it (§9). Returns
   * the rooms the old session was in (folded key → display name), or
   * undefined when it is a new arrival (never here, or its quit was already
   * announced).
   */
  async adopt(name: Name, identity: string): Promise<Map<string, string> | undefined> {
    let old: Presence | undefined;
    try {
      old = await this.options.leases.adoptPresence(
        EVERYONE,
        { key: name.key, display: name.display, node: this.options.node, identity },
        this.leaseMs,
      );
    } catch (err) {
      this.options.onInternalError?.(err, 'adopting presence');
      throw unavailable();
    }
    if (!old || old.node === this.options.node) return undefined;
    return new Map((old.rooms ?? []).map((r) => [parseRoom(r).key, r]));
  }

  /**
   * Announce, once across all nodes, the quit of sessions whose node stopped
   * and that did not come back within a lease time after their lease lapsed:
   * of the nodes that try, the store hands each lapsed entry to exactly one.
   */
  async reap(): Promise<void> {
    let gone: Presence[];
    try {
      gone = await this.options.leases.reapPresence(EVERYONE, this.leaseMs);
    } catch {
      return; // The store is away: tried again on the next tick.
    }
    for (const p of gone) {
      const here = this.host.users.get(p.key);
      if (here?.connected && here.identity === p.identity) {
        // Our own session, unrenewed for a while (a pause): it is still here.
        void this.markPresent(here);
        continue;
      }
      this.announceGone(p, p.rooms ?? []);
    }
  }

  /** Tell the rooms (display names) that a session of another node has gone. */
  announceGone(p: Pick<Presence, 'key' | 'display'>, rooms: string[]): void {
    if (rooms.length === 0) return;
    const keys = rooms.map((r) => parseRoom(r).key);
    const event: SystemEvent = {
      type: 'system',
      event: 'quit',
      ts: new Date(this.host.clock.now()).toISOString(),
      user: p.display,
      reason: LOST_REASON,
    };
    const presence = { kind: 'left' as const, name: p.display };
    this.host.announceHere(keys, event, p.key, presence);
    this.sendSignal({
      t: 'announce',
      node: this.options.node,
      rooms: keys,
      event,
      except: p.key,
      presence,
    });
  }

  /** Users online on other nodes, as their `*` presence says (as of their last renewal). */
  async remotePresence(): Promise<Presence[]> {
    let all;
    try {
      all = await this.options.leases.presence(EVERYONE);
    } catch (err) {
      this.options.onInternalError?.(err, 'reading presence');
      throw unavailable();
    }
    return all.filter((p) => p.node !== this.options.node && !this.host.users.has(p.key));
  }

  /** Refuse a guest alias that looks like someone online on another node (§2 look-alikes). */
  async assertNoRemoteLookalike(name: Name): Promise<void> {
    const skel = skeleton(name.display);
    for (const p of await this.remotePresence()) {
      if (p.key !== name.key && skeleton(p.display) === skel) {
        throw new ChatError(
          'alias_taken',
          `${name.display} looks like ${p.display}, who is online; pick another alias`,
        );
      }
    }
  }

  unmarkPresent(key: string, rooms: string[]): void {
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
    const now = this.host.clock.now();
    const reason = ban.reason ? `banned: ${ban.reason}` : 'banned';
    for (const u of [...this.host.users.values()]) {
      if (u === by || u.account?.operator || !u.connected) continue;
      const query = {
        ...(u.account && { accountKey: u.account.key }),
        aliasKey: u.name.key,
        address: u.peer.address,
        now,
      };
      if (banApplies(ban, query)) this.host.ejectBy(u, ban.by, reason);
    }
  }

  sendSignal(signal: Signal): void {
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
      this.host.announceHere(s.rooms, s.event, s.except, s.presence);
      return;
    }
    if (s.t === 'ban') {
      this.banHere(s.ban, undefined);
      return;
    }
    if (s.t === 'moderation') {
      this.host.reloadModeration();
      return;
    }
    const user = this.host.users.get(s.key);
    if (!user) return;
    if (s.t === 'takeover') {
      if (user.peer.id === s.session) this.takeOver(user);
      return;
    }
    this.host.ejectBy(user, s.by, s.reason);
  }
}
