/**
 * The TCP listener: accepts connections and hands each to a Session. `close`
 * stops accepting, tells every client, waits for their output to flush (up to
 * a grace period) and leaves no socket or timer behind.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { Chat } from '../core/chat.js';
import { isAvailable } from '../core/commands/index.js';
import { JsonCodec } from '../protocol/json-codec.js';
import { frameText } from '../protocol/sanitize.js';
import { TextCodec } from '../protocol/text-codec.js';
import type { ServerConfig } from './config.js';
import { Admission, type AdmissionOptions } from './admission.js';
import { Session, type SessionDeps } from './session.js';
import type { Tally } from './tally.js';
import { createPlainOrTlsServer, reloadTls, type TlsFiles } from './tls.js';
import {
  ConnectionSet,
  FLOOD_REFUSALS,
  FLOOD_WINDOW_MS,
  listenOn,
  MAX_REFUSING,
} from './listening.js';

export class Listener {
  private readonly server: Server;
  private readonly tls: TlsServer | undefined;
  private readonly sessions: ConnectionSet<Session>;
  private nextId = 1;
  /** One codec per mode for every session: each caches an event's bytes for all its readers. */
  private readonly json = new JsonCodec();
  private readonly text = new TextCodec(isAvailable);
  /** Shared with the IRC listener: the caps count every connection, whichever its protocol. */
  readonly admission: Admission;
  /** Shared with Admission, changed in place by reconfigure(). */
  private readonly admissionLimits: AdmissionOptions;
  /** What every session shares: one object, not one per connection. */
  private readonly deps: SessionDeps;

  constructor(
    private readonly chat: Chat,
    private config: Readonly<ServerConfig>,
    private readonly log: Logger,
    banner: string,
    tally: Tally,
  ) {
    this.deps = {
      chat,
      config,
      log,
      defaultCodec: this.text,
      // §2: a first line that is a JSON object chooses JSON mode; anything else is an alias.
      choose: (frame) => {
        const line = frameText(frame).trim();
        if (line === '') return undefined;
        return line.startsWith('{') ? this.json : this.text;
      },
      banner: Buffer.from(banner),
      rateLimits: {
        burst: config.rateBurst,
        perSecond: config.ratePerSecond,
        queue: config.rateQueue,
        floodRefusals: FLOOD_REFUSALS,
        floodWindowMs: FLOOD_WINDOW_MS,
      },
      tally,
    };
    this.admissionLimits = {
      maxConnections: config.maxConnections,
      maxPerAddress: config.maxConnectionsPerAddress,
      acceptsPerSecond: config.acceptsPerSecond,
    };
    this.admission = new Admission(this.admissionLimits, () => chat.clock.now());
    this.sessions = new ConnectionSet(this.admission);
    const { server, tls } = createPlainOrTlsServer(
      config,
      { allowHalfOpen: true },
      (socket) => this.accept(socket),
      (err, socket) =>
        this.log.debug({ err: err.message, remote: socket.remoteAddress }, 'TLS handshake failed'),
    );
    this.server = server;
    this.tls = tls;
    this.server.maxConnections = config.maxConnections + MAX_REFUSING;
    // Before listening, listen() reports the error (one line, no stack, from main).
    this.server.on('error', (err) => {
      if (this.server.listening) this.log.error({ err }, 'listener error');
    });
  }

  /** Start listening; resolves with the bound address (port 0 picks one). */
  listen(): Promise<AddressInfo> {
    const { host, port, listenBacklog: backlog } = this.config;
    return listenOn(this.server, { host, port, backlog });
  }

  /**
   * Re-read the certificate and key (SIGHUP): new connections use them,
   * open ones keep theirs. A bad file is reported and the old identity kept.
   */
  reloadTls(): TlsFiles | undefined {
    return reloadTls(this.tls, this.config);
  }

  /**
   * Apply a reloaded configuration (SIGHUP). Rate settings change in place in
   * the object every connection's limiter reads, so they apply to open
   * connections at once; line length and timeouts apply to new connections.
   */
  reconfigure(config: Readonly<ServerConfig>): void {
    this.config = config;
    this.deps.config = config;
    Object.assign(this.deps.rateLimits, {
      burst: config.rateBurst,
      perSecond: config.ratePerSecond,
      queue: config.rateQueue,
    });
    Object.assign(this.admissionLimits, {
      maxConnections: config.maxConnections,
      maxPerAddress: config.maxConnectionsPerAddress,
      acceptsPerSecond: config.acceptsPerSecond,
    });
    this.server.maxConnections = config.maxConnections + MAX_REFUSING;
  }

  get listening(): boolean {
    return this.server.listening;
  }

  /** Logged-in connections by mode, plus those still in their handshake (a scrape-time walk). */
  connectionsByMode(): Map<string, number> {
    const counts = new Map<string, number>([
      ['text', 0],
      ['json', 0],
      ['handshake', 0],
    ]);
    for (const s of this.sessions) {
      const mode = s.loggedIn ? s.mode : 'handshake';
      counts.set(mode, (counts.get(mode) ?? 0) + 1);
    }
    return counts;
  }

  get tlsEnabled(): boolean {
    return this.tls !== undefined;
  }

  get connections(): number {
    return this.sessions.size;
  }

  /**
   * Graceful stop (§8): refuse new connections, send the shutdown notice, end
   * every connection, and destroy what has not closed after `graceMs`.
   */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.chat.shutdown();
    await this.sessions.drain(graceMs);
    await closed;
  }

  private accept(socket: Socket): void {
    this.sessions.accept(
      socket,
      (refusal) =>
        new Session(String(this.nextId++), socket, this.deps, this.sessions.gone, refusal),
    );
  }
}
