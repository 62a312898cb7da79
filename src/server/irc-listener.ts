/**
 * The IRC listener (`--irc-port`, docs/protocol.md "IRC"): a second door into
 * the same Chat. It shares the native listener's admission (one connection
 * cap, one per-address cap, one accept rate), the same flood-control and
 * output-queue limits, and speaks TLS when the server has a certificate.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { Chat } from '../core/chat.js';
import { IrcEventEncoder } from '../protocol/irc-codec.js';
import type { Admission } from './admission.js';
import type { ServerConfig } from './config.js';
import type { Tally } from './tally.js';
import { IrcSession, type IrcSessionDeps } from './irc-session.js';
import { createPlainOrTlsServer, reloadTls, type TlsFiles } from './tls.js';
import {
  ConnectionSet,
  FLOOD_REFUSALS,
  FLOOD_WINDOW_MS,
  listenOn,
  MAX_REFUSING,
} from './listening.js';

export interface IrcListenerOptions {
  serverName: string;
  version: string;
  /** The MOTD in force (it changes on SIGHUP); empty for none (422). */
  motd: () => readonly string[];
  /** The metrics counters the native listener's sessions bump too. */
  tally: Tally;
}

export class IrcListener {
  private readonly server: Server;
  private readonly tls: TlsServer | undefined;
  private readonly sessions: ConnectionSet<IrcSession>;
  private readonly deps: IrcSessionDeps;
  private nextId = 1;

  constructor(
    chat: Chat,
    private readonly config: Readonly<ServerConfig>,
    private readonly log: Logger,
    admission: Admission,
    options: IrcListenerOptions,
  ) {
    this.deps = {
      chat,
      config,
      log,
      encoder: new IrcEventEncoder(options.serverName),
      serverName: options.serverName,
      version: options.version,
      motd: options.motd,
      tally: options.tally,
      rateLimits: {
        burst: config.rateBurst,
        perSecond: config.ratePerSecond,
        queue: config.rateQueue,
        floodRefusals: FLOOD_REFUSALS,
        floodWindowMs: FLOOD_WINDOW_MS,
      },
    };
    this.sessions = new ConnectionSet(admission);
    const { server, tls } = createPlainOrTlsServer(
      config,
      { allowHalfOpen: false },
      (socket) => this.accept(socket),
      (err, socket) =>
        this.log.debug(
          { err: err.message, remote: socket.remoteAddress },
          'IRC TLS handshake failed',
        ),
    );
    this.server = server;
    this.tls = tls;
    this.server.maxConnections = config.maxConnections + MAX_REFUSING;
    this.server.on('error', (err) => this.log.error({ err }, 'irc listener error'));
  }

  listen(): Promise<AddressInfo> {
    const c = this.config;
    return listenOn(this.server, {
      host: c.ircHost ?? c.host,
      port: c.ircPort,
      backlog: c.listenBacklog,
    });
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  reloadTls(): TlsFiles | undefined {
    return reloadTls(this.tls, this.config);
  }

  get tlsEnabled(): boolean {
    return this.tls !== undefined;
  }

  get connections(): number {
    return this.sessions.size;
  }

  /** Stop accepting, close every IRC connection (the core already announced the shutdown). */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.sessions.drain(graceMs);
    await closed;
  }

  private accept(socket: Socket): void {
    this.sessions.accept(
      socket,
      (refusal) =>
        new IrcSession(`irc-${this.nextId++}`, socket, this.deps, this.sessions.gone, refusal),
    );
  }
}
