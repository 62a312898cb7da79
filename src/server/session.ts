/**
 * One connection's conversation: framing, the handshake and the choice of
 * codec, and its requests on their way to the core in order. It turns bytes
 * into Requests for the core and the core's events into bytes; it makes no
 * chat decisions of its own. The socket, output backpressure and closing are
 * Connection's (connection.ts); flood control and order InputOrder's
 * (input-order.ts); the heartbeat's timing heartbeat.ts's.
 */
import type { Socket } from 'node:net';
import type { Chat } from '../core/chat.js';
import type { Timer } from '../core/clock.js';
import type { Peer, User } from '../core/model.js';
import type { Codec, HelloStep, LoginHello } from '../protocol/codec.js';
import { ChatError, type ErrorCode } from '../protocol/errors.js';
import { LineFramer } from '../protocol/framing.js';
import type { Request, ServerEvent } from '../protocol/messages.js';
import { Connection, type ConnectionDeps } from './connection.js';
import { runHeartbeat, type Heartbeat } from './heartbeat.js';
import { InputOrder } from './input-order.js';
import type { RateLimitOptions } from './rate-limit.js';

export interface SessionDeps extends ConnectionDeps {
  chat: Chat;
  /** The codec a connection speaks before its first line (and to a refused one that sends none). */
  defaultCodec: Codec;
  /** Picks the codec from the first non-blank frame; undefined for a blank one. */
  choose: (frame: Buffer) => Codec | undefined;
  banner: Buffer;
  rateLimits: RateLimitOptions;
}

const MAX_HANDSHAKE_FAILURES = 3;
const MAX_LONG_LINES_IN_A_ROW = 3;
/**
 * A refused connection waits this long for its first line, so the refusal
 * can be said in the client's own mode (text or JSON), then hears it anyway.
 */
const REFUSAL_WAIT_S = 2;
/** Lines held while a login is checked; the socket is paused, so this is a backstop. */
const MAX_BACKLOG_LINES = 1000;

export class Session extends Connection implements Peer {
  /** Chosen once, at the first non-blank frame (§2); never branched on here. */
  private codec: Codec;
  private chosen = false;
  private user: User | undefined;
  private readonly framer: LineFramer;
  private handshakeFailures = 0;
  private longLinesInARow = 0;
  private handshakeTimer: Timer | undefined;
  private heartbeatTimer: Timer | undefined;
  /** JSON connections only, from login on. */
  private heartbeat: Heartbeat | undefined;
  /** Flood control and the order of this connection's input (§4 "Order", §6). */
  private readonly order: InputOrder;
  /** The client half-closed: answer everything received, then close (not a quit). */
  private ended = false;
  /** Frames that arrived while a login was being checked. */
  private backlog: Buffer[] | undefined;
  /** How the codec reads the next pre-login frame when it continues a login (a password). */
  private nextHello: ((frame: Buffer) => HelloStep) | undefined;
  /** The login being checked, for the codec's retry advice. */
  private attempt: LoginHello | undefined;

  constructor(
    id: string,
    socket: Socket,
    private readonly deps: SessionDeps,
    private readonly onGone: (s: Session) => void,
    /** Set for a connection admission refused: it is told why in its own mode, then closed. */
    private readonly refusal?: ChatError,
  ) {
    // The chat's clock runs every timer of the connection.
    super(id, socket, deps, deps.chat.clock);
    this.framer = new LineFramer(deps.config.maxLineBytes);
    this.codec = deps.defaultCodec;
    this.order = new InputOrder(deps.rateLimits, this.clock, this);
    const waitMs = (refusal ? REFUSAL_WAIT_S : deps.config.handshakeTimeout) * 1000;
    this.handshakeTimer = this.clock.setTimeout(() => this.handshakeExpired(), waitMs);
    this.handshakeTimer.unref();
    if (refusal) this.note('info', { code: refusal.code }, 'connection refused');
    else {
      this.note('info', {}, 'connected');
      this.write(deps.banner);
    }
  }

