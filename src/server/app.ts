/**
 * Builds a whole server from a config: store, bus, core and listener wired
 * together. main.ts adds the process concerns (CLI, signals, exit codes);
 * tests use this directly to run real servers on port 0.
 */
import { accessSync, constants } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { LocalBus } from '../bus/local-bus.js';
import { connectRedis, RedisBus } from '../bus/redis-bus.js';
import { Chat } from '../core/chat.js';
import type { ThrottleOptions } from '../core/login-throttle.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { LeaseStore } from '../store/lease.js';
import { MemoryLeases } from '../store/memory-leases.js';
import { checkRedis } from '../store/redis-check.js';
import { RedisStore } from '../store/redis-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { ConfigError, redisTarget, type ServerConfig } from './config.js';
import { IrcListener } from './irc-listener.js';
import { Listener } from './listener.js';
import { readMotd } from './motd.js';
import { SERVER_OPTIONS, flagName } from './options.js';
import { Tally } from './tally.js';
import { loadTls } from './tls.js';
import { VERSION } from '../meta/version.js';

/** What a SIGHUP reload did. */
export interface Reloaded {
  /** Options applied live (flag names). */
  applied: string[];
  /** Options that changed in the file but take a restart (flag names). */
  needRestart: string[];
}

export interface App {
  readonly chat: Chat;
  readonly listener: Listener;
  readonly store: Store;
  /** The IRC door (`--irc-port`), when configured. */
  readonly irc: IrcListener | undefined;
  /** Counters for the metrics endpoint. */
  readonly tally: Tally;
  /** The configuration in force (changes on reload). */
  readonly config: Readonly<ServerConfig>;
  /** True from the moment stop() is called. */
  readonly stopping: boolean;
  /** The message of the day in force, if any (the IRC listener sends it as 375/372/376). */
  motd(): string | undefined;
  /**
   * Apply a reloaded configuration (SIGHUP): everything marked `live` in
   * options.ts. Throws ConfigError, changing nothing, when the new MOTD or
   * TLS files cannot be used.
   */
  reconfigure(next: Readonly<ServerConfig>): Promise<Reloaded>;
  /** The database file (and its folder, for the WAL) can be written. */
  storeWritable(): boolean;
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
  /** Alias leases and presence: in memory for one process, in Redis for a cluster. */
  leases: LeaseStore;
  /** No other process shares the leases (ChatOptions.solo). */
  solo: boolean;
  /** Throws (RedisConfigError) when the backend is unsafe and the operator did not accept it. */
  check: () => Promise<void>;
}

function openBackend(
  config: Readonly<ServerConfig>,
  log: Logger,
  onLeaseLost: (err: Error) => void,
): Backend {
  const target = redisTarget(config);
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
    return { store, bus, leases: new MemoryLeases(), solo: true, check: async () => undefined };
  }
  // Cluster mode: the append script publishes on Redis, so every node
  // (this one included) hears each message from the same doorbell.
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

/** The `--login-*` options as the core's throttle takes them (docs/security.md "Login limits"). */
function loginLimits(config: Readonly<ServerConfig>): Partial<ThrottleOptions> {
  return {
    freeFailures: config.loginFreeFailures,
    accountFailures: config.loginAccountFailures,
    addressFailures: config.loginAddressFailures,
    windowMs: config.loginWindow * 60_000,
    lockoutMs: config.loginLockout * 60_000,
  };
}

/**
 * Wire a server from its config; nothing listens until start(). Throws
 * StoreError if the database cannot be opened. `clock` runs the chat's and
 * every session's timers (tests pass their own).
 */
