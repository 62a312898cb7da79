/**
 * This node among the others (docs/architecture.md, cluster mode): alias
 * leases (one holder of an alias across nodes, taken over on a right
 * password, renewed on a timer, dropped when the store is out of reach),
 * presence for /who across nodes (in core/cluster-presence.ts, the base
 * class), and the signals nodes send each other (announce, eject, ban,
 * takeover, moderation, topic, renamed). With one node and the in-memory lease
 * store it is the same code, talking to itself.
 */
import { errorEvent, type SystemEvent } from '../protocol/messages.js';
import { untilText } from '../protocol/phrases.js';
import { ChatError } from '../protocol/errors.js';
import type { Name } from '../protocol/names.js';
import { banApplies } from '../store/ban-match.js';
import type { Lease, Owner } from '../store/lease.js';
import type { AccountRecord, BanRecord } from '../store/store.js';
import type { Timer } from './clock.js';
import { ClusterPresence } from './cluster-presence.js';
import { unavailable, type Signal, type TakeoverBy } from './cluster-signal.js';
import type { User } from './model.js';

export type { ClusterHost, Signal } from './cluster-signal.js';

/**
 * Longest a login waits for another node to close its copy of a session
 * (takeover): a live node does it in milliseconds. A holder that does not let
 * go by then is on a node that stopped; the login is refused with the time
 * its lease lapses, rather than held open past the client's patience (an
 * abandoned login that succeeded later would join, then quit at once).
 */
const TAKEOVER_WAIT_MS = 2000;

/** How long a displaced client program is remembered (a laptop asleep for longer comes back as new). */
const DISPLACED_MS = 60 * 60 * 1000;

/** Alias leases and the signals between nodes, on top of presence across nodes. */
export class Cluster extends ClusterPresence {
  private renewTimer: Timer | undefined;
  private renewing = false;
  /**
   * Client programs (hello.instance) whose session another login took over,
   * here or on another node (its `displaced` signal), and when. A node
   * started after the takeover does not know it (docs/protocol.md §2).
   */
  private readonly displaced = new Map<string, number>();
  /**
   * Client programs (hello.instance) of accounts whose connection here
   * dropped (lost, timed out), by account key, and when: a sign-in of another
   * program meanwhile displaces them too, though it took nothing over (their
   * session had already ended: a laptop asleep overnight).
   */
  private readonly away = new Map<string, Map<string, number>>();

