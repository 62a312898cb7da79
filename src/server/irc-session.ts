/**
 * One IRC connection (docs/protocol.md "IRC"): the socket's life (output
 * backpressure, flood control, heartbeat, registration timeout, close).
 * It is a Peer like a native Session: the core makes every chat decision.
 * Input lines are irc-input.ts's, registration irc-registration.ts's, the
 * client's commands irc-commands.ts's, their order behind requests in flight
 * irc-requests.ts's, the core's events irc-events.ts's, and the lines
 * themselves irc-render.ts's and irc-queries.ts's.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Chat } from '../core/chat.js';
import type { Timer } from '../core/clock.js';
import { forEachKept, type Bytes } from '../protocol/batch-bytes.js';
import type { ChatError } from '../protocol/errors.js';
import { sanitizeText } from '../protocol/sanitize.js';
import type { Peer, User } from '../core/model.js';
import type { IrcEventEncoder, IrcView } from '../protocol/irc-codec.js';
import type { IrcMessage } from '../protocol/irc-message.js';
import type { Request, ServerEvent } from '../protocol/messages.js';
import type { ServerConfig } from './config.js';
import { runIrcCommand } from './irc-commands.js';
import { IrcEvents } from './irc-events.js';
import { IrcInput } from './irc-input.js';
import { PRE_REGISTRATION } from './irc-negotiation.js';
import { IrcRegistration } from './irc-registration.js';
import { IrcRequests, type Pending } from './irc-requests.js';
import {
  closingLine,
  noticeLines,
  numericLine,
  serverLine,
  type IrcReplyContext,
} from './irc-render.js';
import { Connection } from './connection.js';
import { runHeartbeat, type Heartbeat } from './heartbeat.js';
import { InputOrder, quoteText } from './input-order.js';
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
  /** Counters for the metrics endpoint (bytes in and out, slow readers), shared with native sessions. */
  tally: Tally;
}

/** Longest a flooder's accepted commands may take to run before it is closed anyway. */
const FLOOD_CLOSE_MAX_MS = 10_000;

/** Most of a QUIT's message echoed in the ERROR line (the core keeps its own copy for the others). */
const QUIT_MESSAGE_CHARS = 200;

/**
 * A dropped command as its sender would recognise it: a message by its
 * target and first words (control codes, CTCP and colours, left out), any
 * other command by its first parameter.
 */
function droppedWhat(msg: IrcMessage): string {
  const [target, text] = msg.params;
  if (target === undefined) return msg.command;
  const message = msg.command === 'PRIVMSG' || msg.command === 'NOTICE';
  if (!message || text === undefined) return `${msg.command} ${sanitizeText(target)}`;
  return `${msg.command} ${sanitizeText(target)} ${quoteText(sanitizeText(text))}`;
}

export class IrcSession extends Connection implements Peer {
  readonly mode = 'irc' as const;
  /** Framing, parsing, and lines held while a login or SASL check is under way. */
  private readonly lines = new IrcInput(this, this.socket);
  /** Flood control and its release timer, shared with the native session. */
  private readonly input: InputOrder;
  private loggedIn: User | undefined;
  private handshakeTimer: Timer | undefined;
  private stopHeartbeat: (() => void) | undefined;
  /** From the welcome on: when to PING, when to give up (the native session's, heartbeat.ts). */
  private heartbeat: Heartbeat | undefined;
  /** The QUIT's message, echoed in the closing ERROR line. */
  private quitMessage: string | undefined;
  readonly registration = new IrcRegistration(this);
  private readonly events = new IrcEvents(this);
  /** Requests in flight, and the commands that wait for their answers. */
  private readonly requests = new IrcRequests(this.clock, this);

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
      // One ERROR line, in words: close() adds the `Closing link` line with the reason.
      this.close(refusal.message);
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
    return this.lines.holding;
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
  override write(bytes: Bytes): void {
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
    this.requests.settled();
  }

  sendAll(
    events: readonly ServerEvent[],
    skip?: readonly number[],
    instead?: readonly (ServerEvent | undefined)[],
  ): void {
    forEachKept(events, skip, (e) => this.send(e), instead);
  }

  /** A grant or demotion as the MODE line IRC clients keep their `@` prefixes by (Peer). */
  operatorChanged(room: string, nick: string, operator: boolean): void {
    if (this.closing || this.socket.destroyed) return;
    this.reply([serverLine(this.deps.serverName, 'MODE', [room, operator ? '+o' : '-o', nick])]);
  }