  /** Whether held input may still run: open and logged in (InputOwner). */
  get acceptsInput(): boolean {
    return !this.closing && this.user !== undefined;
  }

  /** The mode of the codec this connection speaks (Peer). */
  get mode(): string {
    return this.codec.mode;
  }

  get loggedIn(): boolean {
    return this.user !== undefined;
  }

  /** True for a connection admission refused (it is only told why). */
  get refused(): boolean {
    return this.refusal !== undefined;
  }

  /** Encode and queue an event for this connection (Peer). */
  send(event: ServerEvent): void {
    if (this.closing || this.socket.destroyed) return;
    const tally = this.deps.tally;
    tally.deliveries++;
    if (event.type === 'message' || event.type === 'private') tally.messagesOut++;
    else if (event.type === 'error') tally.refusals[event.code]++;
    const bytes = this.codec.encode(event, this.view());
    if (bytes.length > 0) this.write(bytes);
  }

  /** Encode and queue several events in order (Peer): one encoding shared by every recipient. */
  sendAll(events: readonly ServerEvent[]): void {
    if (this.closing || this.socket.destroyed) return;
    const tally = this.deps.tally;
    tally.deliveries += events.length;
    for (const e of events) if (e.type === 'message' || e.type === 'private') tally.messagesOut++;
    const bytes = this.codec.encodeAll(events, this.view());
    if (bytes.length > 0) this.write(bytes);
  }

  /** What the codec needs to know about the reader: their current room. */
  private view(): { here: string } {
    return { here: this.user?.current.name.display ?? '' };
  }

  /**
   * Half-closed by the client (`printf … | nc` when its input ends). Not a
   * quit (§4 "Order"): a last line without its newline still counts, every
   * line received is handled and answered, and then the server closes.
   */
  onEnd(): void {
    if (this.closing) return;
    const last = this.framer.end();
    if (last) this.onData(Buffer.alloc(0), last);
    this.ended = true;
    this.closeWhenAnswered();
  }

  /** After a half-close: close once the input before it is done; a login in progress finishes first. */
  private closeWhenAnswered(): void {
    if (this.closing || !this.ended || this.backlog) return;
    const user = this.user;
    if (!user) {
      this.close('closed by client');
      return;
    }
    this.order.inTurn(() =>
      this.deps.chat.afterPending(user, () => this.close('closed by client')),
    );
  }

  /** Bytes from the client (`extra`: a last unterminated line at end of input). */
  onData(chunk: Buffer, extra?: Buffer): void {
    this.heartbeat?.input();
    this.deps.tally.bytesIn += chunk.length;
    const frames = this.framer.push(chunk);
    if (extra) frames.push({ kind: 'line', bytes: extra });
    for (const frame of frames) {
      if (this.closing) return;
      if (frame.kind === 'too_long') {
        this.lineTooLong();
        continue;
      }
      this.longLinesInARow = 0;
      try {
        this.onFrame(frame.bytes);
      } catch (err) {
        // A bug reached by one input ends this connection's request, never the process.
        this.note('error', { err }, 'unexpected error handling a line');
        this.sendError('internal', 'Internal server error; the request was not carried out');
      }
    }
  }

  private lineTooLong(): void {
    this.longLinesInARow++;
    const max = this.deps.config.maxLineBytes;
    if (this.longLinesInARow >= MAX_LONG_LINES_IN_A_ROW) {
      this.finalError(
        'line_too_long',
        `Three lines in a row were longer than ${max} bytes; closing`,
      );
    } else {
      this.answerError('line_too_long', `Line longer than ${max} bytes was discarded`);
    }
  }

