/**
 * The Store, Bus and alias leases the configuration asks for: SQLite and an
 * in-process bus for one server, Redis for a cluster, and what must be
 * checked before listening.
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { LocalBus } from '../bus/local-bus.js';
import type { LeaseStore } from '../store/lease.js';
import { MemoryLeases } from '../store/memory-leases.js';
import { checkRedis } from '../store/redis-check.js';
import { RedisStore } from '../store/redis-store.js';
import { isNewDatabase } from '../store/sqlite-open.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { redisTarget, type ServerConfig } from './config.js';

/** The Store and Bus the config asks for, and what must be checked before listening. */
export interface Backend {
  store: Store;
  bus: Bus;
  /** Alias leases and presence: in memory for one process, in Redis for a cluster. */
  leases: LeaseStore;
  /** No other process shares the leases (ChatOptions.solo). */
  solo: boolean;
  /** Throws (RedisConfigError) when the backend is unsafe and the operator did not accept it. */
  check: () => Promise<void>;
}

export async function openBackend(
  config: Readonly<ServerConfig>,
  log: Logger,
  onLeaseLost: (err: Error) => void,
): Promise<Backend> {
  const target = redisTarget(config);
  if (target === undefined) {
    const fresh = isNewDatabase(config.db);
    const bus = new LocalBus();
    const store = new SqliteStore({
      path: config.db,
      publish: (m) => bus.publish(m),
      retention: config.historyLimit,
      onLeaseLost,
      // Once per episode (docs/security.md "Storage failures"), not once per refused message.
      onStorage: (r) =>
        r.state === 'failing'
          ? log.error(
              { reason: r.reason, failed: r.failed },
              'storage failing: messages are refused',
            )
          : log.warn({ failed: r.failed }, 'storage works again'),
    });
    logDatabase(log, config.db, fresh);
    return { store, bus, leases: new MemoryLeases(), solo: true, check: async () => undefined };
  }
  // Cluster mode: the append script publishes on Redis, so every node
  // (this one included) hears each message from the same doorbell. ioredis
  // is loaded only here: it is a quarter of a second of every start.
  const { connectRedis, RedisBus } = await import('../bus/redis-bus.js');
  const { client, subscriber } = connectRedis(target);
  client.on('error', (err: Error) => log.warn({ err: { message: err.message } }, 'redis error'));
  subscriber.on('error', (err: Error) =>
    log.warn({ err: { message: err.message } }, 'redis subscriber error'),
  );
  const store = new RedisStore({
    client,
    publish: () => undefined,
    retention: config.historyLimit,
  });
  return {
    store,
    leases: store,
    solo: false,
    bus: new RedisBus({ client, subscriber }),
    check: async () => {
      await checkRedis(client, {
        acceptRisk: config.redisUnsafe,
        warn: (f) => log.warn({ code: f.code, node: f.node, risk: f.message }, 'redis is unsafe'),
      });
    },
  };
}

/**
 * Which database this server keeps its accounts, bans and history in. A new
 * file is a warning: started without the usual --db, a server comes up empty,
 * its operators and accounts signing in as guests (found by a hands-on trial).
 */
function logDatabase(log: Logger, path: string, fresh: boolean): void {
  if (path === ':memory:') {
    log.warn({ db: path }, 'database in memory: accounts, bans and history end with this process');
  } else if (fresh) {
    log.warn(
      { db: resolve(path) },
      'created a new, empty database: no accounts, bans or history yet; if this server used another file before, restart it with --db PATH',
    );
  } else {
    log.info({ db: resolve(path) }, 'database');
  }
}
