/**
 * Redis key layout. Every key of one stream carries the same hash tag
 * (`{room:#lobby}`, `{user:@bob}`), so a stream's messages, counter,
 * idempotency keys, presence and publish channel live on one Redis Cluster
 * shard and one Lua script can touch them all atomically.
 */
import type { StreamKey } from './store.js';

/** The hash tag of a stream: `room:` for `#…`, `user:` for `@…`. */
export function streamTag(stream: StreamKey): string {
  const kind = stream.startsWith('#') ? 'room' : stream.startsWith('@') ? 'user' : 'stream';
  // A `}` inside a tag would end it early; every key of the stream would still
  // share the shortened tag (same slot), but keep distinct streams distinct.
  return `{${kind}:${stream.replaceAll('}', '%7D')}}`;
}

export class RedisKeys {
  constructor(readonly prefix: string) {}

  stream(stream: StreamKey) {
    const base = `${this.prefix}${streamTag(stream)}`;
    return {
      meta: `${base}:meta`,
      msgs: `${base}:msgs`,
      idem: `${base}:idem`,
      idemq: `${base}:idemq`,
      presence: `${base}:presence`,
      presenceInfo: `${base}:presence:info`,
    };
  }

  /** The shard channel a stream's appends are published on (SPUBLISH; same slot as its keys). */
  channel(stream: StreamKey): string {
    return `${this.prefix}${streamTag(stream)}:ev`;
  }

  /** Which stream an idempotency key was last used in: lets original(key) find it. */
  idemIndex(idempotencyKey: string): string {
    return `${this.prefix}idem:${idempotencyKey}`;
  }

  alias(key: string): string {
    return `${this.prefix}{alias:${key.replaceAll('}', '%7D')}}`;
  }

  account(key: string): string {
    return `${this.accountPrefix}${key}`;
  }

  get accountPrefix(): string {
    return `${this.prefix}{accounts}:a:`;
  }

  get accountSet(): string {
    return `${this.prefix}{accounts}:all`;
  }

  /** Bans (hash: kind NUL value → JSON BanRecord); few, read whole (CIDR matching). */
  get bans(): string {
    return `${this.prefix}{bans}:h`;
  }

  /** Room topics (hash: room key → JSON TopicRecord). */
  get topics(): string {
    return `${this.prefix}{topics}:h`;
  }

  /** Mutes (hash: mute key → JSON MuteRecord). */
  get mutes(): string {
    return `${this.prefix}{moderation}:mutes`;
  }

  /** Rooms whose topic is locked (set of room keys). */
  get topicLocks(): string {
    return `${this.prefix}{moderation}:locks`;
  }

  /** One identity's ignore list (hash: folded alias → display alias). */
  ignores(owner: string): string {
    return `${this.prefix}{ignores:${owner.replaceAll('}', '%7D')}}`;
  }

  /** The audit trail (list of JSON AuditRecord, oldest first). */
  get audit(): string {
    return `${this.prefix}{audit}:log`;
  }
}
