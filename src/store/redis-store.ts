import { createHash, randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import {
  EVERYONE,
  type Claim,
  type Lease,
  type LeaseStore,
  type Owner,
  type Presence,
} from './lease.js';
import { banApplies, inForce } from './ban-match.js';
import { RedisKeys } from './redis-keys.js';
import * as lua from './redis-scripts.js';
import { StoreError } from './store-error.js';
import type {
  AccountRecord,
  AppendResult,
  AuditRecord,
  BanQuery,
  BanRecord,
  TopicRecord,
  ModerationState,
  MuteRecord,
  NewMessage,
  Publish,
  ReadResult,
  Store,
  StoredMessage,
  StreamKey,
} from './store.js';

/** A single Redis or a Redis Cluster: every call here works on both. */
export type RedisClient = Redis | Cluster;

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

/** A message's JSON in Redis: the NewMessage fields; stream and seq come from the key and member. */
interface Body {
  from: string;
  to?: string;
  text: string;
  action: boolean;
  ts: number;
}

/** A Lua script with its SHA1, run by EVALSHA and loaded by EVAL on NOSCRIPT. */
class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

const SCRIPTS = {
  append: new Script(lua.APPEND),
  read: new Script(lua.READ),
  original: new Script(lua.ORIGINAL),
  claim: new Script(lua.CLAIM),
  renew: new Script(lua.RENEW),
  release: new Script(lua.RELEASE),
  holder: new Script(lua.HOLDER),
  setPresence: new Script(lua.SET_PRESENCE),
  presence: new Script(lua.PRESENCE),
  adoptPresence: new Script(lua.ADOPT_PRESENCE),
  reapPresence: new Script(lua.REAP_PRESENCE),
  createAccount: new Script(lua.CREATE_ACCOUNT),
  updateAccount: new Script(lua.UPDATE_ACCOUNT),
  deleteAccount: new Script(lua.DELETE_ACCOUNT),
  listAccounts: new Script(lua.LIST_ACCOUNTS),
};

/** A member `seq:json` as a message of `stream`. */
export function decodeMember(stream: StreamKey, member: string): StoredMessage {
  const colon = member.indexOf(':');
  const body = JSON.parse(member.slice(colon + 1)) as Body;
  const message: StoredMessage = {
    from: body.from,
    text: body.text,
    action: body.action,
    ts: body.ts,
    stream,
    seq: Number(member.slice(0, colon)),
  };
  if (body.to !== undefined) message.to = body.to;
  return message;
}

function encodeBody(msg: NewMessage): string {
  const body: Body = { from: msg.from, text: msg.text, action: msg.action, ts: msg.ts };
  if (msg.to !== undefined) body.to = msg.to;
  return JSON.stringify(body);
}

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

/** HGETALL's flat [field, value, …] as an object. */
function fields(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const list = flat as string[];
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
}

/**
 * The cluster-mode Store: streams, idempotency, accounts, bans, alias leases
 * and presence in Redis (single or Cluster), shared by every chat-server.
 *
 * One append is one EVALSHA (seq, store, trim, idempotency, SPUBLISH in one
 * atomic script); an append with an idempotency key also sends one SET of the
 * key's index (which stream it was used in, for original()) in the same
 * pipeline, so each append costs one round trip of latency. Commands on one
 * connection execute and reply in order, so the local publish callback,
 * called from each reply, sees every stream in seq order.
 */
export class RedisStore implements Store, LeaseStore {
  private readonly client: RedisClient;
  private readonly publish: Publish;
  private readonly retention: number;
  private readonly idempotencyTtlMs: number;
  private readonly injectedNow: (() => number) | undefined;
  private readonly keys: RedisKeys;
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(options: RedisStoreOptions) {
    this.client = options.client;
    this.publish = options.publish;
    this.retention = options.retention ?? 10_000;
    this.idempotencyTtlMs = options.idempotencyTtlMs ?? 15 * 60_000;
    this.injectedNow = options.now;
    this.keys = new RedisKeys(options.prefix ?? 'chat:');
  }

  // ---- streams -------------------------------------------------------------

  async append(stream: StreamKey, msg: NewMessage, idempotencyKey?: string): Promise<AppendResult> {
    const k = this.keys.stream(stream);
    const script = this.run(
      SCRIPTS.append,
      [k.meta, k.msgs, k.idem, k.idemq],
      [
        encodeBody(msg),
        idempotencyKey ?? '',
        String(this.now()),
        String(this.idempotencyTtlMs),
        String(this.retention),
        randomUUID(),
        this.keys.channel(stream),
      ],
      (reply) => {
        const [dup, epoch, member] = reply as [number, string, string];
        const result: AppendResult = {
          message: decodeMember(stream, member),
          epoch,
          duplicate: dup === 1,
        };
        // On the reply itself (not after the index SET below), so that the
        // publish order is the order Redis ran the appends in.
        if (!result.duplicate) this.publish(result.message);
        return result;
      },
    );
    if (idempotencyKey === undefined) return this.track(script);
    const index = this.track(
      this.client.set(this.keys.idemIndex(idempotencyKey), stream, 'PX', this.idempotencyTtlMs),
    );
    const [result] = await Promise.all([this.track(script), index]);
    return result;
  }

  async original(idempotencyKey: string): Promise<AppendResult | undefined> {
    const stream = await this.track(this.client.get(this.keys.idemIndex(idempotencyKey)));
    if (stream === null) return undefined;
    const k = this.keys.stream(stream);
    const reply = (await this.track(
      this.run(
        SCRIPTS.original,
        [k.meta, k.idem],
        [idempotencyKey, String(this.now()), String(this.idempotencyTtlMs)],
      ),
    )) as [string, string] | null;
    if (!reply) return undefined;
    return { message: decodeMember(stream, reply[1]), epoch: reply[0], duplicate: true };
  }

  read(stream: StreamKey, afterSeq: number, limit: number): Promise<ReadResult> {
    return this.readStream(stream, 'after', String(afterSeq), limit);
  }

  readBefore(stream: StreamKey, beforeSeq: number | undefined, limit: number): Promise<ReadResult> {
    return this.readStream(
      stream,
      'before',
      beforeSeq === undefined ? '' : String(beforeSeq),
      limit,
    );
  }

  private async readStream(
    stream: StreamKey,
    direction: 'after' | 'before',
    seq: string,
    limit: number,
  ): Promise<ReadResult> {
    const k = this.keys.stream(stream);
    const n = limit === Infinity ? -1 : limit > 0 ? Math.floor(limit) : 0;
    const reply = (await this.track(
      this.run(SCRIPTS.read, [k.meta, k.msgs], [direction, seq, String(n), randomUUID()]),
    )) as string[];
    const [epoch, top, first, ...members] = reply;
    const messages = members.map((m) => decodeMember(stream, m));
    if (direction === 'before') messages.reverse();
    return { epoch: epoch!, top: Number(top), firstRetained: Number(first), messages };
  }

  // ---- accounts and bans ---------------------------------------------------

  async getAccount(key: string): Promise<AccountRecord | undefined> {
    const h = await this.track(this.client.hgetall(this.keys.account(key)));
    return h.key === undefined ? undefined : toAccount(h);
  }

  async createAccount(a: AccountRecord): Promise<boolean> {
    const created = await this.track(
      this.run(
        SCRIPTS.createAccount,
        [this.keys.account(a.key), this.keys.accountSet],
        [a.key, a.name, a.hash, a.operator ? '1' : '0', String(a.createdAt)],
      ),
    );
    return created === 1;
  }

  async updateAccount(
    key: string,
    change: Partial<Pick<AccountRecord, 'hash' | 'operator'>>,
  ): Promise<boolean> {
    const pairs: string[] = [];
    if (change.hash !== undefined) pairs.push('hash', change.hash);
    if (change.operator !== undefined) pairs.push('operator', change.operator ? '1' : '0');
    if (pairs.length === 0) return (await this.getAccount(key)) !== undefined;
    const done = await this.track(this.run(SCRIPTS.updateAccount, [this.keys.account(key)], pairs));
    return done === 1;
  }

  async deleteAccount(key: string): Promise<boolean> {
    const removed = await this.track(
      this.run(SCRIPTS.deleteAccount, [this.keys.account(key), this.keys.accountSet], [key]),
    );
    return removed === 1;
  }

  async listAccounts(): Promise<AccountRecord[]> {
    const rows = (await this.track(
      this.run(SCRIPTS.listAccounts, [this.keys.accountSet], [this.keys.accountPrefix]),
    )) as unknown[];
    return rows
      .map((r) => fields(r))
      .filter((h) => h.key !== undefined)
      .map(toAccount)
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  }

  async addBan(b: BanRecord): Promise<void> {
    await this.cmd(() =>
      this.client.hset(this.keys.bans, banId(b.kind, b.value), JSON.stringify(b)),
    );
  }

  /** Every ban, in force or not (a handful: read whole, matched here, CIDR included). */
  private async allBans(): Promise<Map<string, BanRecord>> {
    const h = await this.cmd(() => this.client.hgetall(this.keys.bans));
    return new Map(Object.entries(h).map(([id, json]) => [id, JSON.parse(json) as BanRecord]));
  }

  async removeBans(target: string): Promise<number> {
    const ids = [...(await this.allBans())]
      .filter(([, b]) => b.nameKey === target || b.value === target)
      .map(([id]) => id);
    if (ids.length === 0) return 0;
    return Number(await this.cmd(() => this.client.hdel(this.keys.bans, ...ids)));
  }

  async listBans(now: number): Promise<BanRecord[]> {
    return [...(await this.allBans()).values()]
      .filter((b) => inForce(b, now))
      .sort((x, y) => x.at - y.at);
  }

  async findBan(query: BanQuery): Promise<BanRecord | undefined> {
    return [...(await this.allBans()).values()].find((b) => banApplies(b, query));
  }

  async addAudit(record: AuditRecord): Promise<void> {
    await this.cmd(() => this.client.rpush(this.keys.audit, JSON.stringify(record)));
  }

  async listAudit(since: number): Promise<AuditRecord[]> {
    const all = await this.cmd(() => this.client.lrange(this.keys.audit, 0, -1));
    return all.map((j) => JSON.parse(j) as AuditRecord).filter((r) => r.at >= since);
  }

  // ---- mutes and topic locks ------------------------------------------------

  async setMute(keys: readonly string[], record: MuteRecord): Promise<void> {
    if (keys.length === 0) return;
    const json = JSON.stringify(record);
    await this.cmd(() => this.client.hset(this.keys.mutes, ...keys.flatMap((k) => [k, json])));
  }

  async removeMutes(nameKey: string, keys: readonly string[]): Promise<MuteRecord[]> {
    const all = await this.cmd(() => this.client.hgetall(this.keys.mutes));
    const hit = Object.entries(all)
      .map(([k, j]) => [k, JSON.parse(j) as MuteRecord] as const)
      .filter(([k, r]) => r.nameKey === nameKey || keys.includes(k));
    if (hit.length === 0) return [];
    // HDEL says how many it removed: a racing /unmute on another node lifts the rest.
    const removed = await this.cmd(() => this.client.hdel(this.keys.mutes, ...hit.map(([k]) => k)));
    return removed > 0 ? hit.map(([, r]) => r) : [];
  }

  async setTopicLock(room: string, locked: boolean): Promise<void> {
    await this.cmd(() =>
      locked
        ? this.client.sadd(this.keys.topicLocks, room)
        : this.client.srem(this.keys.topicLocks, room),
    );
  }

  async getModeration(): Promise<ModerationState> {
    const [mutes, locks] = await Promise.all([
      this.cmd(() => this.client.hgetall(this.keys.mutes)),
      this.cmd(() => this.client.smembers(this.keys.topicLocks)),
    ]);
    return {
      mutes: new Map(Object.entries(mutes).map(([k, j]) => [k, JSON.parse(j) as MuteRecord])),
      locks: new Set(locks),
    };
  }

  // ---- topics and ignores ---------------------------------------------------

  async getTopic(room: StreamKey): Promise<TopicRecord | undefined> {
    const j = await this.cmd(() => this.client.hget(this.keys.topics, room));
    return j === null ? undefined : (JSON.parse(j) as TopicRecord);
  }

  async listTopics(): Promise<Map<StreamKey, TopicRecord>> {
    const h = await this.cmd(() => this.client.hgetall(this.keys.topics));
    return new Map(Object.entries(h).map(([room, j]) => [room, JSON.parse(j) as TopicRecord]));
  }

  async setTopic(room: StreamKey, topic: TopicRecord): Promise<void> {
    await this.cmd(() => this.client.hset(this.keys.topics, room, JSON.stringify(topic)));
  }

  async getIgnores(owner: string): Promise<Map<string, string>> {
    const h = await this.cmd(() => this.client.hgetall(this.keys.ignores(owner)));
    return new Map(Object.entries(h));
  }

  async setIgnore(owner: string, key: string, display: string | undefined): Promise<void> {
    const k = this.keys.ignores(owner);
    await this.cmd(() =>
      display === undefined ? this.client.hdel(k, key) : this.client.hset(k, key, display),
    );
  }

  // ---- alias leases and presence --------------------------------------------

  async claimAlias(key: string, owner: Owner, ttlMs: number): Promise<Claim> {
    const token = randomUUID();
    const reply = (await this.track(
      this.run(
        SCRIPTS.claim,
        [this.keys.alias(key)],
        [JSON.stringify(owner), token, this.leaseNow(), String(ttlMs)],
      ),
    )) as [number, string, string];
    const expiresAt = Number(reply[2]);
    if (reply[0] === 1) return { ok: true, lease: { key, token, expiresAt } };
    return { ok: false, holder: JSON.parse(reply[1]) as Owner, expiresAt };
  }

  async renew(leases: Lease[], ttlMs: number): Promise<Lease[]> {
    // One script per lease: aliases hash to different slots, so no single
    // script may touch them all on Redis Cluster. They are sent together.
    const replies = await Promise.all(
      leases.map((l) =>
        this.track(
          this.run(
            SCRIPTS.renew,
            [this.keys.alias(l.key)],
            [l.token, this.leaseNow(), String(ttlMs)],
          ),
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
    const done = await this.track(
      this.run(SCRIPTS.release, [this.keys.alias(key)], [token, this.leaseNow()]),
    );
    return done === 1;
  }

  async holder(key: string): Promise<{ owner: Owner; expiresAt: number } | undefined> {
    const reply = (await this.track(
      this.run(SCRIPTS.holder, [this.keys.alias(key)], [this.leaseNow()]),
    )) as [string, string] | null;
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
    // Everything but the key (the sorted set's member); undefined drops out.
    const info = JSON.stringify({ ...member, key: undefined });
    await this.track(
      this.run(
        SCRIPTS.setPresence,
        [k.presence, k.presenceInfo],
        [member.key, info, this.leaseNow(), String(ttlMs), keepLapsed(room)],
      ),
    );
  }

  async adoptPresence(
    room: string,
    member: Omit<Presence, 'expiresAt'>,
    ttlMs: number,
  ): Promise<Presence | undefined> {
    if (member.identity === undefined) return undefined;
    const k = this.keys.stream(room);
    const info = JSON.stringify({ ...member, key: undefined });
    const reply = (await this.track(
      this.run(
        SCRIPTS.adoptPresence,
        [k.presence, k.presenceInfo],
        [member.key, info, member.identity, this.leaseNow(), String(ttlMs)],
      ),
    )) as [string, string] | null;
    return reply ? presenceOf(member.key, reply[0], reply[1]) : undefined;
  }

  async reapPresence(room: string, graceMs: number): Promise<Presence[]> {
    const k = this.keys.stream(room);
    const flat = (await this.track(
      this.run(
        SCRIPTS.reapPresence,
        [k.presence, k.presenceInfo],
        [this.leaseNow(), String(graceMs)],
      ),
    )) as string[];
    const out: Presence[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3)
      out.push(presenceOf(flat[i]!, flat[i + 1]!, flat[i + 2]!));
    return out;
  }

  async removePresence(room: string, key: string): Promise<void> {
    const k = this.keys.stream(room);
    await this.track(
      Promise.all([this.client.zrem(k.presence, key), this.client.hdel(k.presenceInfo, key)]),
    );
  }

  async presence(room: string): Promise<Presence[]> {
    const k = this.keys.stream(room);
    const flat = (await this.track(
      this.run(SCRIPTS.presence, [k.presence, k.presenceInfo], [this.leaseNow(), keepLapsed(room)]),
    )) as string[];
    const out: Presence[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3)
      out.push(presenceOf(flat[i]!, flat[i + 1]!, flat[i + 2]!));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  // ---- lifecycle -------------------------------------------------------------

  /** Wait for calls in flight, then quit the connection; later calls reject with StoreError `closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    try {
      await this.client.quit();
    } catch {
      // Already disconnected: nothing left to release.
    }
  }

  private now(): number {
    return (this.injectedNow ?? Date.now)();
  }

  /** The lease clock argument: the injected clock, or -1 for Redis TIME. */
  private leaseNow(): string {
    return this.injectedNow ? String(this.injectedNow()) : '-1';
  }

  /** One plain command, tracked for close() and failing as a StoreError like scripts do. */
  private cmd<T>(call: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(
        new StoreError('closed', 'The Redis store is closed; it was used after close().'),
      );
    }
    return this.track(
      call().catch((err: unknown) => {
        const reason = err instanceof Error ? err.message : String(err);
        throw new StoreError(
          'unavailable',
          `Redis call failed: ${reason}. Check that Redis is up.`,
          {
            cause: err,
          },
        );
      }),
    );
  }

  /** Remember a call until it settles (close waits for it); refuse calls after close. */
  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
    };
    p.then(done, done);
    // Plain commands (not scripts) fail with ioredis's own errors: name them as
    // the store being unreachable, as run() does, so users get `unavailable`.
    return p.catch((err: unknown) => {
      if (err instanceof StoreError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new StoreError('unavailable', `Redis call failed: ${reason}. Check that Redis is up.`, {
        cause: err,
      });
    });
  }

  /**
   * EVALSHA, falling back to EVAL (which caches the script) on a node that has
   * not seen it yet. `onReply` runs directly on the command's own reply, one
   * step after it arrives whichever path ran the script, so replies are
   * handled in the order Redis executed them (append relies on this to
   * publish in seq order).
   */
  private run<R = unknown>(
    script: Script,
    keys: string[],
    args: string[],
    onReply: (reply: unknown) => R = (reply) => reply as R,
  ): Promise<R> {
    if (this.closed) {
      return Promise.reject(
        new StoreError('closed', 'The Redis store is closed; it was used after close().'),
      );
    }
    return new Promise<R>((resolve, reject) => {
      const fail = (err: unknown): void => {
        const reason = err instanceof Error ? err.message : String(err);
        reject(
          new StoreError('unavailable', `Redis call failed: ${reason}. Check that Redis is up.`, {
            cause: err,
          }),
        );
      };
      const ok = (reply: unknown): void => {
        try {
          resolve(onReply(reply));
        } catch (err) {
          reject(err);
        }
      };
      this.client.evalsha(script.sha, keys.length, ...keys, ...args).then(ok, (err: unknown) => {
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
          this.client.eval(script.source, keys.length, ...keys, ...args).then(ok, fail);
        } else fail(err);
      });
    });
  }
}

function banId(kind: BanRecord['kind'], value: string): string {
  return `${kind}\u0000${value}`;
}

function toAccount(h: Record<string, string>): AccountRecord {
  return {
    key: h.key ?? '',
    name: h.name ?? '',
    hash: h.hash ?? '',
    operator: h.operator === '1',
    createdAt: Number(h.createdAt),
  };
}
