/**
 * chat-client's side of the wire (PROTOCOL.md §2, §4): a TCP or TLS socket
 * speaking JSON lines. It sends `hello` (asking for the password when the
 * server says the alias is registered), turns lines into typed ServerEvents, gives each
 * request an id and settles its promise with the one reply carrying that id,
 * answers the server's pings and pings a silent server (§4 Heartbeat).
 *
 * With `reconnect` on, a lost connection is re-opened with exponential backoff
 * and jitter (§8): unanswered requests and requests made meanwhile are (re)sent
 * in order with their original ids (the server deduplicates them, §4 Delivery
 * guarantees), and `hello.resume` asks for every message after the last `seq`
 * seen per stream, which are then shown once. It knows nothing of terminals.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import split2 from 'split2';
import type { ErrorCode } from '../protocol/errors.js';
import {
  PROTOCOL_VERSION,
  type AckEvent,
  type Hello,
  type HelpEvent,
  type HistoryEvent,
  type PongEvent,
  type Request,
  type RequestType,
  type ResumePoint,
  type RoomsEvent,
  type ServerEvent,
  type WelcomeEvent,
  type WhoEvent,
} from '../protocol/messages.js';

/** The reply type of each query; every other request is answered with an ack (§4). */
interface QueryReplies {
  who: WhoEvent;
  rooms: RoomsEvent;
  history: HistoryEvent;
  help: HelpEvent;
  ping: PongEvent;
}

/** What the server answers to a request of type `T` when it does not refuse it. */
export type ReplyFor<T extends RequestType> = T extends keyof QueryReplies
  ? QueryReplies[T]
  : AckEvent;

/** Why connecting failed: no server there, the server said no, or it hung up mid-handshake. */
export type ConnectFailure = 'unreachable' | 'refused' | 'lost';

/** The first connection could not be made; `code` is the server's when it refused. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';

  constructor(
    readonly kind: ConnectFailure,
    message: string,
    readonly code?: ErrorCode,
  ) {
    super(message);
  }
}

/** A request the server refused (its stable code), or one that could not be answered (`closed`). */
export class RequestError extends Error {
  override readonly name = 'RequestError';

