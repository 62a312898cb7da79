/**
 * One connection's conversation: framing, and its requests on their way to
 * the core in order. It turns bytes into Requests for the core and the
 * core's events into bytes; it makes no chat decisions of its own. The
 * socket, output backpressure and closing are Connection's (connection.ts);
 * the handshake and the choice of codec Handshake's (handshake.ts); flood
 * control and order InputOrder's (input-order.ts); the heartbeat's timing
 * heartbeat.ts's.
 */
import type { Socket } from 'node:net';
import type { Chat } from '../core/chat.js';
import type { Peer, User } from '../core/model.js';
import type { Codec, View } from '../protocol/codec.js';
import type { ChatError, ErrorCode, ErrorDetail } from '../protocol/errors.js';
import { LineFramer, type DiscardedEnds, type Frame } from '../protocol/framing.js';
import { errorEvent, type Request, type ServerEvent } from '../protocol/messages.js';
import { Connection, type ConnectionDeps } from './connection.js';
import { Handshake } from './handshake.js';
import { runHeartbeat, type Heartbeat } from './heartbeat.js';
import { InputOrder, quote, uncounted, type Held } from './input-order.js';
import type { RateLimitOptions } from './rate-limit.js';

const isMessage = (e: ServerEvent): boolean => e.type === 'message' || e.type === 'private';

// A burst goes to every member of the room in a row: it is counted once for
// all of them, not once per recipient (a loop over the burst per recipient
// was 2 % of the ingest bench's event loop; docs/performance.md).
let countedBurst: readonly ServerEvent[] | undefined;
let countedMessages = 0;

/** How many of `events` are messages, remembered for the last burst asked about. */
function messagesIn(events: readonly ServerEvent[]): number {
  if (events !== countedBurst) {
    countedMessages = 0;
    for (const e of events) if (isMessage(e)) countedMessages++;
    countedBurst = events;
  }
  return countedMessages;
}

export interface SessionDeps extends ConnectionDeps {
  chat: Chat;
  /** The codec a connection speaks before its first line (and to a refused one that sends none). */
  defaultCodec: Codec;
  /** Picks the codec from the first non-blank frame; undefined for a blank one. */
  choose: (frame: Buffer) => Codec | undefined;
  banner: Buffer;
  rateLimits: RateLimitOptions;
}

const MAX_LONG_LINES_IN_A_ROW = 3;

/**
 * Why lines held by flood control are not carried out, by the reason the
 * server closed the connection for (Session.refuseHeld): the code of the
 * close's own notice (the kick is a `system` event: `forbidden`).
 */
const HELD_REFUSALS: ReadonlyMap<string, { code: ErrorCode; because: string }> = new Map([
  ['kicked', { code: 'forbidden', because: 'you were kicked' }],
  ['replaced', { code: 'alias_taken', because: 'signed in from another connection' }],
  ['account changed', { code: 'auth_required', because: 'signed out' }],
  ['timeout', { code: 'timeout', because: 'no answer to a ping' }],
]);

/**
 * Only spaces, tabs and CRs: a line §1 ignores. It does not end a run of
 * over-long lines, or blank lines between them would allow any number
 * (found by a conformance audit). A chat line's first byte decides.
 */
