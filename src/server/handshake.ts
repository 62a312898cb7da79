/**
 * One connection's handshake (docs/protocol.md §2): the codec chosen at the
 * first non-blank frame, the hello steps it reads (a password prompt, a
 * retry after a refusal), the login checked by the core while later lines
 * wait, failures counted and the timeout. The session hands it every frame
 * until the user is admitted; it makes no chat decisions of its own.
 */
import type { Chat } from '../core/chat.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Peer, User } from '../core/model.js';
import type { Codec, LoginHello, NextHello } from '../protocol/codec.js';
import {
  ChatError,
  PasswordNeeded,
  toChatError,
  type ErrorCode,
  type ErrorDetail,
} from '../protocol/errors.js';
import type { Tally } from './tally.js';

const MAX_HANDSHAKE_FAILURES = 3;
/**
 * A refused connection waits this long for its first line, so the refusal
 * can be said in the client's own mode (text or JSON), then hears it anyway.
 */
const REFUSAL_WAIT_S = 2;
/** A held line that was too long to read (its bytes are gone; only its refusal is due). */
const TOO_LONG = Symbol('too long');

/** Lines held while a login is checked; the socket is paused, so this is a backstop. */
const MAX_BACKLOG_LINES = 1000;

/** When a login refused for an unreachable store may come back (`retryAfterMs`). */
const UNAVAILABLE_RETRY_MS = 2000;

/**
 * Send a refusal: `retryAfterMs` when a refused login may come back (a
 * stopped server's lease, §9); `id` the hello's (JSON), which its refusal
 * carries; `detail` the finer cause (errors.ts).
 */
type RefusalSender = (
  code: ErrorCode,
  message: string,
  retryAfterMs?: number,
  id?: string,
  detail?: ErrorDetail,
) => void;

/** What the handshake needs of its session. */
export interface HandshakeHost {
  readonly chat: Chat;
  readonly clock: Clock;
  readonly tally: Tally;
  /** The peer the core logs in. */
  readonly peer: Peer;
  /** Seconds a connection has to log in (`--handshake-timeout`). */
  readonly timeoutSeconds: number;
  /** The connection is closing: nothing more is said. */
  closing(): boolean;
  /** Closing, or the socket is already gone. */
  gone(): boolean;
  /** Picks the codec from the first non-blank frame; undefined for a blank one. */
  choose(frame: Buffer): Codec | undefined;
  codec(): Codec;
  setCodec(codec: Codec): void;
  write(bytes: Buffer): void;
  /** A refusal the connection survives. */
  sendError: RefusalSender;
  /** A refusal, then the close. */
  finalError: RefusalSender;
  note(level: 'info' | 'error', fields: object, msg: string): void;
  /** Stop and restart reading the socket while a login is checked. */
  pause(): void;
  resume(): void;
  /** The client left before logging in (text mode's `/quit`): close, no error. */
  leave(): void;
  /** The login passed: the session takes the user from here. */
  admitted(user: User): void;
  /** A frame held during the login check, handed back to the session in order. */
  frame(frame: Buffer): void;
  /** A line too long to read, held during the login check like any line, and answered in its turn. */
  tooLong(): void;
  /** The held frames are all handed back (a half-closed connection may close now). */
  drained(): void;
}

export class Handshake {
  private chosen = false;
  private failures = 0;
  private timer: Timer | undefined;
  /** Frames that arrived while a login was being checked (TOO_LONG: a line too long to read). */
  private backlog: Array<Buffer | typeof TOO_LONG> | undefined;
  /** How the codec reads the next pre-login frame when it continues a login (a password). */
  private nextHello: NextHello | undefined;
  /**
   * Handing back lines that came while a login was checked: they were sent
   * before its refusal could be read, so they do not answer it (NextHello).
   */
  private replaying = false;
  /** The login being checked, for the codec's retry advice. */
  private attempt: LoginHello | undefined;

  constructor(
    private readonly host: HandshakeHost,
    /** Set for a connection admission refused: it is told why in its own mode, then closed. */
    private readonly refusal?: ChatError,
  ) {
    const waitMs = (refusal ? REFUSAL_WAIT_S : host.timeoutSeconds) * 1000;
    this.timer = host.clock.setTimeout(() => this.expired(), waitMs);
    this.timer.unref();
  }

  /** A login is being checked: the session's input waits. */
  get checking(): boolean {
    return this.backlog !== undefined;
  }

  /**
   * A line too long to read, before login: true when a login is being
   * checked, and its refusal then waits its turn behind the login's answer
   * (§4 "Order": no reply precedes the welcome); false: answer it now.
   */
  tooLong(): boolean {
    if (!this.backlog) return false;
    this.hold(TOO_LONG);
    return true;
  }

  /** A frame before login. */
  frame(frame: Buffer): void {
    if (this.backlog) {
      // A login is being checked (async): later lines wait for its outcome, in
      // order. The socket is paused meanwhile, so only what was already read
      // lands here; the cap is a backstop.
      this.hold(frame);
      return;
    }
    if (!this.chosen) {
      const codec = this.host.choose(frame);
      if (!codec) return;
      this.host.setCodec(codec);
      this.chosen = true;
    }
    this.step(frame);
  }