  /** An error about one line, sent after the answers to the lines before it (§4 "Order"). */
  private answerError(code: ErrorCode, message: string, id?: string, retryAfterMs?: number): void {
    const user = this.user;
    if (!user) {
      this.sendError(code, message, id, retryAfterMs);
      return;
    }
    const event = errorEvent(code, message, id, retryAfterMs);
    this.order.inTurn(() => this.deps.chat.answer(user, event));
  }

  private onFrame(frame: Buffer): void {
    if (this.user) {
      const decoded = this.codec.decode(frame);
      if (decoded.kind === 'request') this.admitRequest(this.user, decoded.request);
      else if (decoded.kind === 'error') {
        const { code, message } = decoded.error;
        this.answerError(code, message, decoded.id);
      }
      return;
    }
    if (this.backlog) {
      // A login is being checked (async): later lines wait for its outcome, in
      // order. The socket is paused meanwhile, so only what was already read
      // lands here; the cap is a backstop.
      if (this.backlog.length >= MAX_BACKLOG_LINES) {
        this.finalError(
          'rate_limited',
          'Too much input while the login was being checked; closing',
        );
        return;
      }
      this.backlog.push(frame);
      return;
    }
    if (!this.chosen) {
      const codec = this.deps.choose(frame);
      if (!codec) return;
      this.codec = codec;
      this.chosen = true;
    }
    this.handshake(frame);
  }

  /**
   * Pass a request through flood control (§6). Heartbeats, `quit`, file
   * chunks and their acks (a transfer's window paces those, §5) are never
   * counted nor refused, but wait behind held lines like any other (§4
   * "Order": lines before a `/quit` are carried out first).
   */
  private admitRequest(user: User, req: Request): void {
    const chat = this.deps.chat;
    const run = (): void => chat.handle(user, req);
    if (
      req.type === 'ping' ||
      req.type === 'pong' ||
      req.type === 'quit' ||
      req.type === 'file-chunk' ||
      req.type === 'file-ack'
    ) {
      this.order.inTurn(run);
      return;
    }
    const verdict = this.order.offer(run);
    switch (verdict.kind) {
      case 'now':
      case 'queued':
        break;
      case 'refused':
        this.answerError(
          'rate_limited',
          `Too many messages: dropped ${quote(req)}; slow down (retry in ${verdict.retryAfterMs} ms)`,
          req.id,
          verdict.retryAfterMs,
        );
        break;
      case 'flood':
        this.note('info', {}, 'disconnected for flooding');
        this.deps.tally.floodDisconnects++;
        this.finalError('rate_limited', 'Too many messages for too long; closing');
        break;
    }
  }

  private handshake(frame: Buffer): void {
    if (this.refusal) {
      this.finalError(this.refusal.code, this.refusal.message, this.refusal.retryAfterMs);
      return;
    }
    const step = this.nextHello ? this.nextHello(frame) : this.codec.hello(frame);
    if (step.kind === 'wait') return;
    if (step.kind === 'prompt') {
      this.nextHello = step.next;
      this.write(step.text);
      return;
    }
    if (step.kind === 'error') {
      this.handshakeRefused(step.error);
      return;
    }
    const hello = step.hello;
    this.attempt = hello;
    this.backlog = [];
    this.socket.pause();
    this.deps.chat.login(this, hello).then(
      (user) => this.admitted(user),
      (err: unknown) => {
        this.handshakeRefused(err);
        this.replayBacklog();
      },
    );
  }

  private handshakeRefused(err: unknown): void {
    if (this.closing) return;
    if (!(err instanceof ChatError)) {
      this.note('error', { err }, 'unexpected error during handshake');
      this.finalError('internal', 'Internal server error during login; closing');
      return;
    }
    const retry = this.codec.retry(err, this.attempt);
    this.nextHello = retry.next;
    if (retry.prompt) {
      // A question (a registered alias's password, §2), not a failed attempt.
      this.write(retry.prompt);
      return;
    }
    this.handshakeFailures++;
    this.deps.tally.loginFailures[err.code]++;
    this.note('info', { code: err.code, attempt: this.handshakeFailures }, 'handshake refused');
    const final =
      this.handshakeFailures >= MAX_HANDSHAKE_FAILURES ||
      err.code === 'banned' ||
      err.code === 'rate_limited';
    if (final) {
      this.finalError(err.code, `${err.message}. Closing`, err.retryAfterMs);
      return;
    }
    this.sendError(err.code, err.message + retry.hint);
  }

