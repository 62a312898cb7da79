/**
 * Builds a whole server from a config: store, bus, core and listener wired
 * together. main.ts adds the process concerns (CLI, signals, exit codes);
 * tests use this directly to run real servers on port 0.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { LocalBus } from '../bus/local-bus.js';
import { Chat } from '../core/chat.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import type { ServerConfig } from './config.js';
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
}

function openStore(config: Readonly<ServerConfig>, bus: LocalBus): Store {
  return new SqliteStore({
    path: config.db,
    publish: (m) => bus.publish(m),
    retention: config.historyLimit,
  });
}

/** Wire a server from its config; nothing listens until start(). Throws StoreError if the database cannot be opened. */
export function createApp(config: Readonly<ServerConfig>, log: Logger): App {
  const bus = new LocalBus();
  const store = openStore(config, bus);
  const chat = new Chat({
    store,
    bus,
    limits: {
      maxLineBytes: config.maxLineBytes,
      maxMessageLines: config.maxMessageLines,
      rateBurst: config.rateBurst,
      ratePerSecond: config.ratePerSecond,
    },
    historyOnJoin: config.historyOnJoin,
    requireAccount: config.requireAccount,
    announceLimit: config.announceLimit,
    heartbeatSeconds: config.heartbeat,
    server: { name: 'chat-server', version: VERSION },
    onInternalError: (err, context) => log.error({ err, context }, 'internal error'),
  });
  const banner = `* chat-server ${VERSION}: type your alias and press Enter\n`;
  const listener = new Listener(chat, config, log, banner);
  let stopped: Promise<void> | undefined;
  return {
    chat,
    listener,
    store,
    start: () => listener.listen(),
    stop: () =>
      (stopped ??= (async () => {
        await listener.close(config.shutdownGrace * 1000);
        await store.close();
        await bus.close();
      })()),
  };
}
