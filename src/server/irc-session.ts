/**
 * One IRC connection (docs/protocol.md "IRC"): the socket's life (framing,
 * flood control, output backpressure, heartbeat, handshake timeout, close).
 * It is a Peer like a native Session: the core makes every chat decision.
 * Registration is irc-registration.ts's, the client's commands
 * irc-commands.ts's, the core's events irc-events.ts's, and the lines
 * themselves irc-render.ts's and irc-queries.ts's.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Chat } from '../core/chat.js';
import type { Timer } from '../core/clock.js';
import type { ChatError } from '../protocol/errors.js';
import type { Peer, User } from '../core/model.js';
import { LineFramer } from '../protocol/framing.js';
import type { IrcEventEncoder, IrcView } from '../protocol/irc-codec.js';
import {
  IRC_MAX_INPUT_BYTES,
  IrcParseError,
  parseIrcLine,
  type IrcMessage,
} from '../protocol/irc-message.js';
import type { Request, ServerEvent } from '../protocol/messages.js';
import type { ServerConfig } from './config.js';
import { PendingRequests, runIrcCommand, type Pending } from './irc-commands.js';
import { IrcEvents } from './irc-events.js';
import { PRE_REGISTRATION } from './irc-negotiation.js';
import { IrcRegistration } from './irc-registration.js';
import { closingLine, noticeLines, numericLine, type IrcReplyContext } from './irc-render.js';
import { Connection } from './connection.js';
import { runHeartbeat, type Heartbeat } from './heartbeat.js';
import { InputOrder } from './input-order.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { Tally } from './tally.js';

export interface IrcSessionDeps {
  chat: Chat;
  config: Readonly<ServerConfig>;
  log: Logger;
  encoder: IrcEventEncoder;
  rateLimits: RateLimitOptions;
  /** `--server-name`: the prefix of server replies and the host part of every user mask. */
  serverName: string;
  version: string;
  /** The MOTD in force (it changes on SIGHUP); empty for none (422). */
  motd: () => readonly string[];
  /** Counters for the metrics endpoint (bytes out, slow readers), shared with native sessions. */
  tally: Tally;
}

const MAX_LONG_LINES_IN_A_ROW = 3;
/**
 * A command waits at most this long for the requests before it to be answered
 * (the core answers each one; this only keeps a connection from hanging if it
 * did not).
 */
const MAX_ORDER_WAIT_MS = 10_000;
/** Lines held while a login or SASL check is under way (the socket is paused; a backstop). */
const MAX_BACKLOG_LINES = 1000;

export class IrcSession extends Connection implements Peer {
  readonly mode = 'irc' as const;
  private readonly framer = new LineFramer(IRC_MAX_INPUT_BYTES);
  /** Flood control and its release timer, shared with the native session. */
  private readonly input: InputOrder;
  private loggedIn: User | undefined;
  private longLinesInARow = 0;
  private handshakeTimer: Timer | undefined;
  private heartbeatTimer: Timer | undefined;
  /** From the welcome on: when to PING, when to give up (the native session's, heartbeat.ts). */
  private heartbeat: Heartbeat | undefined;
  /** Lines waiting while a login or SASL check is under way, or until the welcome. */
  private backlog: string[] | undefined;
  readonly registration = new IrcRegistration(this);
  private readonly events = new IrcEvents(this);

  private readonly requests = new PendingRequests();
  /** Commands waiting for this connection's requests in flight to be answered. */
  private deferred: IrcMessage[] | undefined;
  private deferTimer: Timer | undefined;

  constructor(
    id: string,
    socket: Socket,
    readonly deps: IrcSessionDeps,
    private readonly onGone: (s: IrcSession) => void,
    private readonly refusal?: ChatError,
  ) {
    super(id, socket, deps, deps.chat.clock);
    // The chat's clock runs flood control, like every timer of the connection.
    this.input = new InputOrder(deps.rateLimits, this.clock, this);
    if (refusal) {
      this.note('info', { code: refusal.code }, 'irc connection refused');
      this.reply([`ERROR :${refusal.message}`]);
      this.close(refusal.code);
      return;
    }
    this.note('info', {}, 'irc connected');
    this.handshakeTimer = this.clock.setTimeout(
      () => this.handshakeExpired(),
      deps.config.handshakeTimeout * 1000,
    );
    this.handshakeTimer.unref();
  }

  /** Set once the core logged this connection in. */
  get user(): User | undefined {
    return this.loggedIn;
  }

  get refused(): boolean {
    return this.refusal !== undefined;
  }

  /** Closing (the core's or the client's doing); hosts read it, only the connection sets it. */
  get isClosing(): boolean {
    return this.closing;
  }

