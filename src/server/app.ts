/**
 * Builds a whole server from a config: store, bus, core and listener wired
 * together. main.ts adds the process concerns (CLI, signals, exit codes);
 * tests use this directly to run real servers on port 0.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { LocalBus } from '../bus/local-bus.js';
import { connectRedis, RedisBus } from '../bus/redis-bus.js';
import { Chat } from '../core/chat.js';
import { checkRedis } from '../store/redis-check.js';
import { RedisStore } from '../store/redis-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { parseRedisCluster, type ServerConfig } from './config.js';
import { Listener } from './listener.js';
import { VERSION } from './version.js';

export interface App {
  readonly chat: Chat;
  readonly listener: Listener;
  readonly store: Store;
  /** Start listening; resolves with the bound address. */
  start(): Promise<AddressInfo>;
  /** Graceful stop (§8): notify, flush, close the store. */
  stop(): Promise<void>;
  /** Resolves when the server stopped itself (its database lease was taken); main exits 1. */
  readonly failed: Promise<Error>;
}

/** The Store and Bus the config asks for, and what must be checked before listening. */
interface Backend {
  store: Store;
  bus: Bus;
  /** Throws (RedisConfigError) when the backend is unsafe and the operator did not accept it. */
  check: () => Promise<void>;
}

function openBackend(
  config: Readonly<ServerConfig>,
  log: Logger,
  onLeaseLost: (err: Error) => void,
): Backend {
  const target =
    config.redis !== undefined
      ? { url: config.redis }
      : config.redisCluster !== undefined
        ? { cluster: parseRedisCluster(config.redisCluster) }
        : undefined;
  if (target === undefined) {
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
    return { store, bus, check: async () => undefined };
  }
  // Cluster mode: the append script publishes on Redis, so every node
  // (this one included) hears each message from the same doorbell.
  const { client, subscriber } = connectRedis(target);
  client.on('error', (err: Error) => log.warn({ err: { message: err.message } }, 'redis error'));
  subscriber.on('error', (err: Error) =>
    log.warn({ err: { message: err.message } }, 'redis subscriber error'),
  );
  return {
    store: new RedisStore({ client, publish: () => undefined, retention: config.historyLimit }),
    bus: new RedisBus({ client, subscriber }),
    check: async () => {
      await checkRedis(client, {
        acceptRisk: config.redisUnsafe,
        warn: (f) => log.warn({ code: f.code, node: f.node, risk: f.message }, 'redis is unsafe'),
      });
    },
  };
}

/** Wire a server from its config; nothing listens until start(). Throws StoreError if the database cannot be opened. */
export function createApp(config: Readonly<ServerConfig>, log: Logger): App {
  let fail!: (err: Error) => void;
  const failed = new Promise<Error>((resolve) => (fail = resolve));
  let stop: () => Promise<void> = async () => undefined;
  const { store, bus, check } = openBackend(config, log, (err) => {
    // Two servers must never serve one database: stop now; clients reconnect to the holder.
    log.fatal({ db: config.db }, err.message);
    void stop().then(() => fail(err));
  });
  const chat = new Chat({
    store,
    bus,
    limits: {
      maxLineBytes: config.maxLineBytes,
      maxMessageLines: config.maxMessageLines,
      rateBurst: config.rateBurst,
      ratePerSecond: config.ratePerSecond,
      maxFileBytes: config.maxFileBytes,
    },
    transfers: { maxFileBytes: config.maxFileBytes, idleTimeoutMs: config.fileIdleTimeout * 1000 },
    onTransferEnd: (fields) => log.info(fields, 'file transfer ended'),
    historyOnJoin: config.historyOnJoin,
    requireAccount: config.requireAccount,
    announceLimit: config.announceLimit,
    heartbeatSeconds: config.heartbeat,
    server: { name: 'chat-server', version: VERSION },
    onAudit: (r) =>
      log.info(
        { action: r.action, actor: r.actor, target: r.target, room: r.room, reason: r.reason },
        'audit',
      ),
    onInternalError: (err, context) => log.error({ err, context }, 'internal error'),
  });
  const banner = `* chat-server ${VERSION}: type your alias and press Enter\n`;
  const listener = new Listener(chat, config, log, banner);
  let stopped: Promise<void> | undefined;
  stop = () =>
    (stopped ??= (async () => {
      await listener.close(config.shutdownGrace * 1000);
      await store.close();
      await bus.close();
    })());
  return {
    chat,
    listener,
    store,
    failed,
    start: async () => {
      await check();
      await chat.load();
      return listener.listen();
    },
    stop,
  };
}