export function createApp(
  config: Readonly<ServerConfig>,
  log: Logger,
  clock: Clock = systemClock,
): App {
  let current = config;
  let motd = config.motd === undefined ? undefined : readMotd(config.motd);
  const tally = new Tally();
  let fail!: (err: Error) => void;
  const failed = new Promise<Error>((resolve) => (fail = resolve));
  let stop: () => Promise<void> = async () => undefined;
  const { store, bus, leases, solo, check } = openBackend(config, log, (err) => {
    // Two servers must never serve one database: stop now; clients reconnect to the holder.
    log.fatal({ db: config.db }, err.message);
    void stop().then(() => fail(err));
  });
  const chat = new Chat({
    clock,
    store,
    bus,
    leases,
    solo,
    node: randomUUID(),
    leaseMs: config.leaseSeconds * 1000,
    limits: {
      maxLineBytes: config.maxLineBytes,
      maxMessageLines: config.maxMessageLines,
      rateBurst: config.rateBurst,
      ratePerSecond: config.ratePerSecond,
      rateQueue: config.rateQueue,
      maxFileBytes: config.maxFileBytes,
      maxTopicBytes: config.maxTopicBytes,
      maxRoomsPerUser: config.maxRoomsPerUser,
    },
    transfers: { maxFileBytes: config.maxFileBytes, idleTimeoutMs: config.fileIdleTimeout * 1000 },
    onTransferEnd: (fields) => log.info(fields, 'file transfer ended'),
    historyOnJoin: config.historyOnJoin,
    login: loginLimits(config),
    requireAccount: config.requireAccount,
    announceLimit: config.announceLimit,
    heartbeatSeconds: config.heartbeat,
    server: { name: 'chat-server', version: VERSION },
    motd: () => motd,
    onAudit: (r) =>
      log.info(
        { action: r.action, actor: r.actor, target: r.target, room: r.room, reason: r.reason },
        'audit',
      ),
    onInternalError: (err, context) => {
      tally.internalErrors++;
      log.error({ err, context }, 'internal error');
    },
    audit: (action, fields) => log.info({ audit: action, ...fields }, action),
  });
  const banner = `* chat-server ${VERSION}: type your alias and press Enter\n`;
  const listener = new Listener(chat, config, log, banner, tally);
  const irc =
    config.ircPort === undefined
      ? undefined
      : new IrcListener(chat, config, log, listener.admission, {
          serverName: config.serverName ?? (hostname() || 'chat-server'),
          version: VERSION,
          motd: () => (motd === undefined ? [] : motd.split('\n')),
          tally,
        });
  let stopped: Promise<void> | undefined;
  let stopping = false;
  stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      const grace = current.shutdownGrace * 1000;
      // The native listener's close announces the shutdown to every user, IRC ones included.
      await Promise.all([listener.close(grace), irc?.close(grace)]);
      await store.close();
      await bus.close();
    })());

  const reconfigure = async (next: Readonly<ServerConfig>): Promise<Reloaded> => {
    // Everything that can fail is read first, so a bad file changes nothing.
    const nextMotd = next.motd === undefined ? undefined : readMotd(next.motd);
    const tlsOn = current.tlsCert !== undefined;
    if (tlsOn && next.tlsCert !== undefined && next.tlsKey !== undefined) {
      try {
        loadTls(next.tlsCert, next.tlsKey);
      } catch (err) {
        throw new ConfigError(
          `TLS reload failed, keeping the old certificate: ${(err as Error).message}`,
        );
      }
    }
    const applied: string[] = [];
    const needRestart: string[] = [];
    for (const spec of SERVER_OPTIONS) {
      if (spec.key === 'config') continue;
      const before = JSON.stringify(current[spec.key]);
      if (before === JSON.stringify(next[spec.key])) continue;
      const live = 'live' in spec && spec.live && (spec.key.startsWith('tls') ? tlsOn : true);
      (live ? applied : needRestart).push(flagName(spec.key));
    }
    // Turning TLS on or off changes what the port speaks: that takes a restart.
    if ((next.tlsCert !== undefined) !== tlsOn && !needRestart.includes('tls-cert'))
      needRestart.push('tls-cert');
    const kept = { ...next } as Record<string, unknown>;
    for (const name of needRestart) {
      const spec = SERVER_OPTIONS.find((s) => flagName(s.key) === name)!;
      kept[spec.key] = current[spec.key];
    }
    if (nextMotd !== motd && !applied.includes('motd')) applied.push('motd');
    current = Object.freeze(kept as unknown as ServerConfig);
    motd = nextMotd;
    log.level = current.logLevel;
    chat.reconfigure({
      limits: {
        maxLineBytes: current.maxLineBytes,
        maxMessageLines: current.maxMessageLines,
        rateBurst: current.rateBurst,
        ratePerSecond: current.ratePerSecond,
        rateQueue: current.rateQueue,
        // Not live, but the welcome must keep announcing it after a reload.
        maxFileBytes: current.maxFileBytes,
        maxTopicBytes: current.maxTopicBytes,
        maxRoomsPerUser: current.maxRoomsPerUser,
      },
      historyOnJoin: current.historyOnJoin,
      announceLimit: current.announceLimit,
      requireAccount: current.requireAccount,
      heartbeatSeconds: current.heartbeat,
      login: loginLimits(current),
    });
    listener.reconfigure(current);
    irc?.reconfigure(current);
    if (tlsOn) {
      listener.reloadTls();
      irc?.reloadTls();
    }
    // Accounts of the users online are re-read (the core also does it every
    // few seconds), so CLI grants, demotions and resets apply now.
    await chat.checkAccounts();
    return { applied, needRestart };
  };

  const storeWritable = (): boolean => {
    if (current.db === ':memory:') return true;
    try {
      accessSync(current.db, constants.W_OK);
      accessSync(dirname(current.db), constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };

  return {
    chat,
    listener,
    store,
    irc,
    tally,
    get config() {
      return current;
    },
    get stopping() {
      return stopping;
    },
    motd: () => motd,
    reconfigure,
    storeWritable,
    failed,
    start: async () => {
      await check();
      await chat.load();
      await chat.start();
      const addr = await listener.listen();
      if (irc) await irc.listen();
      return addr;
    },
    stop,
  };
}
