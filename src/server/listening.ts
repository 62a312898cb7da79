/**
 * What both listeners (native and IRC) do with their connections: admission
 * at accept (a refused connection is kept open to be told why, up to a cap),
 * the bookkeeping when one goes, listening, and the graceful close (§8);
 * `ListeningPort` is the part of a listener that does not depend on its
 * protocol (the plain or TLS server, its connections, closing it).
 */
import type { AddressInfo, ListenOptions, Server, Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { ChatError } from '../protocol/errors.js';
import type { Admission } from './admission.js';
import type { ServerConfig } from './config.js';
import type { RateLimitOptions } from './rate-limit.js';
import { createPlainOrTlsServer, reloadTls, type TlsFiles } from './tls.js';

/** At most this many refused connections are kept open to be told why (a storm is just dropped). */
export const MAX_REFUSING = 256;

/** Sustained flooding (§6): this many refusals within the window end the connection. */
export const FLOOD_REFUSALS = 50;
export const FLOOD_WINDOW_MS = 10_000;

/** A connection as its listener sees it. */
export interface Accepted {
  readonly address: string;
  /** Admission refused it: it is only told why, and holds no admission slot. */
  readonly refused: boolean;
  close(reason: string): void;
  destroy(reason: string): void;
}

/** Start listening; resolves with the bound address (port 0 picks one), rejects on its error. */
export function listenOn(server: Server, options: ListenOptions): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** A listener's open connections. */
export class ConnectionSet<C extends Accepted> implements Iterable<C> {
  private readonly open = new Set<C>();
  /** Refused connections still waiting to be told why; past the cap they are dropped. */
  private refusing = 0;
  private onDrained: (() => void) | undefined;

  constructor(private readonly admission: Admission) {}

  get size(): number {
    return this.open.size;
  }

  [Symbol.iterator](): Iterator<C> {
    return this.open.values();
  }

  /**
   * Admit `socket` or refuse it; `make` builds its connection (given the
   * refusal, if any), which calls `gone` when its socket has closed.
   */
  accept(socket: Socket, make: (refusal: ChatError | undefined) => C): void {
    const refusal = this.admission.admit(socket.remoteAddress ?? 'unknown');
    if (refusal && this.refusing >= MAX_REFUSING) {
      socket.destroy();
      return;
    }
    if (refusal) this.refusing++;
    this.open.add(make(refusal));
  }

  readonly gone = (c: C): void => {
    if (c.refused) this.refusing--;
    else this.admission.release(c.address);
    this.open.delete(c);
    if (this.open.size === 0) this.onDrained?.();
  };

  /**
   * Close every connection (`shutdown`), wait until all have gone or
   * `graceMs` has passed, then destroy what is left.
   */
  async drain(graceMs: number): Promise<void> {
    for (const c of this.open) c.close('shutdown');
    const drained = new Promise<void>((resolve) => {
      if (this.open.size === 0) resolve();
      else this.onDrained = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    for (const c of this.open) c.destroy('shutdown');
  }
}

/** Flood control's settings for every connection of a listener (§6), from the configuration. */
export function rateLimitsOf(config: Readonly<ServerConfig>): RateLimitOptions {
  return {
    burst: config.rateBurst,
    perSecond: config.ratePerSecond,
    queue: config.rateQueue,
    floodRefusals: FLOOD_REFUSALS,
    floodWindowMs: FLOOD_WINDOW_MS,
  };
}

/**
 * A listening port, plain or TLS, whatever its protocol: accepts through the
 * shared admission, counts its connections, reloads its certificate, closes.
 */
export abstract class ListeningPort<C extends Accepted> {
  protected readonly server: Server;
  protected readonly tls: TlsServer | undefined;
  private readonly dropHandshakes: () => void;
  protected readonly sessions: ConnectionSet<C>;
  /**
   * Flood control's settings, one object every connection of this port
   * reads: reconfigure() changes it in place, so open connections follow.
   */
  protected readonly rateLimits: RateLimitOptions;
  private nextId = 1;

  constructor(
    protected config: Readonly<ServerConfig>,
    protected readonly log: Logger,
    admission: Admission,
    how: { allowHalfOpen: boolean; idPrefix: string; tlsFailed: string },
  ) {
    this.sessions = new ConnectionSet(admission);
    this.rateLimits = rateLimitsOf(config);
    const { server, tls, dropHandshakes } = createPlainOrTlsServer(
      config,
      {
        allowHalfOpen: how.allowHalfOpen,
        handshakeTimeoutMs: config.handshakeTimeout * 1000,
        plainRefusal: (first, socket) => this.refuseWithoutTls(first, socket),
      },
      (socket) =>
        this.sessions.accept(socket, (refusal) =>
          this.connect(`${how.idPrefix}${this.nextId++}`, socket, this.sessions.gone, refusal),
        ),
      (err, socket) =>
        this.log.debug({ err: err.message, remote: socket.remoteAddress }, how.tlsFailed),
    );
    this.server = server;
    this.tls = tls;
    this.dropHandshakes = dropHandshakes;
    this.server.maxConnections = config.maxConnections + MAX_REFUSING;
  }

  /**
   * What a client that spoke plain text to this TLS port is told before it
   * is closed (§1), in the protocol its first bytes `first` show it speaks.
   */
  protected abstract refuseWithoutTls(first: Buffer, socket: Socket): Buffer;

  /** The connection for an accepted socket; it calls `gone` when its socket has closed. */
  protected abstract connect(
    id: string,
    socket: Socket,
    gone: (c: C) => void,
    refusal: ChatError | undefined,
  ): C;

  /**
   * Apply a reloaded configuration (SIGHUP), whatever the protocol: flood
   * control changes in place for open connections too, the accept cap at
   * once; subclasses hand the rest to their connections (line length and
   * timeouts apply to new ones).
   */
  reconfigure(config: Readonly<ServerConfig>): void {
    this.config = config;
    Object.assign(this.rateLimits, rateLimitsOf(config));
    this.server.maxConnections = config.maxConnections + MAX_REFUSING;
  }

  /**
   * Re-read the certificate and key (SIGHUP): new connections use them,
   * open ones keep theirs. A bad file is reported and the old identity kept.
   */
  reloadTls(): TlsFiles | undefined {
    return reloadTls(this.tls, this.config);
  }

  get tlsEnabled(): boolean {
    return this.tls !== undefined;
  }

  get connections(): number {
    return this.sessions.size;
  }

  /** Stop accepting, close every connection (`before` first), destroy what is left after `graceMs`. */
  protected async closePort(graceMs: number, before?: () => void): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    before?.();
    await this.sessions.drain(graceMs);
    this.dropHandshakes();
    await closed;
  }
}
