/**
 * The IRC listener (`--irc-port`, docs/protocol.md "IRC"): a second door into
 * the same Chat. It shares the native listener's admission (one connection
 * cap, one per-address cap, one accept rate), the same flood-control and
 * output-queue limits, and speaks TLS when the server has a certificate.
 */
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Chat } from '../core/chat.js';
import { TLS_ONLY, type ChatError } from '../protocol/errors.js';
import { IrcEventEncoder } from '../protocol/irc-codec.js';
import type { Admission } from './admission.js';
import type { ServerConfig } from './config.js';
import type { Tally } from './tally.js';
import { closingLine } from './irc-render.js';
import { IrcSession, type IrcSessionDeps } from './irc-session.js';
import { ListeningPort, listenOn } from './listening.js';

export interface IrcListenerOptions {
  serverName: string;
  version: string;
  /** The MOTD in force (it changes on SIGHUP); empty for none (422). */
  motd: () => readonly string[];
  /** The metrics counters the native listener's sessions bump too. */
  tally: Tally;
}

export class IrcListener extends ListeningPort<IrcSession> {
  private readonly deps: IrcSessionDeps;

  constructor(
    chat: Chat,
    config: Readonly<ServerConfig>,
    log: Logger,
    admission: Admission,
    options: IrcListenerOptions,
  ) {
    super(config, log, admission, {
      allowHalfOpen: false,
      idPrefix: 'irc-',
      tlsFailed: 'IRC TLS handshake failed',
    });
    this.deps = {
      chat,
      config,
      log,
      encoder: new IrcEventEncoder(options.serverName),
      serverName: options.serverName,
      version: options.version,
      motd: options.motd,
      tally: options.tally,
      rateLimits: this.rateLimits,
    };
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

  /**
   * Apply a reloaded configuration (SIGHUP) as the native listener does: open
   * IRC connections take the new flood control (fakelag) at once, new ones
   * the new timeouts; the connection caps are the native listener's.
   */
  override reconfigure(config: Readonly<ServerConfig>): void {
    super.reconfigure(config);
    this.deps.config = config;
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  /** Stop accepting, close every IRC connection (the core already announced the shutdown). */
  close(graceMs: number): Promise<void> {
    return this.closePort(graceMs);
  }

  protected refuseWithoutTls(_first: Buffer, socket: Socket): Buffer {
    const reason = `${TLS_ONLY}: turn on TLS (SSL) for this server in your IRC client`;
    return Buffer.from(`${closingLine('*', socket.remoteAddress ?? '', reason)}\r\n`);
  }

  protected connect(
    id: string,
    socket: Socket,
    gone: (s: IrcSession) => void,
    refusal: ChatError | undefined,
  ): IrcSession {
    return new IrcSession(id, socket, this.deps, gone, refusal);
  }
}
