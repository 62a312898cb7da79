import { Cluster, Redis } from 'ioredis';
import { decodeMember } from '../store/redis-streams.js';
import type { RedisClient } from '../store/redis-calls.js';
import { RedisKeys } from '../store/redis-keys.js';
import type { StoredMessage, StreamKey } from '../store/store.js';
import type { Bus, StreamListener } from './bus.js';

export interface RedisBusOptions {
  /** For publish(); may be shared with other users (the bus does not close it). */
  client: RedisClient;
  /**
   * A connection of its own, owned by the bus: it enters subscriber mode. For
   * Redis Cluster, a Cluster created with `shardedSubscribers: true`.
   */
  subscriber: RedisClient;
  /** The same prefix as the RedisStore's. Default `chat:`. */
  prefix?: string;
}

/**
 * The cross-node doorbell (docs/architecture.md): each stream has a shard channel
 * (`chat:{room:#lobby}:ev`, same slot as the stream's keys) on which the
 * RedisStore's append script SPUBLISHes each new message. Pub/sub delivers at
 * most once, so this is only a doorbell: consumers run a StreamFollower, which
 * reads any seq gap from the Store and re-reads from its last seq on resync.
 */
export class RedisBus implements Bus {
  private readonly client: RedisClient;
  private readonly sub: RedisClient;
  private readonly keys: RedisKeys;
  /** channel → its stream and listener. */
  private readonly streams = new Map<string, { stream: StreamKey; listener: StreamListener }>();
  private readonly resyncs: Array<() => void> = [];
  private signalListener: ((payload: string) => void) | undefined;
  /** One control channel for the whole chat (one slot on a Cluster). */
  private readonly control: string;
  private live = false;
  private closed = false;

  constructor(options: RedisBusOptions) {
    this.client = options.client;
    this.sub = options.subscriber;
    this.keys = new RedisKeys(options.prefix ?? 'chat:');
    this.control = `${options.prefix ?? 'chat:'}{ctl}:ev`;
    this.sub.on('smessage', (channel: string, member: string) => this.deliver(channel, member));
    if (this.sub instanceof Cluster) {
      // The group of per-shard subscribers (re)connected, or a shard moved.
      for (const event of ['subscribersReady', '+subscriber', '-node']) {
        this.sub.on(event, () => this.reconnected());
      }
    } else {
      this.sub.on('ready', () => this.reconnected());
    }
  }

  /** SPUBLISH a message on its stream's channel (the Store's script does this for appends). */
  publish(message: StoredMessage): void {
    const { stream, seq, ...body } = message;
    const member = `${seq}:${JSON.stringify(body)}`;
    this.client.spublish(this.keys.channel(stream), member).catch(() => {
      // A lost doorbell is repaired by the consumer's next gap check or resync.
    });
  }

  /** Resolves once Redis confirmed the subscription: appends after this are delivered. */
  async subscribe(stream: StreamKey, onMessages: StreamListener): Promise<void> {
    const channel = this.keys.channel(stream);
    this.streams.set(channel, { stream, listener: onMessages });
    await this.sub.ssubscribe(channel);
    this.live = true;
  }

  async unsubscribe(stream: StreamKey): Promise<void> {
    const channel = this.keys.channel(stream);
    if (!this.streams.delete(channel)) return;
    // Callers leave it running (a user's session ended): while Redis is away
    // the command fails, and a rejection here would end the process. Nothing
    // is left to undo: the channel is out of `streams`, so a reconnect does
    // not renew it and a stray message on it is dropped by deliver().
    await this.sub.sunsubscribe(channel).catch(() => undefined);
  }

  onResync(callback: () => void): void {
    this.resyncs.push(callback);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.streams.clear();
    this.sub.disconnect();
  }

  signal(payload: string): void {
    this.client.spublish(this.control, payload).catch(() => {
      // Control notices are best effort: leases and presence expire on their own.
    });
  }

  async onSignal(listener: (payload: string) => void): Promise<void> {
    this.signalListener = listener;
    await this.sub.ssubscribe(this.control);
  }

  private deliver(channel: string, member: string): void {
    if (channel === this.control) {
      this.signalListener?.(member);
      return;
    }
    const entry = this.streams.get(channel);
    if (!entry) return;
    let message: StoredMessage;
    try {
      message = decodeMember(entry.stream, member);
    } catch {
      return; // Not ours (another program on the same channel name); nothing to deliver.
    }
    entry.listener([message]);
  }

  /**
   * After a reconnect the subscriptions are renewed (ioredis does too; a
   * second SSUBSCRIBE is harmless) before consumers are told to resync, so
   * nothing appended after their re-read can slip past them.
   */
  private reconnected(): void {
    if (this.closed || !this.live) return;
    const channels = [...this.streams.keys()];
    if (this.signalListener) channels.push(this.control);
    const renewed = channels.length > 0 ? this.sub.ssubscribe(...channels) : Promise.resolve();
    renewed.then(
      () => {
        for (const cb of this.resyncs) cb();
      },
      () => {
        // Still down: the next ready event tries again.
      },
    );
  }
}

/** Where a chat's Redis is: one URL, or the seed nodes of a Redis Cluster. */
export type RedisTarget = { url: string } | { cluster: Array<{ host: string; port: number }> };

/** One Redis's command connection. */
function newRedis(url: string): Redis {
  // A few retries, not ioredis's 20: a node that cannot reach Redis should
  // fail a request in seconds (the user gets an error) rather than hang.
  return new Redis(url, { maxRetriesPerRequest: 2 });
}

/**
 * The command connection alone, for what needs no doorbell (`chat-server
 * accounts`): the same connection options as a server node's.
 */
export function connectRedisClient(target: RedisTarget): RedisClient {
  return 'url' in target
    ? newRedis(target.url)
    : new Cluster(target.cluster, { redisOptions: { maxRetriesPerRequest: 2 } });
}

/** A command connection and a subscriber connection for a target. */
export function connectRedis(target: RedisTarget): {
  client: RedisClient;
  subscriber: RedisClient;
} {
  if ('url' in target) {
    const client = newRedis(target.url);
    return { client, subscriber: client.duplicate() };
  }
  return {
    client: connectRedisClient(target),
    subscriber: new Cluster(target.cluster, { shardedSubscribers: true }),
  };
}