  /** Hear other nodes' signals and keep this node's leases renewed. */
  async start(): Promise<void> {
    await this.options.bus.onSignal((payload) => this.onSignal(payload));
    this.renewTimer ??= this.host.clock.setInterval(() => {
      this.forgetAway();
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
    how: {
      takeover: boolean;
      guestId?: string;
      /** The login's client program (hello.instance): a holder it takes over from another is displaced. */
      instance?: string | undefined;
      /** The client's address, for operators' /whois on other nodes. */
      address?: string;
      /** A login's: once it has been answered for taking too long, claim nothing more. */
      deadline?: { readonly expired: boolean };
    },
  ): Promise<Lease> {
    const owner = this.ownerOf(name, session, account, how.guestId, undefined, how.address);
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
      // The login gave up waiting for this: it takes nothing over, and its
      // caller releases a lease it got (LoginDeadline's undo).
      if (how.deadline?.expired && !claim.ok) throw unavailable();
      if (claim.ok) return claim.lease;
      const local = this.host.users.get(name.key);
      // An account takes over only its own sessions (the alias held by the same
      // account; a hello.account names any alias), a guest only its own (same
      // token): never someone else's alias. The account's own name is its own
      // whoever holds it: the guest who since registered it (its lease still
      // says guest), or a session from before `accounts add` made it.
      const holder = claim.holder;
      const sameAccount =
        account !== undefined &&
        (account.key === name.key ||
          (holder.account === true && (holder.accountKey ?? name.key) === account.key));
      const mine =
        how.takeover && (account !== undefined ? sameAccount : holder.guest === how.guestId);
      if (!mine || (local && local.peer.id === session)) {
        throw new ChatError(
          'alias_taken',
          `${claim.holder.display} is already online; pick another alias`,
        );
      }
      if (local && claim.holder.node === this.options.node) {
        this.takeOver(local, { instance: how.instance });
        continue;
      }
      if (!asked) {
        this.sendSignal({
          t: 'takeover',
          node: this.options.node,
          key: name.key,
          session: claim.holder.session,
          by: { instance: how.instance },
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

  /**
   * An account signed in as `session`: its other sessions give way, here and
   * on every node, whatever alias they go by now (a `/nick` keeps the
   * account). Two sessions of one account shared its private messages, which
   * reached only the newer one, under either alias.
   */
  signedIn(account: AccountRecord, session: string, instance?: string): void {
    this.signOutOthers(account.key, session, { instance });
    this.sendSignal({
      t: 'signedIn',
      node: this.options.node,
      account: account.key,
      by: { instance },
    });
  }

  /** `session`: the new session's id when it is on this node (ids are per node). */
  private signOutOthers(accountKey: string, session: string | undefined, by?: TakeoverBy): void {
    for (const u of [...this.host.users.values()]) {
      if (u.account?.key === accountKey && u.peer.id !== session) this.takeOver(u, by);
    }
    // Its programs whose connection dropped here: the one signing in is back;
    // any other was away while this one signed in, and must not take it back.
    const programs = by && this.away.get(accountKey);
    if (!programs) return;
    this.away.delete(accountKey);
    const now = this.host.clock.now();
    for (const [instance, at] of programs) {
      if (instance !== by.instance && now - at < DISPLACED_MS) this.displace(instance);
    }
  }

  /** An account's client program lost its connection here (not a takeover, not a quit). */
  wentAway(accountKey: string, instance: string): void {
    let programs = this.away.get(accountKey);
    if (!programs) this.away.set(accountKey, (programs = new Map()));
    programs.set(instance, this.host.clock.now());
  }

  /** Drop what went away longer ago than a displaced program is remembered. */
  private forgetAway(): void {
    const cutoff = this.host.clock.now() - DISPLACED_MS;
    for (const [account, programs] of this.away) {
      for (const [instance, at] of programs) if (at <= cutoff) programs.delete(instance);
      if (programs.size === 0) this.away.delete(account);
    }
  }

  /**
   * The right password for a connected alias: the old connection is told and
   * closed. `by`: the login that took over, when known (a node that did not
   * say sends no `by`): if it is another client program than the holder's,
   * the holder's program is displaced on every node (wasDisplaced), so that
   * its reconnect, through any of them, does not take the session back from
   * the newer one.
   */
  takeOver(holder: User, by?: TakeoverBy): void {
    if (by && holder.instance !== undefined && holder.instance !== by.instance) {
      this.displace(holder.instance);
    }
    const account = holder.account?.name;
    // Renamed since it signed in: say which account, the alias alone would puzzle.
    const who =
      account !== undefined && holder.account!.key !== holder.name.key
        ? `${account} (here as ${holder.name.display})`
        : holder.name.display;
    holder.peer.send({
      type: 'error',
      code: 'alias_taken',
      message: `${who} signed in from another connection; closing this one`,
    });
    this.host.disconnect(holder, 'signed in from elsewhere');
    holder.peer.close('replaced');
  }

  /** Client program `instance` is displaced, here and (by signal) on every node. */
  private displace(instance: string): void {
    this.noteDisplaced(instance);
    this.sendSignal({ t: 'displaced', node: this.options.node, instance });
  }

  private noteDisplaced(instance: string): void {
    const now = this.host.clock.now();
    // Oldest first (insertion order): drop what has aged out.
    for (const [old, at] of this.displaced) {
      if (now - at < DISPLACED_MS) break;
      this.displaced.delete(old);
    }
    this.displaced.delete(instance);
    this.displaced.set(instance, now);
  }

  /** Whether client program `instance` had its session taken over by another login (within DISPLACED_MS). */
  wasDisplaced(instance: string): boolean {
    const at = this.displaced.get(instance);
    return at !== undefined && this.host.clock.now() - at < DISPLACED_MS;
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
   * A session's account changed under it (a guest's /register, an operator
   * granted or demoted): its alias lease and presence say so from now on, so
   * another node's /whois names the account and, once this node stops, the
   * account coming back elsewhere continues unannounced (§9), as a session
   * signed in from the start does.
   */
  accountChanged(user: User): Promise<void> {
    const present = this.markPresent(user);
    const lease = user.lease;
    if (!lease) return present;
    // A guest's identity gives way to the account's, as at an account's login.
    const guestId = user.account ? undefined : user.guestId;
    const owner = this.ownerOf(
      user.name,
      user.peer.id,
      user.account,
      guestId,
      user.since,
      user.peer.address,
    );
    // A store out of reach: the next login's takeover still knows the account by its name.
    const restated = this.options.leases.restate(lease, owner).catch(() => false);
    return Promise.all([present, restated]).then(() => undefined);
  }

  /** Who holds an alias lease: this node's session of `name`, signed in at `since`. */
  private ownerOf(
    name: Name,
    session: string,
    account: AccountRecord | undefined,
    guestId: string | undefined,
    since = this.host.clock.now(),
    address?: string,
  ): Owner {
    return {
      node: this.options.node,
      session,
      display: name.display,
      since,
      ...(address !== undefined && { address }),
      account: account !== undefined,
      operator: account?.operator ?? false,
      ...(account !== undefined && account.key !== name.key && { accountKey: account.key }),
      ...(guestId !== undefined && { guest: guestId }),
    };
  }

  /**
   * Alone on its leases (no --redis), a lease that lapsed while this process
   * was stopped (SIGSTOP, a suspended VM) is claimed again: nobody else could
   * take the alias meanwhile, and ending every session for it was the
   * failure. Returns the leases still lost (the alias was claimed since).
   */
  private async reclaim(users: User[], lost: Lease[]): Promise<Lease[]> {
    const still: Lease[] = [];
    // By token: after a long stop every lease may be lost, 18,000 of them.
    const byToken = new Map(users.map((u) => [u.lease?.token, u]));
    for (const lease of lost) {
      const u = byToken.get(lease.token);
      const claim =
        u &&
        (await this.options.leases.claimAlias(
          u.name.key,
          this.ownerOf(u.name, u.peer.id, u.account, u.account ? undefined : u.guestId),
          this.leaseMs,
        ));
      if (u && claim?.ok) u.lease = claim.lease;
      else still.push(lease);
    }
    return still;
  }

  /**
   * The lost leases worth claiming again: all of them alone (no other node
   * can hold an alias), else those confirmed within two thirds of their
   * time, which only a store that lost its data (Redis restarted without
   * persistence) can have dropped; a takeover holds the alias, so the claim
   * fails and that session ends. Ending them all made every user read
   * "signed in from elsewhere" and chat-client stop for good.
   */
  private async reclaimMissing(users: User[], lost: Lease[], asked: number): Promise<Lease[]> {
    if (this.options.solo) return this.reclaim(users, lost);
    const recent = asked - (this.leaseMs * 2) / 3;
    const byToken = new Map(users.map((u) => [u.lease?.token, u]));
    const fresh: Lease[] = [];
    const stale: Lease[] = [];
    for (const l of lost) {
      ((byToken.get(l.token)?.leaseConfirmedAt ?? 0) > recent ? fresh : stale).push(l);
    }
    return [...stale, ...(await this.reclaim(users, fresh))];
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
      const asked = this.host.clock.now();
      let lost = await this.options.leases.renew(
        users.map((u) => u.lease!),
        this.leaseMs,
      );
      if (lost.length > 0) lost = await this.reclaimMissing(users, lost, asked);
      const confirmed = this.host.clock.now();
      const gone = new Set(lost.map((l) => l.token));
      for (const u of users) {
        if (u.connected && u.lease && gone.has(u.lease.token)) {
          u.lease = undefined;
          this.drop(u, 'alias_taken', `${u.name.display} is now held elsewhere; closing this one`);
        } else if (u.lease) u.leaseConfirmedAt = Math.max(u.leaseConfirmedAt, confirmed);
      }
      if (!this.options.solo)
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
    // Alone on its leases (no --redis), no other node can take an alias: a
    // process stopped for a while (SIGSTOP, a suspended VM) only finds its
    // renewals late, and dropping everyone for it ended every session.
    if (this.options.solo) return;
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
  private drop(user: User, why: 'alias_taken' | 'unavailable', message: string): void {
    user.peer.send(
      why === 'unavailable'
        ? errorEvent('internal', message, undefined, undefined, 'unavailable')
        : errorEvent('alias_taken', message),
    );
    this.host.disconnect(
      user,
      why === 'unavailable' ? 'server unavailable' : 'signed in from elsewhere',
    );
    user.peer.close(why);
  }

  /** A notice for a user held by another node (`key`: its folded alias). */
  tellRemote(key: string, event: SystemEvent): void {
    this.sendSignal({ t: 'tell', node: this.options.node, key, event });
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
    // Until when, so whoever is put out knows when to come back (or not to wait).
    const banned = `banned${untilText(ban.expires) || ' until an operator lifts it'}`;
    const reason = ban.reason ? `${banned}: ${ban.reason}` : banned;
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
    if (s.t === 'topic') {
      this.host.topicChanged(s.room, s.topic);
      return;
    }
    if (s.t === 'renamed') {
      this.host.followRename(s.from, { key: s.key, display: s.display });
      return;
    }
    if (s.t === 'signedIn') {
      // Signed in on another node: every session of the account here goes.
      this.signOutOthers(s.account, undefined, s.by);
      return;
    }
    if (s.t === 'displaced') {
      this.noteDisplaced(s.instance);
      return;
    }
    const user = this.host.users.get(s.key);
    if (!user) return;
    if (s.t === 'takeover') {
      if (user.peer.id === s.session) this.takeOver(user, s.by);
      return;
    }
    if (s.t === 'tell') {
      this.host.tellHere(user, s.event);
      return;
    }
    this.host.ejectBy(user, s.by, s.reason);
  }
}
