import type { Claim, Lease, LeaseStore, Owner, Presence } from './lease.js';
import { RedisAccounts } from './redis-accounts.js';
import { RedisCalls, type RedisClient } from './redis-calls.js';
import { RedisKeys } from './redis-keys.js';
import { RedisLeases } from './redis-leases.js';
import { RedisPrefs } from './redis-prefs.js';
import { RedisStreams } from './redis-streams.js';
import type {
  AppendResult,
  TopicRecord,
  ModerationState,
  MuteRecord,
  NewMessage,
  Publish,
  ReadResult,
  Store,
  StreamKey,
} from './store.js';

export type { RedisClient };

export interface RedisStoreOptions {
  /** Owned by the store from now on: close() quits it. */
  client: RedisClient;
  /**
   * Called once per newly stored message, in seq order per stream, before its
   * append resolves. Other nodes learn of it from the SPUBLISH the append
   * script makes (see RedisBus); in a server composed with RedisBus this
   * callback is a no-op, since the script already rang the doorbell.
   */
  publish: Publish;
  /** Messages kept per stream. Default 10000. */
  retention?: number;
  /** How long a repeated idempotency key returns the original. Default 15 minutes. */
  idempotencyTtlMs?: number;
  /**
   * An injected clock (tests). Without one, idempotency uses this process's
   * clock and leases use Redis's TIME, so nodes with skewed clocks agree on
   * when a lease lapses.
   */
  now?: () => number;
  /** Prepended to every key and channel; lets several chats (or tests) share one Redis. Default `chat:`. */
  prefix?: string;
}

/**
 * The cluster-mode Store: streams, idempotency, accounts, bans, alias leases
 * and presence in Redis (single or Cluster), shared by every chat-server.
 * Each part works on its own keys through one connection (RedisCalls): this
 * class is the accounts part (redis-accounts.ts) and, by one-line delegation,
 * the streams (redis-streams.ts), preferences (redis-prefs.ts) and leases
 * (redis-leases.ts) as one Store and LeaseStore.
 */
export class RedisStore extends RedisAccounts implements Store, LeaseStore {
  private readonly streams: RedisStreams;
  private readonly prefs: RedisPrefs;
  private readonly leases: RedisLeases;

  constructor(options: RedisStoreOptions) {
    const keys = new RedisKeys(options.prefix ?? 'chat:');
    super(new RedisCalls(options.client), keys);
    const now = options.now;
    this.streams = new RedisStreams(this.calls, keys, {
      publish: options.publish,
      retention: options.retention ?? 10_000,
      idempotencyTtlMs: options.idempotencyTtlMs ?? 15 * 60_000,
      // Date.now looked up at each call, as mocked timers replace it.
      now: () => (now ?? Date.now)(),
    });
    this.prefs = new RedisPrefs(this.calls, keys);
    this.leases = new RedisLeases(this.calls, keys, now);
  }

  /** Wait for calls in flight, then quit the connection; later calls reject with StoreError `closed`. */
  close(): Promise<void> {
    return this.calls.close();
  }

  // ---- streams (redis-streams.ts) ---------------------------------------------

  append(stream: StreamKey, msg: NewMessage, idempotencyKey?: string): Promise<AppendResult> {
    return this.streams.append(stream, msg, idempotencyKey);
  }

  original(idempotencyKey: string): Promise<AppendResult | undefined> {
    return this.streams.original(idempotencyKey);
  }

  read(stream: StreamKey, afterSeq: number, limit: number): Promise<ReadResult> {
    return this.streams.read(stream, afterSeq, limit);
  }

  readBefore(stream: StreamKey, beforeSeq: number | undefined, limit: number): Promise<ReadResult> {
    return this.streams.readBefore(stream, beforeSeq, limit);
  }

  // ---- mutes, topic locks, topics, ignores (redis-prefs.ts) -------------------

  setMute(keys: readonly string[], record: MuteRecord): Promise<void> {
    return this.prefs.setMute(keys, record);
  }

  removeMutes(nameKey: string, keys: readonly string[]): Promise<MuteRecord[]> {
    return this.prefs.removeMutes(nameKey, keys);
  }

  setTopicLock(room: string, locked: boolean): Promise<void> {
    return this.prefs.setTopicLock(room, locked);
  }

  getModeration(): Promise<ModerationState> {
    return this.prefs.getModeration();
  }

  getTopic(room: StreamKey): Promise<TopicRecord | undefined> {
    return this.prefs.getTopic(room);
  }

  listTopics(): Promise<Map<StreamKey, TopicRecord>> {
    return this.prefs.listTopics();
  }

  setTopic(room: StreamKey, topic: TopicRecord): Promise<void> {
    return this.prefs.setTopic(room, topic);
  }

  getIgnores(owner: string): Promise<Map<string, string>> {
    return this.prefs.getIgnores(owner);
  }

  setIgnore(owner: string, key: string, display: string | undefined): Promise<void> {
    return this.prefs.setIgnore(owner, key, display);
  }

  // ---- alias leases and presence (redis-leases.ts) ----------------------------

  claimAlias(key: string, owner: Owner, ttlMs: number): Promise<Claim> {
    return this.leases.claimAlias(key, owner, ttlMs);
  }

  renew(leases: Lease[], ttlMs: number): Promise<Lease[]> {
    return this.leases.renew(leases, ttlMs);
  }

  release(key: string, token: string): Promise<boolean> {
    return this.leases.release(key, token);
  }

  restate(lease: Lease, owner: Owner): Promise<boolean> {
    return this.leases.restate(lease, owner);
  }

  holder(key: string): Promise<{ owner: Owner; expiresAt: number } | undefined> {
    return this.leases.holder(key);
  }

  setPresence(room: string, member: Omit<Presence, 'expiresAt'>, ttlMs: number): Promise<void> {
    return this.leases.setPresence(room, member, ttlMs);
  }

  takePresence(
    room: string,
    member: Omit<Presence, 'expiresAt'>,
    ttlMs: number,
  ): Promise<Presence | undefined> {
    return this.leases.takePresence(room, member, ttlMs);
  }

  reapPresence(room: string, graceMs: number): Promise<Presence[]> {
    return this.leases.reapPresence(room, graceMs);
  }

  removePresence(room: string, key: string): Promise<void> {
    return this.leases.removePresence(room, key);
  }

  presence(room: string): Promise<Presence[]> {
    return this.leases.presence(room);
  }
}