  /** Keep a frame for after the login being checked; the cap is a backstop (the socket is paused). */
  private hold(frame: Buffer | typeof TOO_LONG): void {
    if (this.backlog!.length >= MAX_BACKLOG_LINES) {
      this.host.finalError(
        'rate_limited',
        'Too much input while the login was being checked; closing',
      );
      return;
    }
    this.backlog!.push(frame);
  }

  /** The connection is gone. */
  stop(): void {
    this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private step(frame: Buffer): void {
    const host = this.host;
    if (this.refusal) {
      // A request with an id gets its one reply carrying it (§4), a refused hello too.
      const first = host.codec().hello(frame);
      if (first.kind === 'wait') return;
      const id =
        first.kind === 'login' ? first.hello.id : first.kind === 'error' ? first.id : undefined;
      host.finalError(this.refusal.code, this.refusal.message, this.refusal.retryAfterMs, id);
      return;
    }
    const step = this.nextHello
      ? this.nextHello(frame, !this.replaying)
      : host.codec().hello(frame);
    if (step.kind === 'wait') return;
    if (step.kind === 'error') {
      this.refused(step.error, step.id);
      return;
    }
    if (step.kind === 'leave') {
      host.write(step.text);
      host.leave();
      return;
    }
    const hello = step.hello;
    this.attempt = hello;
    this.backlog = [];
    host.pause();
    host.chat.login(host.peer, hello).then(
      (user) => this.admitted(user),
      (err: unknown) => {
        this.refused(err, hello.id);
        this.replayBacklog();
      },
    );
  }

  private refused(thrown: unknown, id?: string): void {
    const host = this.host;
    if (host.closing()) return;
    const unreachable = thrown instanceof ChatError ? thrown : toChatError(thrown);
    if (unreachable.detail === 'unavailable') {
      // The store cannot be reached (Redis down or frozen, §9): a retry later
      // gets in, not a fault, and not one of the three failed attempts.
      host.note('info', { err: String(thrown) }, 'login refused: the store is unavailable');
      host.finalError(
        'internal',
        `${unreachable.message}. Closing`,
        UNAVAILABLE_RETRY_MS,
        id,
        'unavailable',
      );
      return;
    }
    if (!(thrown instanceof ChatError)) {
      host.note('error', { err: thrown }, 'unexpected error during handshake');
      host.finalError('internal', 'Internal server error during login; closing');
      return;
    }
    const err = thrown;
    const retry = host.codec().retry(err, this.attempt);
    this.nextHello = retry.next;
    if (retry.prompt) {
      // A question (a registered alias's password, §2), not a failed attempt.
      host.write(retry.prompt);
      return;
    }
    if (err instanceof PasswordNeeded) {
      // JSON's form of the same question: `auth_required`, then a hello with
      // the password. Counted, it left a chat-client user two guesses where
      // text mode gives three (a conformance audit).
      host.sendError(err.code, err.message + retry.hint, err.retryAfterMs, id, err.detail);
      return;
    }
    this.failures++;
    host.tally.loginFailures[err.code]++;
    host.note('info', { code: err.code, attempt: this.failures }, 'handshake refused');
    const final =
      this.failures >= MAX_HANDSHAKE_FAILURES ||
      err.code === 'banned' ||
      err.code === 'rate_limited';
    if (final) {
      host.finalError(err.code, `${err.message}. Closing`, err.retryAfterMs, id, err.detail);
      return;
    }
    host.sendError(err.code, err.message + retry.hint, err.retryAfterMs, id, err.detail);
  }

  private admitted(user: User): void {
    if (this.host.gone()) {
      // The connection ended while its login was being checked.
      this.host.chat.disconnect(user, 'connection closed');
      return;
    }
    this.nextHello = undefined;
    this.attempt = undefined;
    this.stop();
    this.host.admitted(user);
    this.replayBacklog();
  }

  private replayBacklog(): void {
    const frames = this.backlog ?? [];
    this.backlog = undefined;
    this.replaying = true;
    try {
      for (const frame of frames) {
        if (this.host.closing()) return;
        if (frame === TOO_LONG) this.host.tooLong();
        else this.host.frame(frame);
      }
    } finally {
      this.replaying = false;
    }
    // A line replayed above may have started another login, which keeps it paused.
    if (!this.backlog && !this.host.closing()) {
      this.host.resume();
      this.host.drained();
    }
  }

  private expired(): void {
    if (this.refusal) {
      this.host.finalError(this.refusal.code, this.refusal.message, this.refusal.retryAfterMs);
      return;
    }
    this.host.note('info', {}, 'handshake timed out');
    this.host.finalError(
      'timeout',
      `Not logged in within ${this.host.timeoutSeconds} s (an alias, and its password when registered); closing`,
    );
  }
}
