/**
 * The TCP listener: accepts connections and hands each to a Session. `close`
 * stops accepting, tells every client, waits for their output to flush (up to
 * a grace period) and leaves no socket or timer behind.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
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
import { loadTls, type TlsFiles } from './tls.js';

/** Sustained flooding (§6): this many refusals within the window end the connection. */
const FLOOD_REFUSALS = 50;
const FLOOD_WINDOW_MS = 10_000;

/** At most this many refused connections are kept open to be told why (a storm is just dropped). */
const MAX_REFUSING = 256;

export class Listener {
  private readonly server: Server;
  private readonly tls: TlsServer | undefined;
  private readonly sessions = new Set<Session>();
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
  /** Refused connections still waiting to be told why; past the cap they are dropped. */
  private refusing = 0;

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
    if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
      const tls = createTlsServer(
        { ...loadTls(config.tlsCert, config.tlsKey), allowHalfOpen: true },
        (socket) => this.accept(socket),
      );
      // A plain-TCP client or a failed handshake is that client's problem, not the server's.
      tls.on('tlsClientError', (err, socket) =>
        this.log.debug({ err: err.message, remote: socket.remoteAddress }, 'TLS handshake failed'),
      );
      this.server = tls;
      this.tls = tls;
    } else {
      this.server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) =>
        this.accept(socket),
      );
    }
    this.server.maxConnections = config.maxConnections + MAX_REFUSING;
    // Before listening, listen() reports the error (one line, no stack, from main).
    this.server.on('error', (err) => {
      if (this.server.listening) this.log.error({ err }, 'listener error');
    });
  }

  /** Start listening; resolves with the bound address (port 0 picks one). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(
        { host: this.config.host, port: this.config.port, backlog: this.config.listenBacklog },
        () => {
          this.server.off('error', onError);
          resolve(this.server.address() as AddressInfo);
        },
      );
    });
  }

  /**
   * Re-read the certificate and key (SIGHUP): new connections use them,
   * open ones keep theirs. A bad file is reported and the old identity kept.
   */
  reloadTls(): TlsFiles | undefined {
    if (!this.tls || this.config.tlsCert === undefined || this.config.tlsKey === undefined)
      return undefined;
    const files = loadTls(this.config.tlsCert, this.config.tlsKey);
    this.tls.setSecureContext(files);
    return files;
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

  private onDrained: (() => void) | undefined;

  private accept(socket: Socket): void {
    const refusal = this.admission.admit(socket.remoteAddress ?? 'unknown');
    if (refusal && this.refusing >= MAX_REFUSING) {
      socket.destroy();
      return;
    }
    if (refusal) this.refusing++;
    this.sessions.add(new Session(String(this.nextId++), socket, this.deps, this.gone, refusal));
  }

  private readonly gone = (s: Session): void => {
    if (s.refused) this.refusing--;
    else this.admission.release(s.address);
    this.sessions.delete(s);
    if (this.sessions.size === 0) this.onDrained?.();
  };
}