  private admitted(user: User): void {
    if (this.closing || this.socket.destroyed) {
      // The connection ended while its login was being checked.
      this.deps.chat.disconnect(user, 'connection closed');
      return;
    }
    this.user = user;
    this.nextHello = undefined;
    this.attempt = undefined;
    this.clock.clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.note(
      'info',
      { mode: this.codec.mode, alias: user.name.display, account: user.account !== undefined },
      'handshake complete',
    );
    if (this.codec.heartbeat) this.startHeartbeat();
    else this.socket.setKeepAlive(true, 60_000);
    // Each room a hello.resume joined beyond the first costs what a /join
    // would (§6): one hello line must not be a free burst of joins.
    this.order.charge(user.rooms.size - 1);
    this.replayBacklog();
  }

  private replayBacklog(): void {
    const frames = this.backlog ?? [];
    this.backlog = undefined;
    for (const frame of frames) {
      if (this.closing) return;
      this.onFrame(frame);
    }
    // A line replayed above may have started another login, which keeps it paused.
    if (!this.backlog && !this.closing) {
      this.socket.resume();
      this.closeWhenAnswered();
    }
  }

  /** §4: ping after `heartbeat` s of silence, close when a ping stays unanswered two more. */
  private startHeartbeat(): void {
    const { heartbeat, timer } = runHeartbeat(this.clock, this.deps.config.heartbeat * 1000, {
      ping: () => this.send({ type: 'ping' }),
      timeout: () => this.finalError('timeout', 'No answer to a ping for too long; closing'),
    });
    this.heartbeat = heartbeat;
    this.heartbeatTimer = timer;
  }

  private handshakeExpired(): void {
    if (this.refusal) {
      this.finalError(this.refusal.code, this.refusal.message, this.refusal.retryAfterMs);
      return;
    }
    this.note('info', {}, 'handshake timed out');
    this.finalError(
      'timeout',
      `No valid alias within ${this.deps.config.handshakeTimeout} s; closing`,
    );
  }

  private sendError(code: ErrorCode, message: string, id?: string, retryAfterMs?: number): void {
    this.send(errorEvent(code, message, id, retryAfterMs));
  }

  private finalError(code: ErrorCode, message: string, retryAfterMs?: number): void {
    this.sendError(code, message, undefined, retryAfterMs);
    this.close(code);
  }

  /** The socket is gone: leave the chat and free the connection's place. */
  onClose(): void {
    this.clock.clearTimeout(this.handshakeTimer);
    this.clock.clearInterval(this.heartbeatTimer);
    this.order.stop();
    this.outbox.discard();
    // Queued behind what the connection already sent: its last message goes out before its quit.
    if (this.user) this.deps.chat.leave(this.user, this.quitReason());
    this.note('info', { reason: this.closeReason }, 'disconnected');
    this.onGone(this);
  }
}

function errorEvent(
  code: ErrorCode,
  message: string,
  id?: string,
  retryAfterMs?: number,
): ServerEvent {
  return {
    type: 'error',
    ...(id !== undefined && { id }),
    code,
    message,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
}

/** The first words of a dropped request, so its sender knows which one (§6). */
export function quote(req: Request): string {
  const text = req.type === 'say' || req.type === 'dm' ? req.text : `/${req.type}`;
  const words = text.trim().split(/\s+/u);
  let out = words.slice(0, 6).join(' ');
  if (out.length > 40) out = out.slice(0, 40);
  return `"${out}${out.length < text.trim().length ? '…' : ''}"`;
}
