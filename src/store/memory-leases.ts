import type { Claim, Lease, LeaseStore, Owner, Presence } from './lease.js';

interface Held {
  owner: Owner;
  token: string;
  expiresAt: number;
}

/**
 * Leases in process memory: the single-process reference implementation the
 * lease contract suite checks Redis against. The clock is injectable so
 * expiry is tested without waiting.
 */
export class MemoryLeases implements LeaseStore {
  private readonly aliases = new Map<string, Held>();
  private readonly rooms = new Map<string, Map<string, Presence>>();
  /**
   * Tokens count up: they prove ownership only to this process, which hands
   * every one out itself, so unique is enough (no other node can guess one).
   * A short flat string, where randomUUID() left a chain of 14 concatenated
   * strings (about 450 bytes) on every session for its whole life.
   */
  private lastToken = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async claimAlias(key: string, owner: Owner, ttlMs: number): Promise<Claim> {
    const held = this.live(key);
    if (held) return { ok: false, holder: { ...held.owner }, expiresAt: held.expiresAt };
    const lease = { key, token: `t${++this.lastToken}`, expiresAt: this.now() + ttlMs };
    this.aliases.set(key, { owner: { ...owner }, token: lease.token, expiresAt: lease.expiresAt });
    return { ok: true, lease };
  }

  async renew(leases: Lease[], ttlMs: number): Promise<Lease[]> {
    const lost: Lease[] = [];
    for (const lease of leases) {
      const held = this.live(lease.key);
      if (held?.token === lease.token) {
        held.expiresAt = this.now() + ttlMs;
        lease.expiresAt = held.expiresAt;
      } else lost.push(lease);
    }
    return lost;
  }

  async release(key: string, token: string): Promise<boolean> {
    const held = this.live(key);
    if (held?.token !== token) return false;
    this.aliases.delete(key);
    return true;
  }

  async restate(lease: Lease, owner: Owner): Promise<boolean> {
    const held = this.live(lease.key);
    if (held?.token !== lease.token) return false;
    held.owner = { ...owner };
    return true;
  }

  async holder(key: string): Promise<{ owner: Owner; expiresAt: number } | undefined> {
    const held = this.live(key);
    return held && { owner: { ...held.owner }, expiresAt: held.expiresAt };
  }

  async setPresence(
    room: string,
    member: Omit<Presence, 'expiresAt'>,
    ttlMs: number,
  ): Promise<void> {
    let members = this.rooms.get(room);
    if (!members) this.rooms.set(room, (members = new Map()));
    members.set(member.key, { ...member, expiresAt: this.now() + ttlMs });
  }

  async removePresence(room: string, key: string): Promise<void> {
    this.rooms.get(room)?.delete(key);
  }

  async presence(room: string): Promise<Presence[]> {
    const now = this.now();
    return [...(this.rooms.get(room)?.values() ?? [])]
      .filter((p) => p.expiresAt > now)
      .map((p) => ({ ...p }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async takePresence(
    room: string,
    member: Omit<Presence, 'expiresAt'>,
    ttlMs: number,
  ): Promise<Presence | undefined> {
    const old = this.rooms.get(room)?.get(member.key);
    if (!old) return undefined;
    await this.setPresence(room, member, ttlMs);
    return { ...old };
  }

  async reapPresence(room: string, graceMs: number): Promise<Presence[]> {
    const members = this.rooms.get(room);
    if (!members) return [];
    const limit = this.now() - graceMs;
    const out: Presence[] = [];
    for (const [key, p] of members) {
      if (p.expiresAt > limit) continue;
      members.delete(key);
      out.push(p);
    }
    return out;
  }

  /** The holder whose lease has not lapsed; a lapsed one is forgotten. */
  private live(key: string): Held | undefined {
    const held = this.aliases.get(key);
    if (held && held.expiresAt > this.now()) return held;
    this.aliases.delete(key);
    return undefined;
  }
}