  /** Say why in an ERROR line, then close after the flush (Peer). */
  override close(reason: string): void {
    if (this.closing) return;
    // `Quit: bye`, as other servers echo a QUIT's message back in the ERROR line.
    const shown = reason === 'quit' && this.quitMessage ? `Quit: ${this.quitMessage}` : reason;
    this.reply([closingLine(this.me, this.address, shown)]);
    super.close(reason);
  }

  quitting(message: string): void {
    // By code points: a cut inside a surrogate pair showed as U+FFFD.
    this.quitMessage = Array.from(sanitizeText(message)).slice(0, QUIT_MESSAGE_CHARS).join('');
  }

  // ---- socket events -------------------------------------------------------

  onEnd(): void {
    if (!this.closing) this.socket.end();
  }

  onClose(): void {
    this.clock.clearTimeout(this.handshakeTimer);
    this.stopHeartbeat?.();
    this.input.stop();
    this.requests.stop();
    this.outbox.discard();
    this.registration.clear();
    if (this.user) this.deps.chat.disconnect(this.user, this.quitReason());
    this.note('info', { reason: this.closeReason }, 'irc disconnected');
    this.onGone(this);
  }

  onData(chunk: Buffer): void {
    this.deps.tally.bytesIn += chunk.length;
    if (this.flooded) return;
    this.heartbeat?.input();
    this.lines.push(chunk);
  }

  /** A well-formed line (IrcInputHost): before registration only the registration commands. */
  message(msg: IrcMessage): void {
    try {
      if (this.user) this.admit(msg);
      else if (PRE_REGISTRATION.has(msg.command)) this.requests.command(msg);
      else this.numeric('451', 'You have not registered');
    } catch (err) {
      this.note('error', { err, command: msg.command }, 'unexpected error handling an irc line');
      this.serverNotice('Internal server error; the command was not carried out');
    }
  }

  /** Hold input (and the socket) while something asynchronous decides what comes next. */
  holdInput(): void {
    this.lines.hold();
  }

  releaseInput(): void {
    this.lines.release();
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
    const { heartbeat, stop } = runHeartbeat(this.clock, this.deps.config.heartbeat * 1000, {
      ping: () => this.reply([`PING :${this.deps.serverName}`]),
      timeout: () => {
        this.close('Ping timeout');
        this.closeReason = 'timeout';
      },
    });
    this.heartbeat = heartbeat;
    this.stopHeartbeat = stop;
  }

  // ---- commands ------------------------------------------------------------

  /** Flood control (§6, "fakelag"): past the burst, commands wait their turn; past the queue, refused. */
  private admit(msg: IrcMessage): void {
    if (msg.command === 'PING' || msg.command === 'PONG') {
      this.requests.command(msg);
      return;
    }
    // A QUIT takes no token but waits behind held commands, so it does not overtake them.
    if (msg.command === 'QUIT') {
      this.input.inTurn(() => this.requests.command(msg));
      return;
    }
    const verdict = this.input.offer(() => this.requests.command(msg));
    switch (verdict.kind) {
      case 'now':
      case 'queued':
        break;
      case 'refused':
        // Which line went, as text mode says: ten alike notices after a paste told nothing.
        this.serverNotice(
          `Too many commands; slow down (${droppedWhat(msg)} dropped, retry in ${verdict.retryAfterMs} ms)`,
        );
        break;
      case 'flood':
        this.closeForFlood();
        break;
    }
  }

  /**
   * Sustained flooding (§6): nothing more is read, but the commands taken in
   * before run first, at the flood control's pace, as on the native port;
   * closing at once lost up to 29 of the 30 lines already accepted.
   */
  private closeForFlood(): void {
    if (this.flooded) return;
    this.flooded = true;
    this.note('info', {}, 'disconnected for flooding');
    this.socket.pause();
    const user = this.user;
    // Should an answer never come, the flooder is closed all the same.
    this.clock.setTimeout(() => this.close('Excess flood'), FLOOD_CLOSE_MAX_MS).unref();
    this.input.inTurn(() =>
      this.requests.whenIdle(() =>
        user
          ? this.deps.chat.afterPending(user, () => this.close('Excess flood'))
          : this.close('Excess flood'),
      ),
    );
  }

  private flooded = false;

  /** Held commands may still run (InputOwner): open and registered. */
  get acceptsInput(): boolean {
    return !this.closing && this.user !== undefined;
  }

  /** A command's turn has come (IrcOrderHost): commands wait for earlier requests' answers. */
  runCommand(msg: IrcMessage): void {
    // The command name only: parameters may hold message text or a password.
    this.note('debug', { command: msg.command }, 'irc command');
    runIrcCommand(this, msg);
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
