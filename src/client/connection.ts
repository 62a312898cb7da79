/**
 * chat-client's side of the wire (docs/protocol.md §2, §4): a TCP or TLS
 * socket speaking JSON lines. It logs in (asking for a password when the
 * server says the alias needs one), turns lines into typed ServerEvents,
 * settles each request with the one reply carrying its id (requests.ts), and
 * keeps the heartbeat (§4). With `reconnect` on, a lost connection is opened
 * again (§8; where and when: backoff.ts) as the same user (login-state.ts):
 * unanswered requests are sent again with their ids, which the server
 * deduplicates, and what the resume replays is shown once. A refusal is final
 * and never sent again; so is a drop caused by a kick or by another login of
 * the account. It knows nothing of terminals.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { ErrorCode } from '../protocol/errors.js';
import type { Hello, Request, ServerEvent, WelcomeEvent } from '../protocol/messages.js';
import { Redial } from './backoff.js';
import { formatEndpoint } from './dial.js';
import { farewellFor, type Farewell } from './farewell.js';
import { openSession } from './handshake.js';
import { Heartbeat } from './heartbeat.js';
import { HeldRequests } from './held.js';
import { LoginState } from './login-state.js';
import { PendingRequests } from './requests.js';
import {
  asksPassword,
  ConnectError,
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
    Pick<ConnectionOptions, 'reconnect' | 'timeoutMs' | 'quitTimeoutMs'>
  > &
    Pick<ConnectionOptions, 'askPassword' | 'askAlias' | 'tls'>;
  /** Every server to try, in order, and the attempts since the last session opened. */
  private readonly redial: Redial;
  /** Alias, password, rooms, resume points: what each hello says. */
  private readonly login: LoginState;
  private socket?: net.Socket;
  private state: 'idle' | 'connecting' | 'open' | 'waiting' | 'closed' = 'idle';
  private readonly pending = new PendingRequests();
  /** Says and dms the server could not store, and the requests waiting behind them. */
  private readonly held = new HeldRequests();
  private retryTimer?: NodeJS.Timeout;
  private readonly heartbeat = new Heartbeat(
    () => this.write({ type: 'ping' }),
    () => this.socket?.destroy(new Error('the server stopped answering')),
  );
  /** Why the server is about to close us (shutdown, kick, takeover), for the drop that follows. */
  private farewell?: Farewell;

  constructor(options: ConnectionOptions) {
    super();
    this.opts = {
      reconnect: options.reconnect ?? false,
      timeoutMs: options.timeoutMs ?? 10_000,
      quitTimeoutMs: options.quitTimeoutMs ?? 1_000,
      askPassword: options.askPassword,
      askAlias: options.askAlias,
      tls: options.tls,
    };
    this.redial = new Redial(
      [{ host: options.host, port: options.port }, ...(options.failover ?? [])],
      options.backoffBaseMs ?? 1_000,
      // A chat server restarted is back in seconds: a longer ceiling left
      // clients waiting well after it was up (the spread of jitter remains).
      options.backoffMaxMs ?? 10_000,
    );
    // The hello's history and bot flag are in `options`, fixed for the Connection's life.
    this.login = new LoginState(options.name, options.password, options);
  }

  /** The alias in use (it follows /nick). */
  get alias(): string {
    return this.login.name;
  }

  /** Signed in as a guest (LoginState.guest). */
  get guest(): boolean {
    return this.login.guest;
  }

  /** The rooms the user is in, as far as acks and the last welcome tell. */
  get rooms(): string[] {
    return this.login.rooms;
  }

  /** Whether requests go out now (rather than waiting for a reconnect). */
  get online(): boolean {
    return this.state === 'open';
  }

  /** `host:port` of the server in use (or being dialled). */
  get server(): string {
    return formatEndpoint(this.redial.endpoint);
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
          ++unreachable < this.redial.size
        ) {
          this.redial.skip();
          continue;
        }
        const again =
          err instanceof ConnectError &&
          ((await this.newPassword(err)) || (await this.newAlias(err)));
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
    const reply = this.pending.open(request, this.welcome?.limits.maxLineBytes, (withId) => {
      if (this.held.blocking) this.held.defer(withId.id);
      else if (this.state === 'open') this.write(withId);
    });
    // The server answers a request of type T with ReplyFor<T> (§4); the
    // reply is matched by id, so only its type is taken on trust.
    return reply as Promise<ReplyFor<T['type']>>;
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
      const closed = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.quitTimeoutMs);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const quit: Request = reason === undefined ? { type: 'quit' } : { type: 'quit', reason };
      this.write({ ...quit, id: this.pending.quitId });
      await closed;
    }
    socket?.destroy();
    this.pending.failAll('connection closed');
  }

  /** Close at once without saying goodbye. */
  destroy(): void {
    this.state = 'closed';
    this.stopTimers();
    this.socket?.destroy();
    this.pending.failAll('connection closed');
  }

  /** After a handshake refusal: whether a (new) password was obtained to try again with. */
  private async newPassword(err: ConnectError): Promise<boolean> {
    const ask = this.opts.askPassword;
    if (!ask || !this.login.wantsPassword(err)) return false;
    const password = await ask(this.login.name, err.code === 'auth_failed');
    // quit() while the user was typing the password: stop here.
    if (password === undefined || this.state === 'closed') return false;
    this.login.password = password;
    return true;
  }

  /** After the first hello is refused for its alias: whether another was obtained to try. */
  private async newAlias(err: ConnectError): Promise<boolean> {
    const ask = this.opts.askAlias;
    const aliasRefused = err.code === 'alias_taken' || err.code === 'bad_alias';
    // A displaced session must not come back under another name either (§2).
    if (!ask || err.kind !== 'refused' || !aliasRefused || err.detail === 'displaced') return false;
    const name = await ask(err);
    if (!name || this.state === 'closed') return false;
    // The password was for the alias refused; a registered new one asks for its own.
    this.login.name = name;
    this.login.password = undefined;
    return true;
  }

  private write(message: Hello | Request): void {
    // Client traffic is small and paced by acks; Node buffers the rest.
    this.socket?.write(JSON.stringify(message) + '\n');
  }

  /** One connection attempt: connect (and TLS handshake), hello, wait for welcome (or a refusal). */
  private open(): Promise<WelcomeEvent> {
    this.state = 'connecting';
    return openSession(this.redial.endpoint, this.opts, {
      opened: (socket) => {
        this.socket = socket;
      },
      current: (socket) => this.socket === socket,
      hello: () => this.login.hello(),
      welcomed: (welcome) => this.onWelcome(welcome),
      event: (event) => this.onEvent(event),
      dropped: (reason) => this.onDrop(reason),
    });
  }

  private onWelcome(welcome: WelcomeEvent): void {
    const again = this.welcome !== undefined;
    this.welcome = welcome;
    this.state = 'open';
    this.redial.opened();
    this.farewell = undefined;
    this.login.welcomed(welcome);
    this.armHeartbeat();
    // Now, not when open() settles: the replay that follows the welcome comes after this.
    if (again) {
      for (const request of this.login.restoring()) this.write(request);
      this.emit('reconnected', welcome);
    }
    // Unanswered requests go again with their original ids, in order (§4),
    // held ones included (their timers ended with the connection they were for).
    for (const request of this.pending.requests()) this.write(request);
  }

  private onEvent(event: ServerEvent): void {
    this.armHeartbeat();
    if (event.type === 'ping') {
      const id = replyId(event);
      this.write(id === undefined ? { type: 'pong' } : { type: 'pong', id });
      return;
    }
    // Not carried out because the server is stopping (§8): it stays pending,
    // to be sent again with its id after the reconnect, as an unanswered one is.
    if (event.type === 'error' && event.code === 'shutting_down' && this.pending.has(event.id)) {
      return;
    }
    if (event.type === 'error' && event.code === 'internal' && event.detail === 'unavailable') {
      const request = this.pending.get(event.id);
      if (
        (request?.type === 'say' || request?.type === 'dm') &&
        this.holdBack(request, event.message, event.retryAfterMs)
      ) {
        return;
      }
    }
    const pending = this.pending.take(event, this.welcome?.limits.maxLineBytes);
    if (pending) {
      const ready = this.held.answered(pending.request.id);
      if (ready) for (const r of this.pending.requests()) if (ready.has(r.id)) this.write(r);
      if (event.type === 'error') {
        pending.reject(new RequestError(event.code, event.message, event.retryAfterMs));
      } else {
        const { request } = pending;
        const replayed =
          event.type === 'ack' &&
          request.type === 'say' &&
          event.seq !== undefined &&
          this.login.seen.shown(event.room ?? request.room ?? '', event.seq);
        // What a reconnect needs (alias, rooms, password) follows the acks.
        this.login.acked(request, event);
        this.emit('answered', request, event, { replayed });
        pending.resolve(event);
      }
      return;
    }
    // A pong without a pending id answers our heartbeat ping: liveness only.
    if (event.type === 'pong') return;
    this.farewell = farewellFor(event, this.login.name) ?? this.farewell;
    const fresh = this.login.seen.dedupe(event);
    if (fresh) this.emit('event', fresh);
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

  /** `retryAfterMs`: when the server said to come back (see Redial.next). */
  private scheduleReconnect(reason: string, retryAfterMs?: number, asked = false): void {
    this.state = 'waiting';
    const { attempt, delayMs } = this.redial.next(retryAfterMs, asked);
    this.emit('reconnecting', { attempt, delayMs, reason, server: this.server });
    this.retryTimer = setTimeout(() => this.redialNow(), delayMs);
  }

  /**
   * While waiting to reconnect, try at once instead of at the end of the
   * backoff (chat-client: Enter on an empty line), as when the user knows
   * the server is back. False when no reconnect is waiting.
   */
  retryNow(): boolean {
    if (this.state !== 'waiting') return false;
    clearTimeout(this.retryTimer);
    this.redialNow(true);
    return true;
  }

  /** `asked`: the user asked for this attempt (retryNow). */
  private redialNow(asked = false): void {
    this.open().catch((err: ConnectError) => {
      if (this.state === 'closed') return;
      if (asksPassword(err) && this.login.password === undefined) {
        // Registered while this client was away (a class's accounts made
        // with the students online): what to do, not only what happened.
        this.finish(
          `${err.message} (${this.login.name} was registered while this client was away; ` +
            'start chat-client again to sign in with its password)',
          err.code,
        );
      } else if (err.kind === 'refused' && !RETRYABLE.has(err.code ?? '')) {
        this.finish(err.message, err.code);
      } else if (err.detail === 'displaced') {
        // Signed in elsewhere while we were away: as a takeover seen live.
        this.finish(
          `${err.message} (to take the session back, start chat-client again: that signs the other one out)`,
          'displaced',
        );
      } else if (err.code === 'alias_taken' && err.retryAfterMs === undefined) {
        // Our own ghost would have been replaced (the session token or the
        // account proves us, §2): someone else holds the alias now, and
        // retrying would wait on them for ever.
        this.finish(
          `${err.message} (${this.login.name} was taken by someone else while this client ` +
            'was away; start chat-client again with another --name)',
          err.code,
        );
      } else {
        this.scheduleReconnect(err.message, err.retryAfterMs, asked);
      }
    });
  }

  /**
   * A say or dm the server could not store (nothing was): resend-until-ack
   * (§4) applies as after a reconnect, so it goes again with its id rather
   * than being lost, which the user would have had to notice and retype
   * (held.ts). False when it has been kept long enough: refused then.
   */
  private holdBack(request: Request & { id: string }, message: string, afterMs?: number): boolean {
    const delayMs = this.held.hold(request.id, afterMs, () => {
      if (this.online && this.pending.has(request.id)) this.write(request);
    });
    if (delayMs === undefined) return false;
    this.emit('held', { request, message, delayMs });
    return true;
  }

  private finish(reason: string, code?: ErrorCode | 'displaced'): void {
    this.state = 'closed';
    this.stopTimers();
    this.held.clear();
    this.pending.failAll(reason);
    this.emit('closed', code === undefined ? { reason } : { reason, code });
  }

  private stopTimers(): void {
    this.heartbeat.stop();
    clearTimeout(this.retryTimer);
    this.held.dropped();
  }
}
