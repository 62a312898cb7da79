/**
 * chat-client's side of the wire (docs/protocol.md §2, §4): a TCP or TLS socket
 * speaking JSON lines. It sends `hello` (with the password when it has one;
 * asking for one when the server says the alias is registered), turns lines
 * into typed ServerEvents, gives each request an id and settles its promise with the one reply carrying that id,
 * answers the server's pings and pings a silent server (§4 Heartbeat).
 *
 * With `reconnect` on, a lost connection is re-opened with exponential backoff
 * and jitter (§8), trying the listed servers in turn: unanswered requests and
 * requests made meanwhile are (re)sent in order with their original ids (the server deduplicates them, §4 Delivery
 * guarantees), and `hello.resume` asks for every message after the last `seq`
 * seen per stream, which are then shown once (resume.ts). A request the server
 * refused is final and never sent again; a drop that another login of this
 * account caused (or a kick) is final too. It knows nothing of terminals.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { ErrorCode } from '../protocol/errors.js';
import {
  PROTOCOL_VERSION,
  type Hello,
  type Request,
  type ServerEvent,
  type WelcomeEvent,
} from '../protocol/messages.js';
import { backoffDelay } from './backoff.js';
import { formatEndpoint, type Endpoint } from './dial.js';
import { farewellFor, type Farewell } from './farewell.js';
import { openSession } from './handshake.js';
import { Heartbeat } from './heartbeat.js';
import { PendingRequests } from './requests.js';
import { ResumeState } from './resume.js';
import {
  ConnectError,
  fits,
  replyId,
  RequestError,
  RETRYABLE,
  type ConnectionEvents,
  type ConnectionOptions,
  type ReplyFor,
} from './wire.js';

export type { Endpoint, TlsOptions } from './dial.js';
export {
  ConnectError,
  parseServerLine,
  RequestError,
  type ConnectFailure,
  type ConnectionEvents,
  type ConnectionOptions,
  type ReplyFor,
} from './wire.js';

/** A JSON-mode connection to chat-server; see the module comment. */
export class Connection extends EventEmitter<ConnectionEvents> {
  /** The welcome of the current (or last) session. */
  welcome?: WelcomeEvent;

  private readonly opts: Required<
    Omit<ConnectionOptions, 'password' | 'history' | 'askPassword' | 'tls' | 'failover' | 'bot'>
  > &
    Pick<ConnectionOptions, 'history' | 'askPassword' | 'tls' | 'bot'>;
  /** Every server to try, in order; `current` indexes the one dialled last. */
  private readonly endpoints: Endpoint[];
  private current = 0;
  /** Sent in hello; follows /register so a reconnect can log in again. */
  private password?: string;
  private socket?: net.Socket;
  private state: 'idle' | 'connecting' | 'open' | 'waiting' | 'closed' = 'idle';
  private name: string;
  private readonly pending = new PendingRequests();
  private readonly idPrefix = randomBytes(4).toString('hex');
  private nextId = 0;
  /** What was seen of each stream (room or `@`): what to resume from, and what is a duplicate. */
  private readonly seen = new ResumeState();
  private joined = new Set<string>();
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;
  private readonly heartbeat = new Heartbeat(
    () => this.write({ type: 'ping' }),
    () => this.socket?.destroy(new Error('the server stopped answering')),
  );
  /** Why the server is about to close us (shutdown, kick, takeover), for the drop that follows. */
  private farewell?: Farewell;