  get finished(): boolean {
    return this.closing || this.socket.destroyed;
  }

  get holding(): boolean {
    return this.backlog !== undefined;
  }

  /** Channels this client was told it is in (JOIN sent, PART/KICK not yet). */
  get channels(): Set<string> {
    return this.events.channels;
  }

  /** Connection's log lines, marked as IRC; `debug` for each command's name. */
  override note(level: 'info' | 'warn' | 'error' | 'debug', fields: object, msg: string): void {
    if (level !== 'debug') return super.note(level, { proto: 'irc', ...fields }, msg);
    const log = this.deps.log;
    if (log.isLevelEnabled('debug')) log.debug({ conn: this.id, proto: 'irc', ...fields }, msg);
  }

  /** The reader's nick: the core's name once logged in, the NICK sent before, or `*`. */
  get me(): string {
    return this.user?.name.display ?? this.registration.nick ?? '*';
  }

  get ctx(): IrcReplyContext {
    return { server: this.deps.serverName, nick: this.me };
  }

  get view(): IrcView {
    return { nick: this.me, serverTime: this.registration.caps.has('server-time') };
  }

  // ---- output ------------------------------------------------------------

  /** Nothing more is written once closing (the ERROR line is the last). */
  override write(bytes: Buffer): void {
    if (this.closing || this.socket.destroyed) return;
    super.write(bytes);
  }

  reply(list: readonly string[]): void {
    if (list.length === 0) return;
    this.write(Buffer.from(list.map((l) => l + '\r\n').join('')));
  }

  numeric(code: string, ...params: string[]): void {
    this.reply([numericLine(this.ctx, code, ...params)]);
  }

  serverNotice(text: string, target = this.me): void {
    this.reply(noticeLines(this.deps.serverName, target, text));
  }

  // ---- Peer ----------------------------------------------------------------

  send(event: ServerEvent): void {
    if (this.closing || this.socket.destroyed) return;
    try {
      this.events.send(event);
    } catch (err) {
      this.note('error', { err }, 'unexpected error encoding an event');
    }
    // The answer's lines are out: commands that waited for it may run now.
    if (this.deferred && this.requests.size === 0) this.resumeDeferred();
  }

  sendAll(events: readonly ServerEvent[]): void {
    for (const e of events) this.send(e);
  }

  /** Say why in an ERROR line, then close after the flush (Peer). */
  override close(reason: string): void {
    if (this.closing) return;
    this.reply([closingLine(this.me, this.address, reason)]);
    super.close(reason);
  }

  // ---- socket events -------------------------------------------------------

  onEnd(): void {
    if (!this.closing) this.socket.end();
  }

  onClose(): void {
    this.clock.clearTimeout(this.handshakeTimer);
    this.clock.clearInterval(this.heartbeatTimer);
    this.input.stop();
    this.clock.clearTimeout(this.deferTimer);
    this.deferred = undefined;
    this.outbox.discard();
    this.registration.clear();
    if (this.user) this.deps.chat.disconnect(this.user, this.quitReason());
    this.note('info', { reason: this.closeReason }, 'irc disconnected');
    this.onGone(this);
  }

  onData(chunk: Buffer): void {
    this.heartbeat?.input();
    for (const frame of this.framer.push(chunk)) {
      if (this.closing) return;
      if (frame.kind === 'too_long') {
        this.longLinesInARow++;
        if (this.longLinesInARow >= MAX_LONG_LINES_IN_A_ROW) {
          this.close('Three lines in a row were too long');
          return;
        }
        this.numeric(
          '417',
          `Input line was too long (over ${IRC_MAX_INPUT_BYTES} bytes) and was discarded`,
        );
        continue;
      }
      this.longLinesInARow = 0;
      this.onLine(frame.bytes.toString('utf8'));
    }
  }

  private onLine(line: string): void {
    if (this.backlog) {
      if (this.backlog.length >= MAX_BACKLOG_LINES) {
        this.close('Too much input while the login was being checked');
        return;
      }
      this.backlog.push(line);
      return;
    }
    let msg: IrcMessage;
    try {
      msg = parseIrcLine(line);
    } catch (err) {
      if (!(err instanceof IrcParseError)) throw err;
      if (err.code !== 'empty') this.serverNotice(`Malformed line ignored: ${err.message}`);
      return;
    }
    try {
      if (this.user) this.admit(msg);
      else if (PRE_REGISTRATION.has(msg.command)) this.command(msg);
      else this.numeric('451', 'You have not registered');
    } catch (err) {
      this.note('error', { err, command: msg.command }, 'unexpected error handling an irc line');
      this.serverNotice('Internal server error; the command was not carried out');
    }
  }

