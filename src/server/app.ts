/**
 * Builds a whole server from a config: store, bus, core and listeners wired
 * together (the backend is backend.ts's choice), and applies a reload
 * (live-config.ts says what changes). main.ts adds the process concerns (CLI, signals, exit codes);
 * tests use this directly to run real servers on port 0.
 */
import { accessSync, constants } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { Chat } from '../core/chat.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Store } from '../store/store.js';
import { openBackend } from './backend.js';
import { ConfigError, type ServerConfig } from './config.js';
import { IrcListener } from './irc-listener.js';
import { Listener } from './listener.js';
import { chatSettings, planReload, type Reloaded } from './live-config.js';
import { readMotd } from './motd.js';
import { ircServerName } from './options-irc.js';
import { IdleReclaim } from './idle-reclaim.js';
import { Tally } from './tally.js';
import { loadTls } from './tls.js';
import { VERSION } from '../meta/version.js';

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

/** Input-free time after which a busy server gives memory back (idle-reclaim.ts). */
const IDLE_RECLAIM_QUIET_MS = 20_000;

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

/**
 * Wire a server from its config; nothing listens until start(). Rejects with
 * StoreError if the database cannot be opened. `clock` runs the chat's and
 * every session's timers (tests pass their own).
 */
export async function createApp(
  config: Readonly<ServerConfig>,
  log: Logger,
  clock: Clock = systemClock,
): Promise<App> {
  let current = config;
  let motd = config.motd === undefined ? undefined : readMotd(config.motd);
  const tally = new Tally();
  let fail!: (err: Error) => void;
  const failed = new Promise<Error>((resolve) => (fail = resolve));
  let stop: () => Promise<void> = async () => undefined;
  const { store, bus, leases, solo, check } = await openBackend(config, log, (err) => {
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
    ...chatSettings(config),
    transfers: { maxFileBytes: config.maxFileBytes, idleTimeoutMs: config.fileIdleTimeout * 1000 },
    onTransferEnd: (fields) => log.info(fields, 'file transfer ended'),
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
          serverName: ircServerName(config.serverName, hostname()),
          version: VERSION,
          motd: () => (motd === undefined ? [] : motd.split('\n')),
          tally,
        });
  const reclaim = new IdleReclaim({
    clock,
    quietMs: IDLE_RECLAIM_QUIET_MS,
    activity: () => tally.bytesIn,
    onReclaim: (r) =>
      log.info(
        {
          ms: Math.round(r.ms),
          heldMB: mb(r.slackBytes),
          rssBeforeMB: mb(r.rssBefore),
          rssAfterMB: mb(r.rssAfter),
        },
        'quiet: memory given back',
      ),
  });
  let stopped: Promise<void> | undefined;
  let stopping = false;
  stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      reclaim.stop();
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
    const plan = planReload(current, next, tlsOn);
    const { applied, needRestart } = plan;
    if (nextMotd !== motd && !applied.includes('motd')) applied.push('motd');
    current = plan.config;
    motd = nextMotd;
    log.level = current.logLevel;
    chat.reconfigure(chatSettings(current));
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
