/**
 * Presence across nodes (docs/architecture.md, cluster mode): who is online
 * where and in which rooms, for /who, /whois and /rooms; a session that
 * comes back after its node stopped taking its old place (adopt); and the
 * quit, announced once, of sessions whose node stopped (reap). The base of
 * Cluster (core/cluster.ts), which adds the alias leases and the signals.
 * A solo node (no other process shares its leases) keeps no presence at all.
 */
import type { SystemEvent, WhoEntry } from '../protocol/messages.js';
import { ChatError } from '../protocol/errors.js';
import { skeleton } from '../protocol/lookalikes.js';
import { foldKey, parseRoom, type Name } from '../protocol/names.js';
import { EVERYONE, type Owner, type Presence } from '../store/lease.js';
import type { ChatOptions } from './chat-options.js';
import { unavailable, type ClusterHost, type Signal } from './cluster-signal.js';
import type { Room, User } from './model.js';

const DONE: Promise<void> = Promise.resolve();

/** Why the others read that a user whose server stopped has gone (reaped). */
const LOST_REASON = 'lost connection to its server';

export class ClusterPresence {
  readonly leaseMs: number;

  constructor(
    protected readonly host: ClusterHost,
    protected readonly options: ChatOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 15_000;
  }

  /**
   * Presence of a user in each of `rooms` (all of its rooms by default) and
   * in `*` (everyone), for /who, /whois and /rooms across nodes. The `*`
   * entry also names the session's identity, all its rooms and when it last
   * did something.
   */
  markPresent(user: User, rooms: Iterable<Room> = user.rooms.values()): Promise<void> {
    // Alone on its leases (no --redis), nobody reads presence (solo skips every
    // read of it): writing it cost two entries per user (about 300 bytes of
    // every idle connection) and 36,000 new objects each renewal at 18,000.
    if (this.options.solo) return DONE;
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
   * A session taking an alias (login, /nick) takes the place of the `*`
   * entry a session whose node stopped left under it (never removed nor
   * reaped). The same identity continues there, so the others see no quit
   * and no join for it (§9): the rooms the old session was in are returned
   * (folded key → display name). Someone else's quit is announced now,
   * before the newcomer shows under the alias: left to the reaper, it came
   * after the newcomer's join, or never once the newcomer's presence had
   * replaced the entry (members saw the alias join twice). Undefined for a
   * new arrival.
   */
  async adopt(name: Name, identity: string): Promise<Map<string, string> | undefined> {
    // Solo: no presence is kept, and a session of this very node is never adopted.
    if (this.options.solo) return undefined;
    let old: Presence | undefined;
    try {
      old = await this.options.leases.takePresence(
        EVERYONE,
        { key: name.key, display: name.display, node: this.options.node, identity },
        this.leaseMs,
      );
    } catch (err) {
      this.options.onInternalError?.(err, 'adopting presence');
      throw unavailable();
    }
    // An entry of this node's is a session that ended here, announced as it went.
    if (!old || old.node === this.options.node) return undefined;
    if (old.identity !== identity) {
      this.announceGone(old, old.rooms ?? []);
      return undefined;
    }
    return new Map((old.rooms ?? []).map((r) => [parseRoom(r).key, r]));
  }

  /**
   * Announce, once across all nodes, the quit of sessions whose node stopped
   * and that did not come back within a lease time after their lease lapsed:
   * of the nodes that try, the store hands each lapsed entry to exactly one.
   */
  async reap(): Promise<void> {
    if (this.options.solo) return;
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
    this.announceLeft(
      p,
      rooms.map((r) => parseRoom(r).key),
      undefined,
    );
  }

  /**
   * A session back after its node stopped, in some of its old rooms only:
   * the others hear it part those rooms, one `part` each. A quit (no room)
   * would tell clients it left the rooms it is still in.
   */
  announceParted(p: Pick<Presence, 'key' | 'display'>, rooms: string[]): void {
    for (const r of rooms) this.announceLeft(p, [parseRoom(r).key], r);
  }

  /** A quit in `keys`, or with `room` (its display name) a part of that one room. */
  private announceLeft(
    p: Pick<Presence, 'key' | 'display'>,
    keys: string[],
    room: string | undefined,
  ): void {
    const event: SystemEvent = {
      type: 'system',
      event: room === undefined ? 'quit' : 'part',
      ts: new Date(this.host.clock.now()).toISOString(),
      ...(room !== undefined && { room }),
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
    if (this.options.solo) return [];
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
    if (this.options.solo) return;
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
    if (this.options.solo) return sortWho(out);
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
    return sortWho(out);
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

  /** Tell every node (this one hears its own, and ignores it). */
  sendSignal(signal: Signal): void {
    // Alone, there is nobody to tell: a node ignores its own signals, and
    // encoding and decoding one per join and quit was a tenth of a join storm.
    if (this.options.solo) return;
    this.options.bus.signal(JSON.stringify(signal));
  }
}

function sortWho(entries: Map<string, WhoEntry>): WhoEntry[] {
  return [...entries.values()].sort((a, b) => a.name.localeCompare(b.name));
}