  /** Hold input (and the socket) while something asynchronous decides what comes next. */
  holdInput(): void {
    this.backlog ??= [];
    this.socket.pause();
  }

  releaseInput(): void {
    const lines = this.backlog ?? [];
    this.backlog = undefined;
    for (let i = 0; i < lines.length; i++) {
      if (this.closing) return;
      this.onLine(lines[i]!);
      // A line may have started another check: the rest wait behind it, in order.
      const held = this.backlog as string[] | undefined;
      if (held) {
        held.push(...lines.slice(i + 1));
        return;
      }
    }
    if (!this.closing) this.socket.resume();
  }

  // ---- registration and heartbeat -----------------------------------------

  /** The core logged this connection in; events wait for the welcome. */
  admitted(user: User): void {
    this.loggedIn = user;
  }

  /** The core's welcome arrived: 001 and on, then the heartbeat; events flow from here. */
  welcomed(): void {
    this.clock.clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.registration.welcome();
    this.startHeartbeat();
  }

  private handshakeExpired(): void {
    this.note('info', {}, 'irc registration timed out');
    this.closeReason = 'timeout';
    this.close(`Registration timed out after ${this.deps.config.handshakeTimeout} s`);
  }

  /** PING after `heartbeat` s of silence; close when it stays unanswered two more (§4). */
  private startHeartbeat(): void {
    const { heartbeat, timer } = runHeartbeat(this.clock, this.deps.config.heartbeat * 1000, {
      ping: () => this.reply([`PING :${this.deps.serverName}`]),
      timeout: () => {
        this.close('Ping timeout');
        this.closeReason = 'timeout';
      },
    });
    this.heartbeat = heartbeat;
    this.heartbeatTimer = timer;
  }

  // ---- commands ------------------------------------------------------------

  /** Flood control (§6, "fakelag"): past the burst, commands wait their turn; past the queue, refused. */
  private admit(msg: IrcMessage): void {
    if (msg.command === 'PING' || msg.command === 'PONG') {
      this.command(msg);
      return;
    }
    // A QUIT takes no token but waits behind held commands, so it does not overtake them.
    if (msg.command === 'QUIT') {
      this.input.inTurn(() => this.command(msg));
      return;
    }
    const verdict = this.input.offer(() => this.command(msg));
    switch (verdict.kind) {
      case 'now':
      case 'queued':
        break;
      case 'refused':
        this.serverNotice(
          `Too many commands; slow down (${msg.command} dropped, retry in ${verdict.retryAfterMs} ms)`,
        );
        break;
      case 'flood':
        this.note('info', {}, 'disconnected for flooding');
        this.close('Excess flood');
        break;
    }
  }

  /** Held commands may still run (InputOwner): open and registered. */
  get acceptsInput(): boolean {
    return !this.closing && this.user !== undefined;
  }

  /**
   * Run one admitted command, in order: while a request of this connection is
   * with the core (which may await the store), later commands wait for its
   * answer, so `NICK new` then `WHOIS new`, or `TOPIC #a :x` then `TOPIC #a`,
   * are answered as a server answers them, one after the other.
   */
  private command(msg: IrcMessage): void {
    if (this.deferred) {
      this.deferred.push(msg);
      return;
    }
    if (this.requests.size > 0) {
      this.deferred = [msg];
      this.deferTimer = this.clock.setTimeout(() => {
        this.note('warn', { waiting: this.deferred?.length }, 'irc request unanswered');
        this.resumeDeferred(true);
      }, MAX_ORDER_WAIT_MS);
      this.deferTimer.unref();
      return;
    }
    // The command name only: parameters may hold message text or a password.
    this.note('debug', { command: msg.command }, 'irc command');
    runIrcCommand(this, msg);
  }

  /** Run the waiting commands until one of them sends a request (the rest wait for it). */
  private resumeDeferred(force = false): void {
    this.clock.clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    const queue = this.deferred ?? [];
    this.deferred = undefined;
    for (let i = 0; i < queue.length; i++) {
      if (this.finished) return;
      if (!force && this.requests.size > 0) {
        // command() starts a new wait with the rest, in order.
        for (const msg of queue.slice(i)) this.command(msg);
        return;
      }
      this.note('debug', { command: queue[i]!.command }, 'irc command');
      runIrcCommand(this, queue[i]!);
    }
  }

  request(req: Request, pending: Pending): void {
    if (!this.user) return;
    const opened = this.requests.open(req, pending);
    if ('error' in opened) this.events.error(opened.error);
    else this.deps.chat.handle(this.user, opened.request);
  }

  answered(id: string | undefined): Pending | undefined {
    return this.requests.answered(id);
  }
}
