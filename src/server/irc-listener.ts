/**
 * The IRC listener (`--irc-port`, docs/protocol.md "IRC"): a second door into
 * the same Chat. It shares the native listener's admission (one connection
 * cap, one per-address cap, one accept rate), the same flood-control and
 * output-queue limits, and speaks TLS when the server has a certificate.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { Chat } from '../core/chat.js';
import { IrcEventEncoder } from '../protocol/irc-codec.js';
import type { Admission } from './admission.js';
import type { ServerConfig } from './config.js';
import { IrcSession, type IrcSessionDeps } from './irc-session.js';
import { loadTls, type TlsFiles } from './tls.js';

const FLOOD_REFUSALS = 50;
const FLOOD_WINDOW_MS = 10_000;
const MAX_REFUSING = 256;

export interface IrcListenerOptions {
  serverName: string;
  version: string;
  /** The MOTD in force (it changes on SIGHUP); empty for none (422). */
  motd: () => readonly string[];
}

export class IrcListener {
  private readonly server: Server;
  private readonly tls: TlsServer | undefined;
  private readonly sessions = new Set<IrcSession>();
  private readonly deps: IrcSessionDeps;
  private nextId = 1;
  private refusing = 0;
  private onDrained: (() => void) | undefined;

  constructor(
    chat: Chat,
    private readonly config: Readonly<ServerConfig>,
    private readonly log: Logger,
    private readonly admission: Admission,
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
      rateLimits: {
        burst: config.rateBurst,
        perSecond: config.ratePerSecond,
        queue: config.rateQueue,
        floodRefusals: FLOOD_REFUSALS,
        floodWindowMs: FLOOD_WINDOW_MS,
      },
    };
    if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
      const tls = createTlsServer({ ...loadTls(config.tlsCert, config.tlsKey) }, (socket) =>
        this.accept(socket),
      );
      tls.on('tlsClientError', (err, socket) =>
        this.log.debug(
          { err: err.message, remote: socket.remoteAddress },
          'IRC TLS handshake failed',
        ),
      );
      this.server = tls;
      this.tls = tls;
    } else {
      this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    }
    this.server.maxConnections = config.maxConnections + MAX_REFUSING;
    this.server.on('error', (err) => this.log.error({ err }, 'irc listener error'));
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(
        {
          host: this.config.ircHost ?? this.config.host,
          port: this.config.ircPort,
          backlog: this.config.listenBacklog,
        },
        () => {
          this.server.off('error', onError);
          resolve(this.server.address() as AddressInfo);
        },
      );
    });
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  reloadTls(): TlsFiles | undefined {
    if (!this.tls || this.config.tlsCert === undefined || this.config.tlsKey === undefined)
      return undefined;
    const files = loadTls(this.config.tlsCert, this.config.tlsKey);
    this.tls.setSecureContext(files);
    return files;
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
    for (const s of this.sessions) s.close('shutdown');
    const drained = new Promise<void>((resolve) => {
      if (this.sessions.size === 0) resolve();
      else this.onDrained = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    for (const s of this.sessions) s.destroy('shutdown');
    await closed;
  }

  private accept(socket: Socket): void {
    const refusal = this.admission.admit(socket.remoteAddress ?? 'unknown');
    if (refusal && this.refusing >= MAX_REFUSING) {
      socket.destroy();
      return;
    }
    if (refusal) this.refusing++;
    this.sessions.add(
      new IrcSession(`irc-${this.nextId++}`, socket, this.deps, this.gone, refusal),
    );
  }

  private readonly gone = (s: IrcSession): void => {
    if (s.refused) this.refusing--;
    else this.admission.release(s.address);
    this.sessions.delete(s);
    if (this.sessions.size === 0) this.onDrained?.();
  };
}