function isBlank(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

export class Session extends Connection implements Peer, View {
  /** Chosen once, at the first non-blank frame (§2); never branched on here. */
  private codec: Codec;
  private user: User | undefined;
  private readonly framer: LineFramer;
  /** Until login: dropped then, since its host's closures would outlive their use on every idle connection. */
  private handshake: Handshake | undefined;
  private longLinesInARow = 0;
  private stopHeartbeat: (() => void) | undefined;
  /** JSON connections only, from login on. */
  private heartbeat: Heartbeat | undefined;
  /** Flood control and the order of this connection's input (§4 "Order", §6). */
  private readonly order: InputOrder;
  /** The client half-closed: answer everything received, then close (not a quit). */
  private ended = false;
  /** Closing for what it sent (closeForAbuse): nothing more it sends is read. */
  private leaving = false;
  /** A shutdown is answering what was read before it closes (shutDown). */
  private shuttingDown = false;
  /** Ids of requests that arrived after closeForAbuse, unread: each is refused before the close. */
  private unread: string[] | undefined;

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
    this.handshake = new Handshake(
      {
        chat: deps.chat,
        clock: this.clock,
        tally: deps.tally,
        peer: this,
        timeoutSeconds: deps.config.handshakeTimeout,
        closing: () => this.closing,
        gone: () => this.closing || this.socket.destroyed,
        choose: (frame) => deps.choose(frame),
        codec: () => this.codec,
        setCodec: (codec) => (this.codec = codec),
        write: (bytes) => this.write(bytes),
        sendError: (code, message, retryAfterMs, id, detail) =>
          this.sendError(code, message, id, retryAfterMs, detail),
        finalError: (code, message, retryAfterMs, id, detail) =>
          this.finalError(code, message, retryAfterMs, id, detail),
        note: (level, fields, msg) => this.note(level, fields, msg),
        leave: () => this.close('quit before login'),
        pause: () => this.socket.pause(),
        resume: () => this.socket.resume(),
        admitted: (user) => this.admitted(user),
        frame: (bytes) => this.onHeldLine(bytes),
        tooLong: () => this.onTooLong(),
        drained: () => this.closeWhenAnswered(),
      },
      refusal,
    );
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

  /**
   * Close after flushing (Peer). §8: a connection still in its handshake
   * (typing its alias, at the password prompt) is told of a shutdown too;
   * the chat tells only its users.
   */
  override close(reason: string): void {
    if (reason === 'shutdown') {
      this.shutDown();
      return;
    }
    if (!this.closing) this.refuseHeld(reason);
    super.close(reason);
  }

  /**
   * The server ends the connection (a kick, a takeover, a heartbeat
   * timeout, an account changed under it) while flood control still holds
   * some of its lines: they will never be carried out, and each is told so,
   * a request with an id in its one reply (§4), as a shutdown tells them.
   * Before, they went unanswered, and a client could not tell them from
   * requests still on their way (a conformance audit).
   */
  private refuseHeld(reason: string): void {
    const why = HELD_REFUSALS.get(reason);
    if (!why || !this.user) return;
    this.refuseAll(this.order.takeHeld(), why.code, `Not carried out (${why.because})`);
  }

  /**
   * Answer held lines that will never run, in order: a held refusal as it
   * was, a request with an id (or one flood control counts) with `code`
   * and `said`, then the first words of the line.
   */
  private refuseAll(held: readonly Held[], code: ErrorCode, said: string): void {
    for (const h of held) {
      if (h.type === 'error') this.send(h);
      else if (!uncounted(h) || h.id !== undefined)
        this.sendError(code, `${said}: ${quote(h)}`, h.id);
    }
  }

  /**
   * §8 with §4's "exactly one reply": what was carried out before the
   * shutdown is answered first (a say being committed gets its ack), then
   * every line flood control still held is refused with `shutting_down` (a
   * held refusal is sent as it was); then the close. Nothing more is read.
   */
  private shutDown(): void {
    const user = this.user;
    if (!user || this.closing) {
      if (!user && !this.refused) this.send(this.deps.chat.system('shutdown', {}));
      super.close('shutdown');
      return;
    }
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const held = this.order.takeHeld();
    // Nothing sent after the signal is read: unanswered, a client re-sends
    // it after reconnecting (§4), where a refusal would have been final.
    this.leaving = true;
    this.socket.pause();
    this.deps.chat.afterPending(user, () => {
      this.refuseAll(held, 'shutting_down', 'The server is shutting down; not carried out');
      for (const id of this.unread ?? []) {
        this.sendError('shutting_down', 'Not read: the server is shutting down', id);
      }
      super.close('shutdown');
    });
  }

  /** Encode and queue an event for this connection (Peer). */
  send(event: ServerEvent): void {
    if (this.closing || this.socket.destroyed) return;
    const tally = this.deps.tally;
    tally.deliveries++;
    if (isMessage(event)) tally.messagesOut++;
    else if (event.type === 'error') tally.refusals[event.code]++;
    const bytes = this.codec.encode(event, this);
    if (bytes.length > 0) this.write(bytes);
  }

  /** Encode and queue several events in order (Peer): one encoding shared by every recipient. */
  sendAll(
    events: readonly ServerEvent[],
    skip?: readonly number[],
    instead?: readonly (ServerEvent | undefined)[],
  ): void {
    if (this.closing || this.socket.destroyed) return;
    const tally = this.deps.tally;
    let messages = messagesIn(events);
    if (skip) for (const i of skip) if (isMessage(events[i]!)) messages--;
    tally.deliveries += events.length - (skip?.length ?? 0);
    tally.messagesOut += messages;
    let insteadBytes: (Buffer | undefined)[] | undefined;
    if (instead) {
      insteadBytes = instead.map((e) => (e === undefined ? undefined : this.codec.encode(e, this)));
      tally.deliveries += insteadBytes.filter((b) => b !== undefined).length;
    }
    const bytes = this.codec.encodeAll(events, this, skip, insteadBytes);
    if (bytes.length > 0) this.write(bytes);
  }

  /**
   * What the codec needs to know about the reader (View): their current
   * room. The session itself, not an object made per event sent.
   */
  get here(): string {
    return this.user?.current.name.display ?? '';
  }

  /**
   * Half-closed by the client (`printf … | nc` when its input ends). Not a
   * quit (§4 "Order"): a last line without its newline still counts, every
   * line received is handled and answered, and then the server closes.
   */
  onEnd(): void {
    if (this.closing) return;
    const last = this.framer.end();
    if (last) this.onFrames([last]);
    this.ended = true;
    this.closeWhenAnswered();
  }

  /** After a half-close: close once the input before it is done; a login in progress finishes first. */
  private closeWhenAnswered(): void {
    if (this.closing || !this.ended || this.handshake?.checking === true) return;
    const user = this.user;
    if (!user) {
      this.close('closed by client');
      return;
    }
    this.order.inTurn(() =>
      this.deps.chat.afterPending(user, () => this.close('closed by client')),
    );
  }

  /** Bytes from the client. */
  onData(chunk: Buffer): void {
    this.heartbeat?.input();
    this.deps.tally.bytesIn += chunk.length;
    this.onFrames(this.framer.push(chunk));
  }

  /** Lines from the client, and refusals of lines too long to read, in order. */
  private onFrames(frames: readonly Frame[]): void {
    for (const frame of frames) {
      if (this.closing) return;
      if (this.leaving) {
        this.noteUnread(frame);
        continue;
      }
      if (frame.kind === 'too_long') {
        this.onTooLong(frame);
        continue;
      }
      if (!isBlank(frame.bytes)) this.longLinesInARow = 0;
      try {
        this.onFrame(frame.bytes);
      } catch (err) {
        // A bug reached by one input ends this connection's request, never the process.
        this.note('error', { err }, 'unexpected error handling a line');
        this.sendError('internal', 'Internal server error; the request was not carried out');
      }
    }
  }

  /**
   * A line that came in the same read as the one that closed the connection
   * for abuse: not carried out, but a request with an id still gets its one
   * reply (§4), before the final error.
   */
  private noteUnread(frame: Frame): void {
    if (frame.kind !== 'line' || !this.user) return;
    let id: string | undefined;
    try {
      const decoded = this.codec.decode(frame.bytes);
      if (decoded.kind === 'request') id = decoded.request.id;
      else if (decoded.kind === 'error') id = decoded.id;
    } catch {
      return;
    }
    if (id !== undefined) (this.unread ??= []).push(id);
  }

  /**
   * A line held while a login was checked, handed back in order: as if it
   * were read now (it ends a run of too-long lines; after a close for abuse
   * it is not carried out).
   */
  private onHeldLine(bytes: Buffer): void {
    if (this.leaving) {
      this.noteUnread({ kind: 'line', bytes });
      return;
    }
    if (!isBlank(bytes)) this.longLinesInARow = 0;
    this.onFrame(bytes);
  }

  /** A line too long to read (`ends`: its first and last bytes); before login it may wait behind a login being checked. */
  private onTooLong(ends?: DiscardedEnds): void {
    if (!this.user && this.handshake?.tooLong() === true) return;
    this.lineTooLong(ends);
  }

  /**
   * A line too long to read: refused in its turn, with its request's id when
   * its first or last bytes name one (§4: one reply per id); three in a row
   * close the connection.
   */
  private lineTooLong(ends?: DiscardedEnds): void {
    this.longLinesInARow++;
    const max = this.deps.config.maxLineBytes;
    const id = this.user && ends ? this.codec.discardedId(ends.head, ends.tail) : undefined;
    if (this.longLinesInARow >= MAX_LONG_LINES_IN_A_ROW) {
      if (id !== undefined) (this.unread ??= []).push(id);
      this.closeForAbuse(
        'line_too_long',
        `Three lines in a row were longer than ${max} bytes; closing`,
      );
    } else {
      this.answerError('line_too_long', `Line longer than ${max} bytes was discarded`, id);
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
    this.order.inTurn(() => this.deps.chat.answer(user, event), event);
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
    this.handshake?.frame(frame);
  }

  /** Pass a request through flood control (§6); `uncounted` ones only keep their place. */
  private admitRequest(user: User, req: Request): void {
    const chat = this.deps.chat;
    const run = (): void => chat.handle(user, req);
    if (uncounted(req)) {
      this.order.inTurn(run, req);
      return;
    }
    const verdict = this.order.offer(run, req);
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
        // This request is not carried out either: it is the first of the unread.
        if (req.id !== undefined) (this.unread ??= []).push(req.id);
        this.closeForAbuse('rate_limited', 'Too many messages for too long; closing');
        break;
    }
  }

  /**
   * End the connection for what it sent (§6: sustained flooding, long lines
   * in a row). Nothing it sends from here on is read, but what was taken in
   * before is still carried out and answered (held lines at the flood
   * control's pace), so every request with an id gets its one reply (§4)
   * and a stored message its ack; then the final error, and the close.
   */
  private closeForAbuse(code: ErrorCode, message: string): void {
    const user = this.user;
    if (!user) {
      this.finalError(code, message);
      return;
    }
    if (this.leaving) return;
    this.leaving = true;
    this.socket.pause();
    const last = (): void => {
      for (const id of this.unread ?? []) {
        // The close's own code and reason: flooding, or long lines in a row.
        this.sendError(code, `Not read: ${message}`, id);
      }
      this.finalError(code, message);
    };
    // After the rest of this read is noted (onData goes on synchronously).
    queueMicrotask(() => this.order.inTurn(() => this.deps.chat.afterPending(user, last)));
  }

  /** The handshake let the user in: from here on, frames are requests. */
  private admitted(user: User): void {
    this.user = user;
    this.handshake = undefined;
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
  }

  /** §4: ping after `heartbeat` s of silence, close when a ping stays unanswered two more. */
  private startHeartbeat(): void {
    const { heartbeat, stop } = runHeartbeat(this.clock, this.deps.config.heartbeat * 1000, {
      ping: () => this.send({ type: 'ping' }),
      timeout: () => this.finalError('timeout', 'No answer to a ping for too long; closing'),
    });
    this.heartbeat = heartbeat;
    this.stopHeartbeat = stop;
  }

  private sendError(
    code: ErrorCode,
    message: string,
    id?: string,
    retryAfterMs?: number,
    detail?: ErrorDetail,
  ): void {
    this.send(errorEvent(code, message, id, retryAfterMs, detail));
  }

  private finalError(
    code: ErrorCode,
    message: string,
    retryAfterMs?: number,
    id?: string,
    detail?: ErrorDetail,
  ): void {
    // What flood control still holds is refused before the last word.
    if (!this.closing) this.refuseHeld(code);
    this.sendError(code, message, id, retryAfterMs, detail);
    this.close(code);
  }

  /** The socket is gone: leave the chat and free the connection's place. */
  onClose(): void {
    this.handshake?.stop();
    this.stopHeartbeat?.();
    this.order.stop();
    this.outbox.discard();
    // Queued behind what the connection already sent: its last message goes out before its quit.
    if (this.user) this.deps.chat.leave(this.user, this.quitReason());
    this.note('info', { reason: this.closeReason }, 'disconnected');
    this.onGone(this);
  }
}
