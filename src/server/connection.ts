/**
 * The socket side of one connection: socket events routed to it, output with
 * backpressure (a reader that does not read is cut off, never buffered
 * without bound, §6), closing after a flush, and per-connection logging.
 * Session (session.ts) puts the handshake and the chat on top.
 */
import { isLoopbackAddress, loopbackUidNow } from './local-user.js';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../core/clock.js';
import { SHUTDOWN_REASON } from '../core/membership.js';
import type { ServerConfig } from './config.js';
import type { Bytes } from '../protocol/batch-bytes.js';
import { Outbox } from './output.js';
import type { Tally } from './tally.js';

/** What every connection shares with the listener. */
export interface ConnectionDeps {
  config: Readonly<ServerConfig>;
  log: Logger;
  /** Counters for the metrics endpoint: plain increments, read only at scrape time. */
  tally: Tally;
}

/**
 * Socket events reach their Connection through one set of module-level
 * handlers instead of four closures per connection (an idle connection's
 * size is what limits how many a server holds).
 */
const CONNECTIONS = new WeakMap<Socket, Connection>();

function onSocketData(this: Socket, chunk: Buffer): void {
  CONNECTIONS.get(this)?.onData(chunk);
}

function onSocketError(this: Socket, err: NodeJS.ErrnoException): void {
  CONNECTIONS.get(this)?.onError(err);
}

function onSocketEnd(this: Socket): void {
  CONNECTIONS.get(this)?.onEnd();
}

function onSocketClose(this: Socket): void {
  CONNECTIONS.get(this)?.onClose();
}

/** How long a closing connection may take to flush before it is destroyed. */
const CLOSE_FLUSH_MS = 2000;

/**
 * How long output past --max-queued-bytes may wait for its reader when
 * nothing more is written to it (Connection.write).
 */
export const SLOW_READER_GRACE_MS = 2000;

export abstract class Connection {
  protected closing = false;
  protected closeReason = 'closed by client';
  protected readonly outbox: Outbox;
  /** Armed while output past the limit waits for its reader (write). */
  private slowCheck: Timer | undefined;
  readonly address: string;
  private readonly remotePort: number;

  constructor(
    readonly id: string,
    protected readonly socket: Socket,
    private readonly base: ConnectionDeps,
    /** Every timer of this connection runs on it (tests drive it). */
    protected readonly clock: Clock,
  ) {
    this.address = socket.remoteAddress ?? 'unknown';
    this.remotePort = socket.remotePort ?? 0;
    this.outbox = new Outbox(socket);
    socket.setNoDelay(true);
    CONNECTIONS.set(socket, this);
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
  }

  /** Bytes from the client. */
  abstract onData(chunk: Buffer): void;
  /** The client half-closed. */
  abstract onEnd(): void;
  /** The socket is gone. */
  abstract onClose(): void;

  /** The socket failed: remember why, for the disconnect log and the quit reason. */
  onError(err: NodeJS.ErrnoException): void {
    this.closeReason = err.code ?? err.message;
  }

  /**
   * Log a connection event with this connection's id and address. Bindings
   * are added per call rather than kept in a child logger per connection: an
   * idle connection's size is what limits how many a server holds.
   */
  protected note(level: 'info' | 'warn' | 'error', fields: object, msg: string): void {
    const log = this.base.log;
    if (!log.isLevelEnabled(level)) return;
    log[level]({ conn: this.id, remote: `${this.address}:${this.remotePort}`, ...fields }, msg);
  }

  /** What the others are told when this connection ends without a quit of its own (§4 `quit`). */
  protected quitReason(): string {
    switch (this.closeReason) {
      case 'closed by client':
        return 'connection closed';
      case 'quit':
        return 'quit';
      case 'timeout':
        return 'timed out';
      case 'shutdown':
        return SHUTDOWN_REASON;
      default:
        return 'connection lost';
    }
  }

  /**
   * Peer.loginKey: a loopback client's local user, so that on a shared host
   * one user's wrong passwords do not lock an account for all of them.
   * Looked up at each password check, not kept: an idle connection pays nothing.
   */
  async loginKey(): Promise<string> {
    if (!isLoopbackAddress(this.address)) return this.address;
    const uid = await loopbackUidNow(this.remotePort, this.socket.localPort ?? 0);
    return uid === undefined ? this.address : `${this.address} uid ${uid}`;
  }

  /** Close after flushing what was sent (Peer). */
  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.outbox.flush();
    this.socket.end();
    this.clock.setTimeout(() => this.socket.destroy(), CLOSE_FLUSH_MS).unref();
  }

  /** Tear down at once, without flushing (server shutdown after the grace period). */
  destroy(reason: string): void {
    this.closeReason = reason;
    this.socket.destroy();
  }

  protected write(bytes: Bytes): void {
    // §6: output nobody reads must not grow server memory; the reader goes, not
    // the room. Only output the kernel already refused counts, so neither a
    // burst within one turn nor one reply larger than the limit (a long
    // /history) cuts off a reader that keeps up.
    const max = this.base.config.maxQueuedBytes;
    const queued = this.outbox.backlog;
    if (queued > max) {
      this.dropSlowReader(queued);
      return;
    }
    this.base.tally.bytesOut += this.outbox.push(bytes);
    // Judged at the next write, a reader past the limit in a quiet room was
    // never judged: ten big /history replies in one read, then silence, held
    // megabytes for as long as nothing else was sent to it (a conformance
    // audit). So it is also judged a grace period later.
    if (this.slowCheck === undefined && queued + this.outbox.pending > max) {
      this.slowCheck = this.clock.setTimeout(() => {
        this.slowCheck = undefined;
        const left = this.outbox.backlog;
        if (left > max && !this.closing && !this.socket.destroyed) this.dropSlowReader(left);
      }, SLOW_READER_GRACE_MS);
      this.slowCheck.unref();
    }
  }

  private dropSlowReader(queued: number): void {
    this.note('warn', { queued }, 'slow reader disconnected');
    this.base.tally.slowReaderDisconnects++;
    this.closeReason = 'slow reader';
    this.closing = true;
    this.outbox.discard();
    this.socket.destroy();
  }
}
