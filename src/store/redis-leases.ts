/**
 * Alias leases and room presence in Redis (the LeaseStore, docs/architecture.md):
 * an alias is a hash with its owner, token and expiry; a room's presence is a
 * sorted set of keys by expiry beside a hash of their info. Every check of a
 * token or an expiry runs inside a script, on Redis's own clock unless one is
 * injected, so nodes with skewed clocks agree on when a lease lapses.
 */
import { randomUUID } from 'node:crypto';
import {
  EVERYONE,
  type Claim,
  type Lease,
  type LeaseStore,
  type Owner,
  type Presence,
} from './lease.js';
import { RedisPart, Script, type RedisCalls } from './redis-calls.js';
import type { RedisKeys } from './redis-keys.js';
import * as lua from './redis-scripts.js';

const SCRIPTS = {
  claim: new Script(lua.CLAIM),
  renew: new Script(lua.RENEW),
  release: new Script(lua.RELEASE),
  restate: new Script(lua.RESTATE),
  holder: new Script(lua.HOLDER),
  setPresence: new Script(lua.SET_PRESENCE),
  presence: new Script(lua.PRESENCE),
  takePresence: new Script(lua.TAKE_PRESENCE),
  reapPresence: new Script(lua.REAP_PRESENCE),
};

/** How long a room's lapsed presence entries are kept: `*`'s wait for reapPresence (-1: never purged). */
function keepLapsed(room: string): string {
  return room === EVERYONE ? '-1' : '0';
}

/** A presence entry from its sorted-set member, score and info JSON. */
function presenceOf(key: string, exp: string, json: string): Presence {
  const info = JSON.parse(json) as Partial<Omit<Presence, 'key' | 'expiresAt'>>;
  return {
    ...info,
    key,
    expiresAt: Number(exp),
    display: info.display ?? key,
    node: info.node ?? '',
  };
}

/** A script's flat [key, exp, info json, …] as presence entries. */
function presenceList(flat: string[]): Presence[] {
  const out: Presence[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3)
    out.push(presenceOf(flat[i]!, flat[i + 1]!, flat[i + 2]!));
  return out;
}

/** Everything of a presence entry but its key (the sorted set's member); undefined drops out. */
function presenceInfo(member: Omit<Presence, 'expiresAt'>): string {
  return JSON.stringify({ ...member, key: undefined });
}

export class RedisLeases extends RedisPart implements LeaseStore {
  constructor(
    calls: RedisCalls,
    keys: RedisKeys,
    /** An injected clock (tests); without one the scripts read Redis's TIME. */
    private readonly injectedNow: (() => number) | undefined,
  ) {
    super(calls, keys);
  }

  /** The clock argument of the lease scripts: the injected clock, or -1 for Redis TIME. */
  private now(): string {
    return this.injectedNow ? String(this.injectedNow()) : '-1';
  }

  async claimAlias(key: string, owner: Owner, ttlMs: number): Promise<Claim> {
    const token = randomUUID();
    const reply = await this.calls.script<[number, string, string]>(
      SCRIPTS.claim,
      [this.keys.alias(key)],
      [JSON.stringify(owner), token, this.now(), String(ttlMs)],
    );
    const expiresAt = Number(reply[2]);
    if (reply[0] === 1) return { ok: true, lease: { key, token, expiresAt } };
    return { ok: false, holder: JSON.parse(reply[1]) as Owner, expiresAt };
  }

  async renew(leases: Lease[], ttlMs: number): Promise<Lease[]> {
    // One script per lease: aliases hash to different slots, so no single
    // script may touch them all on Redis Cluster. They are sent together.
    const replies = await Promise.all(
      leases.map((l) =>
        this.calls.script(
          SCRIPTS.renew,
          [this.keys.alias(l.key)],
          [l.token, this.now(), String(ttlMs)],
        ),
      ),
    );
    const lost: Lease[] = [];
    leases.forEach((lease, i) => {
      const exp = Number(replies[i]);
      if (exp < 0) lost.push(lease);
      else lease.expiresAt = exp;
    });
    return lost;
  }

  async release(key: string, token: string): Promise<boolean> {
    const done = await this.calls.script(
      SCRIPTS.release,
      [this.keys.alias(key)],
      [token, this.now()],
    );
    return done === 1;
  }

  async restate(lease: Lease, owner: Owner): Promise<boolean> {
    const done = await this.calls.script(
      SCRIPTS.restate,
      [this.keys.alias(lease.key)],
      [lease.token, this.now(), JSON.stringify(owner)],
    );
    return done === 1;
  }

  async holder(key: string): Promise<{ owner: Owner; expiresAt: number } | undefined> {
    const reply = await this.calls.script<[string, string] | null>(
      SCRIPTS.holder,
      [this.keys.alias(key)],
      [this.now()],
    );
    return reply
      ? { owner: JSON.parse(reply[0]) as Owner, expiresAt: Number(reply[1]) }
      : undefined;
  }

  async setPresence(
    room: string,
    member: Omit<Presence, 'expiresAt'>,
    ttlMs: number,
  ): Promise<void> {
    const k = this.keys.stream(room);
    await this.calls.script(
      SCRIPTS.setPresence,
      [k.presence, k.presenceInfo],
      [member.key, presenceInfo(member), this.now(), String(ttlMs), keepLapsed(room)],
    );
  }

  async takePresence(
    room: string,
    member: Omit<Presence, 'expiresAt'>,
    ttlMs: number,
  ): Promise<Presence | undefined> {
    const k = this.keys.stream(room);
    const reply = await this.calls.script<[string, string] | null>(
      SCRIPTS.takePresence,
      [k.presence, k.presenceInfo],
      [member.key, presenceInfo(member), this.now(), String(ttlMs)],
    );
    return reply ? presenceOf(member.key, reply[0], reply[1]) : undefined;
  }

  async reapPresence(room: string, graceMs: number): Promise<Presence[]> {
    const k = this.keys.stream(room);
    const flat = await this.calls.script<string[]>(
      SCRIPTS.reapPresence,
      [k.presence, k.presenceInfo],
      [this.now(), String(graceMs)],
    );
    return presenceList(flat);
  }

  async removePresence(room: string, key: string): Promise<void> {
    const k = this.keys.stream(room);
    await this.calls.track(
      Promise.all([this.client.zrem(k.presence, key), this.client.hdel(k.presenceInfo, key)]),
    );
  }

  async presence(room: string): Promise<Presence[]> {
    const k = this.keys.stream(room);
    const flat = await this.calls.script<string[]>(
      SCRIPTS.presence,
      [k.presence, k.presenceInfo],
      [this.now(), keepLapsed(room)],
    );
    return presenceList(flat).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