  constructor(options: ConnectionOptions) {
    super();
    const { failover, ...rest } = options;
    this.opts = {
      ...rest,
      reconnect: options.reconnect ?? false,
      timeoutMs: options.timeoutMs ?? 10_000,
      quitTimeoutMs: options.quitTimeoutMs ?? 1_000,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
    };
    this.endpoints = [{ host: options.host, port: options.port }, ...(failover ?? [])];
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

  /** Whether requests go out now (rather than waiting for a reconnect). */
  get online(): boolean {
    return this.state === 'open';
  }

  /** `host:port` of the server in use (or being dialled). */
  get server(): string {
    return formatEndpoint(this.endpoint());
  }

  /**
   * Open the connection and complete the handshake, asking for the password
   * if the alias needs one (§2); rejects with ConnectError. A server that
   * cannot be reached is skipped for the next one listed, if any.
   */
  async connect(): Promise<WelcomeEvent> {
    if (this.state !== 'idle') throw new Error('connect() may be called once');
    let unreachable = 0;
    for (;;) {
      try {
        return await this.open();
      } catch (err) {
        if (
          err instanceof ConnectError &&
          err.kind === 'unreachable' &&
          ++unreachable < this.endpoints.length
        ) {
          this.current = (this.current + 1) % this.endpoints.length;
          continue;
        }
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
   * is queued and sent once the connection is back. A request longer than
   * the server accepts is refused here (`line_too_long`) and never sent.
   */
  request<T extends Request>(request: T): Promise<ReplyFor<T['type']>> {
    if (this.state === 'closed' || this.state === 'idle') {
      return Promise.reject(new RequestError('closed', 'not connected'));
    }
    const id = `${this.idPrefix}-${++this.nextId}`;
    const withId = { ...request, id };
    const max = this.welcome?.limits.maxLineBytes;
    if (max !== undefined && !fits(withId, max)) {
      return Promise.reject(
        new RequestError('line_too_long', `Line longer than ${max} bytes; it was not sent`),
      );
    }
    return new Promise((resolve, reject) => {
      this.pending.add({
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
   * Send a request as it is, now, without an id of ours or a reply to wait
   * for; false (and nothing sent) unless connected. For file transfers, which
   * name themselves by transfer id and pick up after a reconnect on their own (§5).
   */
  send(request: Request): boolean {
    if (this.state !== 'open') return false;
    this.write(request);
    return true;
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
    if (this.opts.bot === true) hello.bot = true;
    // A guest's identity (its private messages, ignores, request ids) comes back with it.
    if (this.welcome?.session !== undefined) hello.session = this.welcome.session;
    const resume = this.seen.resumeMap(this.joined);
    if (resume) hello.resume = resume;
    return hello;
  }

  private endpoint(): Endpoint {
    // `current` always indexes the non-empty list.
    return this.endpoints[this.current] as Endpoint;
  }

  /** One connection attempt: connect (and TLS handshake), hello, wait for welcome (or a refusal). */
  private open(): Promise<WelcomeEvent> {
    this.state = 'connecting';
    return openSession(this.endpoint(), this.opts, {
      opened: (socket) => {
        this.socket = socket;
      },
      current: (socket) => this.socket === socket,
      hello: () => this.hello(),
      welcomed: (welcome) => this.onWelcome(welcome),
      event: (event) => this.onEvent(event),
      dropped: (reason) => this.onDrop(reason),
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
      this.seen.setEpoch(stream, epoch);
    }
    this.armHeartbeat();
    // Now, not when open() settles: the replay that follows the welcome comes after this.
    if (again) this.emit('reconnected', welcome);
    // Unanswered requests go again with their original ids, in order (§4).
    for (const request of this.pending.requests()) this.write(request);
  }

  private onEvent(event: ServerEvent): void {
    this.armHeartbeat();
    if (event.type === 'ping') {
      const id = replyId(event);
      this.write(id === undefined ? { type: 'pong' } : { type: 'pong', id });
      return;
    }
    const pending = this.pending.take(event, this.welcome?.limits.maxLineBytes);
    if (pending) {
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
    this.farewell = farewellFor(event, this.name) ?? this.farewell;
    const fresh = this.seen.dedupe(event);
    if (fresh) this.emit('event', fresh);
  }

  /** Keep the state a reconnect needs (alias, rooms) in step with acknowledged requests. */
  private track(request: Request, reply: ServerEvent): void {
    if (reply.type !== 'ack') return;
    // Our own message's seq: a resume starts after it, and a replay of it is not shown again.
    if (request.type === 'say' && reply.seq !== undefined) {
      this.seen.ownMessage(reply.room ?? request.room ?? '', reply.seq);
    }
    if (request.type === 'join') this.joined.add(reply.room ?? request.room);
    if (request.type === 'part') this.joined.delete(reply.room ?? request.room ?? '');
    if (request.type === 'nick') {
      this.name = reply.name ?? request.name;
      // The new alias's own password (registered aliases need one), or none.
      this.password = request.password;
    }
    // The new password is what a reconnect must send (§2 /passwd).
    if (request.type === 'register' || request.type === 'passwd') this.password = request.password;
  }

  /** §4 Heartbeat, counted from the last thing the server said. */
  private armHeartbeat(): void {
    const open = this.state === 'open';
    this.heartbeat.arm(open ? (this.welcome?.heartbeat ?? 0) * 1000 : 0);
  }

  private onDrop(socketReason: string): void {
    this.stopTimers();
    this.socket = undefined;
    if (this.state === 'closed') return;
    const reason = this.farewell?.reason ?? socketReason;
    if (!this.opts.reconnect || this.farewell?.final) {
      this.finish(reason, this.farewell?.code);
      return;
    }
    this.scheduleReconnect(reason);
  }

  /**
   * `retryAfterMs`: the server refused with a time to come back (its alias is
   * held by a server that stopped, §9): try the same server then, rather than
   * a dead one or a later backoff.
   */
  private scheduleReconnect(reason: string, retryAfterMs?: number): void {
    this.state = 'waiting';
    this.attempt += 1;
    // Round robin: a server that died is likely still down; another may be up (§8).
    if (retryAfterMs === undefined) this.current = (this.current + 1) % this.endpoints.length;
    const delayMs =
      retryAfterMs ?? backoffDelay(this.attempt, this.opts.backoffBaseMs, this.opts.backoffMaxMs);
    this.emit('reconnecting', { attempt: this.attempt, delayMs, reason, server: this.server });
    this.retryTimer = setTimeout(() => {
      this.open().catch((err: ConnectError) => {
        if (this.state === 'closed') return;
        if (err.kind === 'refused' && !RETRYABLE.has(err.code ?? '')) {
          this.finish(err.message, err.code);
        } else {
          this.scheduleReconnect(err.message, err.retryAfterMs);
        }
      });
    }, delayMs);
  }

  private finish(reason: string, code?: ErrorCode | 'displaced'): void {
    this.state = 'closed';
    this.stopTimers();
    this.failPending(reason);
    this.emit('closed', code === undefined ? { reason } : { reason, code });
  }

  private failPending(reason: string): void {
    this.pending.failAll(reason);
  }

  private stopTimers(): void {
    this.heartbeat.stop();
    clearTimeout(this.retryTimer);
  }
}
