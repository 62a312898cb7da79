/**
 * How the Redis store reaches Redis: its Lua scripts by SHA (EVAL on a node
 * that has not cached one), plain commands, every failure as a StoreError,
 * and the calls in flight that close() waits for. Shared by the store's parts
 * (streams, accounts, preferences, leases), so they close as one.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { RedisKeys } from './redis-keys.js';
import { StoreError } from './store-error.js';

/** A single Redis or a Redis Cluster: every call here works on both. */
export type RedisClient = Redis | Cluster;

/** A Lua script with its SHA1, run by EVALSHA and loaded by EVAL on NOSCRIPT. */
export class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

/** A failed Redis call, as users and the log see it. */
function unavailable(err: unknown): StoreError {
  const reason = err instanceof Error ? err.message : String(err);
  return new StoreError('unavailable', `Redis call failed: ${reason}. Check that Redis is up.`, {
    cause: err,
  });
}

function closedError(): StoreError {
  return new StoreError('closed', 'The Redis store is closed; it was used after close().');
}

export class RedisCalls {
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;

  /** Owned from now on: close() quits it. */
  constructor(readonly client: RedisClient) {}

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

  /** One plain command, tracked for close() and failing as a StoreError like scripts do. */
  cmd<T>(call: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    return this.track(call());
  }

  /** Remember a call until it settles (close waits for it). */
  track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
    };
    p.then(done, done);
    // Plain commands (not scripts) fail with ioredis's own errors: name them as
    // the store being unreachable, as run() does, so users get `unavailable`.
    return p.catch((err: unknown) => {
      if (err instanceof StoreError) throw err;
      throw unavailable(err);
    });
  }

  /**
   * EVALSHA, falling back to EVAL (which caches the script) on a node that has
   * not seen it yet; refused after close. `onReply` runs directly on the
   * command's own reply, one step after it arrives whichever path ran the
   * script, so replies are handled in the order Redis executed them (append
   * relies on this to publish in seq order). The caller tracks the result.
   */
  run<R = unknown>(
    script: Script,
    keys: string[],
    args: string[],
    onReply: (reply: unknown) => R = (reply) => reply as R,
  ): Promise<R> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<R>((resolve, reject) => {
      const fail = (err: unknown): void => reject(unavailable(err));
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

  /** run() and track() in one: the usual way a part calls a script. */
  script<R = unknown>(script: Script, keys: string[], args: string[]): Promise<R> {
    return this.track(this.run<R>(script, keys, args));
  }
}

/** One part of the Redis store (streams, accounts, preferences, leases): its keys, reached through the store's calls. */
export abstract class RedisPart {
  constructor(
    protected readonly calls: RedisCalls,
    protected readonly keys: RedisKeys,
  ) {}

  protected get client(): RedisClient {
    return this.calls.client;
  }
}