  constructor(
    readonly code: ErrorCode | 'closed',
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** TLS settings: the server's certificate and host name are verified unless `insecure`. */
export interface TlsOptions {
  /** PEM certificate(s) of a private CA to trust instead of the system's. */
  ca?: string | Buffer;
  /** Skip verification (anyone on the path could read and change the chat). */
  insecure?: boolean;
}

/** Settings of a Connection; only host, port and name are required. */
export interface ConnectionOptions {
  host: string;
  port: number;
  name: string;
  /** Sent in every hello. */
  password?: string;
  /**
   * Asked for the password when the server answers the hello with
   * `auth_required` (none was sent) or `auth_failed` (`wrong`); the hello is
   * then sent again on a new connection. Resolving undefined gives up.
   */
  askPassword?: (alias: string, wrong: boolean) => Promise<string | undefined>;
  /** Speak TLS (§1). */
  tls?: TlsOptions;
  /** History messages to replay per room on join (hello.history); server default when absent. */
  history?: number;
  /** Re-open a lost connection instead of ending (§8). */
  reconnect?: boolean;
  /** Limit for TCP connect plus handshake, in ms. */
  timeoutMs?: number;
  /** Longest wait for the server to close after `quit`, in ms. */
  quitTimeoutMs?: number;
  /** First reconnect delay and its cap, in ms (tests shorten them). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** Events of a Connection. */
export interface ConnectionEvents {
  /** Anything the server sends that is not the reply to one of our requests. */
  event: [ServerEvent];
  /** The connection was lost and will be re-opened after `delayMs`. */
  reconnecting: [{ attempt: number; delayMs: number; reason: string }];
  /** A lost connection is back; queued requests are being sent. */
  reconnected: [WelcomeEvent];
  /** The connection ended for good without quit() being called. */
  closed: [{ reason: string; code?: ErrorCode }];
}

/**
 * One stream as seen by this client. `seq` is the highest the server sent us;
 * our own messages' seqs (from acks) are kept apart, because a message from
 * someone else with a lower seq may still be on its way and must not look
 * like a duplicate.
 */
interface StreamState {
  seq: number;
  own: Set<number>;
  epoch?: string;
}

interface Pending {
  request: Request & { id: string };
  resolve: (event: ServerEvent) => void;
  reject: (err: RequestError) => void;
}

/** Refusals that a later attempt may get past (a ghost of ourselves still online, a busy server). */
const RETRYABLE: ReadonlySet<string> = new Set([
  'alias_taken',
  'server_full',
  'shutting_down',
  'rate_limited',
  'timeout',
  'internal',
]);

/** Private messages' stream key in resume maps (§4). */
const PRIVATE_STREAM = '@';

/** Longest server line accepted, so a broken server cannot make us buffer without bound. */
const MAX_SERVER_LINE = 64 * 1024 * 1024;

/** Parse one server line; banner and other non-JSON lines (§2) give undefined. */
export function parseServerLine(line: string): ServerEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('type' in value)) return undefined;
  if (typeof value.type !== 'string') return undefined;
  // The server is the contract's other half (messages.ts is shared); the
  // renderer tolerates unknown types and missing optional fields.
  return value as ServerEvent;
}

function replyId(event: ServerEvent): string | undefined {
  return 'id' in event && typeof event.id === 'string' ? event.id : undefined;
}

/** OpenSSL's certificate verification failures, and Node's host name check. */
const CERT_ERROR = /CERT|ISSUER|LEAF_SIGNATURE|ALTNAME|HOSTNAME/u;

/** A one-line description of a socket error for the user. */
function describeSocketError(err: Error | undefined, host: string, port: number): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  if (code !== undefined && CERT_ERROR.test(code)) {
    const fix =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'connect by the name in the certificate'
        : 'use --ca FILE';
    return `certificate verify failed: ${err?.message ?? code}; ${fix} or --insecure`;
  }
  if (code?.startsWith('ERR_SSL_') || code === 'EPROTO') {
    // OpenSSL's message is a multi-part dump; its `reason` is the readable part.
    const reason = (err as { reason?: unknown } | undefined)?.reason;
    const why = typeof reason === 'string' ? reason : code;
    return `TLS handshake with ${where} failed (is it a TLS server?): ${why}`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${where}: connection refused (is chat-server running?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to ${where}: unknown host`;
    case 'ETIMEDOUT':
      return `cannot connect to ${where}: timed out`;
    case 'ECONNRESET':
      return 'connection reset by the server';
    case undefined:
      return err ? err.message : 'connection closed by the server';
    default:
      return `${err?.message ?? code}`;
  }
}

/** A JSON-mode connection to chat-server; see the module comment. */
export class Connection extends EventEmitter<ConnectionEvents> {
  /** The welcome of the current (or last) session. */
  welcome?: WelcomeEvent;

  private readonly opts: Required<
    Omit<ConnectionOptions, 'password' | 'history' | 'askPassword' | 'tls'>
  > &
    Pick<ConnectionOptions, 'history' | 'askPassword' | 'tls'>;
  /** Sent in hello; follows /register so a reconnect can log in again. */
  private password?: string;
  private socket?: net.Socket;
  private state: 'idle' | 'connecting' | 'open' | 'waiting' | 'closed' = 'idle';
  private name: string;
  private readonly pending = new Map<string, Pending>();
  private readonly idPrefix = randomBytes(4).toString('hex');
  private nextId = 0;
  /** What was seen of each stream (room or `@`): what to resume from, and what is a duplicate. */
  private readonly streams = new Map<string, StreamState>();
  private joined = new Set<string>();
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  /** Why the server is about to close us (shutdown, kick), for the drop that follows. */
  private farewell?: { reason: string; final: boolean };

  constructor(options: ConnectionOptions) {
    super();
    this.opts = {
      ...options,
      reconnect: options.reconnect ?? false,
      timeoutMs: options.timeoutMs ?? 10_000,
      quitTimeoutMs: options.quitTimeoutMs ?? 1_000,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
    };
    this.name = options.name;
    this.password = options.password;
  }

  /** The alias in use (it follows /nick). */
  get alias(): string {
    return this.name;
  }

  /** The rooms the user is in, as far as acks and the last welcome tell. */
  get rooms(): string[] {
    return [...this.joined];
  }

  /**
   * Open the connection and complete the handshake, asking for the password
   * if the alias needs one (§2); rejects with ConnectError.
   */
  async connect(): Promise<WelcomeEvent> {
    if (this.state !== 'idle') throw new Error('connect() may be called once');
    for (;;) {
      try {
        return await this.open();
      } catch (err) {
        const again = err instanceof ConnectError && (await this.newPassword(err));
        if (!again) {
          this.state = 'closed';
          throw err;
        }
      }
    }
  }

  /**
   * Send a request and resolve with its reply; rejects with RequestError when
   * the server refuses it or the connection ends first. While reconnecting it
   * is queued and sent once the connection is back.
   */
  request<T extends Request>(request: T): Promise<ReplyFor<T['type']>> {
    if (this.state === 'closed' || this.state === 'idle') {
      return Promise.reject(new RequestError('closed', 'not connected'));
    }
    const id = `${this.idPrefix}-${++this.nextId}`;
    const withId = { ...request, id };
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        request: withId,
        // The server answers a request of type T with ReplyFor<T> (§4); the
        // reply is matched by id, so only its type is taken on trust.
        resolve: resolve as (event: ServerEvent) => void,
        reject,
      });
      if (this.state === 'open') this.write(withId);
    });
  }

  /**
   * Leave: send `quit`, wait up to quitTimeoutMs for the server to close the
   * socket, then close it ourselves. Requests still unanswered are rejected.
   */
  async quit(reason?: string): Promise<void> {
    const socket = this.socket;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.stopTimers();
    if (socket && wasOpen && !socket.destroyed) {
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      const quit: Request = reason === undefined ? { type: 'quit' } : { type: 'quit', reason };
      this.write({ ...quit, id: `${this.idPrefix}-quit` });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        closed,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.opts.quitTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    socket?.destroy();
    this.failPending('connection closed');
  }

  /** Close at once without saying goodbye. */
  destroy(): void {
    this.state = 'closed';
    this.stopTimers();
    this.socket?.destroy();
    this.failPending('connection closed');
  }

  /** After a handshake refusal: whether a (new) password was obtained to try again with. */
  private async newPassword(err: ConnectError): Promise<boolean> {
    const ask = this.opts.askPassword;
    const needed =
      (err.code === 'auth_required' && this.password === undefined) || err.code === 'auth_failed';
    if (err.kind !== 'refused' || !needed || !ask) return false;
    const password = await ask(this.name, err.code === 'auth_failed');
    // quit() while the user was typing the password: stop here.
    if (password === undefined || this.state === 'closed') return false;
    this.password = password;
    return true;
  }

  private write(message: Hello | Request): void {
    // Client traffic is small and paced by acks; Node buffers the rest.
    this.socket?.write(JSON.stringify(message) + '\n');
  }

  private hello(): Hello {
    const hello: Hello = { type: 'hello', version: PROTOCOL_VERSION, name: this.name };
    if (this.password !== undefined) hello.password = this.password;
    if (this.opts.history !== undefined) hello.history = this.opts.history;
    if (this.joined.size > 0) {
      const resume: Record<string, ResumePoint> = {};
      for (const room of this.joined) resume[room] = this.resumePoint(room);
      if (this.streams.has(PRIVATE_STREAM)) {
        resume[PRIVATE_STREAM] = this.resumePoint(PRIVATE_STREAM);
      }
      hello.resume = resume;
    }
    return hello;
  }

  /** A new socket to the server, and the event after which it may carry the hello. */
  private dial(): { socket: net.Socket; ready: 'connect' | 'secureConnect' } {
    const { host, port } = this.opts;
    const secure = this.opts.tls;
    if (!secure) return { socket: net.connect({ host, port }), ready: 'connect' };
    const socket = tls.connect({
      host,
      port,
      // SNI takes a host name only; an IP address is checked against the certificate's IP SANs.
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      ...(secure.ca !== undefined ? { ca: secure.ca } : {}),
      rejectUnauthorized: secure.insecure !== true,
    });
    return { socket, ready: 'secureConnect' };
  }

  /** One connection attempt: connect (and TLS handshake), hello, wait for welcome (or a refusal). */
  private open(): Promise<WelcomeEvent> {
    this.state = 'connecting';
    const { host, port } = this.opts;
    return new Promise((resolve, reject) => {
      const { socket, ready } = this.dial();
      this.socket = socket;
      let welcomed = false;
      let settled = false;
      let lastError: Error | undefined;
      const fail = (err: ConnectError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => {
        fail(new ConnectError('unreachable', `no answer from ${host}:${port} (timed out)`));
      }, this.opts.timeoutMs);

      socket.setNoDelay(true);
      let greeted = false;
      socket.on(ready, () => {
        greeted = true;
        this.write(this.hello());
      });
      socket.on('error', (err) => {
        lastError = err;
      });
      const lines = split2({ maxLength: MAX_SERVER_LINE });
      // split2 fails on an over-long line: a broken server, so this connection ends.
      lines.on('error', (err) => socket.destroy(err));
      socket.pipe(lines).on('data', (line: string) => {
        const event = parseServerLine(line);
        if (!event || this.socket !== socket) return;
        if (welcomed) {
          this.onEvent(event);
        } else if (event.type === 'welcome') {
          welcomed = true;
          settled = true;
          clearTimeout(timer);
          this.onWelcome(event);
          resolve(event);
        } else if (event.type === 'error') {
          // §2: the server would let us retry, but the alias was given up front.
          fail(new ConnectError('refused', event.message, event.code));
        } else if (event.type === 'ping') {
          this.write({ type: 'pong' });
        }
      });
      socket.on('close', () => {
        if (!welcomed) {
          // A plain hello to a TLS-only port is dropped by the server's TLS layer.
          const hint = this.opts.tls ? '' : ' (if it speaks TLS, add --tls)';
          const message = greeted
            ? `the server closed the connection during the handshake${hint}`
            : describeSocketError(lastError, host, port);
          fail(new ConnectError(greeted ? 'lost' : 'unreachable', message));
        } else if (this.socket === socket) {
          this.onDrop(describeSocketError(lastError, host, port));
        }
      });
    });
  }

  private onWelcome(welcome: WelcomeEvent): void {
    const again = this.welcome !== undefined;
    this.welcome = welcome;
    this.state = 'open';
    this.attempt = 0;
    this.farewell = undefined;
    this.name = welcome.name;
    this.joined = new Set(welcome.rooms);
    for (const [stream, epoch] of Object.entries(welcome.epochs ?? {})) {
      this.setEpoch(stream, epoch);
    }
    this.armHeartbeat();
    // Now, not when open() settles: the replay that follows the welcome comes after this.
    if (again) this.emit('reconnected', welcome);
    // Unanswered requests go again with their original ids, in order (§4).
    for (const pending of this.pending.values()) this.write(pending.request);
  }

  private onEvent(event: ServerEvent): void {
    this.armHeartbeat();
    if (event.type === 'ping') {
      const id = replyId(event);
      this.write(id === undefined ? { type: 'pong' } : { type: 'pong', id });
      return;
    }
    const id = replyId(event);
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (id !== undefined && pending) {
      this.pending.delete(id);
      if (event.type === 'error') {
        pending.reject(new RequestError(event.code, event.message, event.retryAfterMs));
      } else {
        this.track(pending.request, event);
        pending.resolve(event);
      }
      return;
    }
    // A pong without a pending id answers our heartbeat ping: liveness only.
    if (event.type === 'pong') return;
    const fresh = this.dedupe(event);
    if (fresh) this.emit('event', fresh);
  }

  /** Keep the state a reconnect needs (alias, rooms) in step with acknowledged requests. */
  private track(request: Request, reply: ServerEvent): void {
    if (reply.type !== 'ack') return;
    // Our own message's seq: a resume starts after it, and a replay of it is not shown again.
    if (request.type === 'say' && reply.seq !== undefined) {
      this.ownMessage(reply.room ?? request.room ?? '', reply.seq);
    }
    if (request.type === 'join') this.joined.add(reply.room ?? request.room);
    if (request.type === 'part') this.joined.delete(reply.room ?? request.room ?? '');
    if (request.type === 'nick') {
      this.name = reply.name ?? request.name;
      // The new alias's own password (registered aliases need one), or none.
      this.password = request.password;
    }
    if (request.type === 'register') this.password = request.password;
  }

  /**
   * Update the stream state from an unsolicited event; undefined when it was
   * shown before. After a resume the server replays from our seq, so overlap
   * is possible only by mistake, but "shown once" is ours to keep.
   */
  private dedupe(event: ServerEvent): ServerEvent | undefined {
    switch (event.type) {
      case 'message':
        return this.observe(event.room, event.seq) ? event : undefined;
      case 'private':
        return event.seq === undefined || this.observe(PRIVATE_STREAM, event.seq)
          ? event
          : undefined;
      case 'history': {
        this.setEpoch(event.room, event.epoch);
        const fresh = event.messages.filter((m) =>
          m.type === 'private'
            ? m.seq === undefined || this.observe(PRIVATE_STREAM, m.seq)
            : this.observe(m.room, m.seq),
        );
        return { ...event, messages: fresh };
      }
      case 'system':
        if (event.event === 'reset' && event.room) this.streams.delete(event.room);
        if (event.event === 'shutdown') {
          this.farewell = { reason: 'the server shut down', final: false };
        }
        // Coming back after a kick would defeat it: that drop is final.
        if (event.event === 'kick' && event.user === this.name) {
          this.farewell = {
            reason: `you were kicked${event.reason ? ` (${event.reason})` : ''}`,
            final: true,
          };
        }
        return event;
      default:
        return event;
    }
  }

  private stream(key: string): StreamState {
    let state = this.streams.get(key);
    if (!state) {
      state = { seq: 0, own: new Set() };
      this.streams.set(key, state);
    }
    return state;
  }

  /** Where a resume of `key` starts: after everything seen, our own messages included (§4). */
  private resumePoint(key: string): ResumePoint {
    const state = this.streams.get(key);
    if (!state) return 0;
    const seq = Math.max(state.seq, ...state.own);
    return state.epoch === undefined ? seq : { seq, epoch: state.epoch };
  }

  /** Record a message the server sent on `key`; false when it was shown before. */
  private observe(key: string, seq: number): boolean {
    const state = this.stream(key);
    if (seq <= state.seq || state.own.has(seq)) return false;
    state.seq = seq;
    for (const mine of state.own) if (mine <= seq) state.own.delete(mine);
    return true;
  }

  /** Record the seq of our own acked message, which the server never echoes but may replay. */
  private ownMessage(key: string, seq: number): void {
    const state = this.stream(key);
    if (seq > state.seq) state.own.add(seq);
  }

  /** A stream's epoch changed means its history was reset: our seq no longer applies. */
  private setEpoch(key: string, epoch: string): void {
    const state = this.streams.get(key);
    if (state?.epoch !== undefined && state.epoch !== epoch) this.streams.delete(key);
    this.stream(key).epoch = epoch;
  }

  /** §4 Heartbeat: after `heartbeat` s of silence ping; after two more intervals, give up. */
  private armHeartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    const interval = (this.welcome?.heartbeat ?? 0) * 1000;
    if (interval <= 0 || this.state !== 'open') return;
    this.heartbeatTimer = setTimeout(() => {
      this.write({ type: 'ping' });
      this.heartbeatTimer = setTimeout(() => {
        this.socket?.destroy(new Error('the server stopped answering'));
      }, 2 * interval);
    }, interval);
  }

  private onDrop(socketReason: string): void {
    this.stopTimers();
    this.socket = undefined;
    if (this.state === 'closed') return;
    const reason = this.farewell?.reason ?? socketReason;
    if (!this.opts.reconnect || this.farewell?.final) {
      this.finish(reason);
      return;
    }
    this.scheduleReconnect(reason);
  }

  private scheduleReconnect(reason: string): void {
    this.state = 'waiting';
    this.attempt += 1;
    const ceiling = Math.min(
      this.opts.backoffMaxMs,
      this.opts.backoffBaseMs * 2 ** (this.attempt - 1),
    );
    // "Equal jitter": at least half the ceiling, so many clients dropped together spread out.
    const delayMs = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.emit('reconnecting', { attempt: this.attempt, delayMs, reason });
    this.retryTimer = setTimeout(() => {
      this.open().catch((err: ConnectError) => {
        if (this.state === 'closed') return;
        if (err.kind === 'refused' && !RETRYABLE.has(err.code ?? '')) {
          this.finish(err.message, err.code);
        } else {
          this.scheduleReconnect(err.message);
        }
      });
    }, delayMs);
  }

  private finish(reason: string, code?: ErrorCode): void {
    this.state = 'closed';
    this.stopTimers();
    this.failPending(reason);
    this.emit('closed', code === undefined ? { reason } : { reason, code });
  }

  private failPending(reason: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new RequestError('closed', reason));
  }

  private stopTimers(): void {
    clearTimeout(this.heartbeatTimer);
    clearTimeout(this.retryTimer);
  }
}
