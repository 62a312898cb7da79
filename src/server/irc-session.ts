/**
 * One IRC connection (docs/protocol.md "IRC"): registration (CAP, SASL PLAIN,
 * PASS, NICK, USER), IRC commands turned into the core's Requests, and the
 * core's events turned into IRC lines and numerics. It is a Peer like a
 * native Session: the core makes every chat decision; this file only
 * translates, and answers read-only queries (NAMES, WHO, WHOIS, LIST…) from
 * the core's state.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Chat } from '../core/chat.js';
import { ChatError, PasswordNeeded } from '../protocol/errors.js';
import type { Peer, Room, User } from '../core/model.js';
import { foldKey, MAX_NAME_CHARS, parseAlias, parseRoom } from '../protocol/names.js';
import { requestSchema } from '../protocol/commands.js';
import { LineFramer } from '../protocol/framing.js';
import { plain, systemPhrase } from '../protocol/phrases.js';
import {
  IRC_CAPS,
  ircTextIn,
  isIrcCap,
  userMask,
  type IrcCap,
  type IrcEventEncoder,
  type IrcView,
} from '../protocol/irc-codec.js';
import {
  formatIrc,
  IRC_LINE_BYTES,
  IRC_MAX_INPUT_BYTES,
  IrcParseError,
  parseIrcLine,
  splitUtf8,
  type IrcMessage,
} from '../protocol/irc-message.js';
import type {
  AckEvent,
  ErrorEvent,
  Request,
  ServerEvent,
  SystemEvent,
} from '../protocol/messages.js';
import type { ServerConfig } from './config.js';
import { Outbox } from './output.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';

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
}

/** A request sent to the core, kept until its ack or error says how it went. */
interface Pending {
  command: string;
  target: string;
  text?: string;
  action?: boolean;
  /** NOTICE: the RFC says no automatic reply, so errors are not reported. */
  quiet?: boolean;
  /** TOPIC: a query rather than a change. */
  query?: boolean;
  oldNick?: string;
  /** The sender's nick when it was sent (an echo names it even after a NICK). */
  from?: string;
  reason?: string;
}

const SESSIONS = new WeakMap<Socket, IrcSession>();
function onSocketData(this: Socket, chunk: Buffer): void {
  SESSIONS.get(this)?.onData(chunk);
}
function onSocketError(this: Socket, err: NodeJS.ErrnoException): void {
  SESSIONS.get(this)?.onError(err);
}
function onSocketEnd(this: Socket): void {
  SESSIONS.get(this)?.onEnd();
}
function onSocketClose(this: Socket): void {
  SESSIONS.get(this)?.onClose();
}

const CLOSE_FLUSH_MS = 2000;
const MAX_LONG_LINES_IN_A_ROW = 3;
/** Lines held while a login or SASL check is under way (the socket is paused; a backstop). */
const MAX_BACKLOG_LINES = 1000;
/** Events held between login and the welcome (the core sends few; a backstop). */
const MAX_EARLY_EVENTS = 10_000;
/** Commands answered before registration; everything else gets 451. */
const PRE_REGISTRATION = new Set([
  'CAP',
  'NICK',
  'USER',
  'PASS',
  'AUTHENTICATE',
  'PING',
  'PONG',
  'QUIT',
]);
const CHANNEL_LEN = MAX_NAME_CHARS + 1;
/** TOPIC text that fits one 332 line whatever the nick and channel (IRC has no multi-line topic). */
export const IRC_TOPIC_LEN = 300;
/** SASL sends its payload in chunks of 400 base64 characters; a full one means more follow. */
const SASL_CHUNK = 400;
const SASL_MAX = 4096;

export class IrcSession implements Peer {
  readonly mode = 'irc' as const;
  readonly address: string;
  private readonly remotePort: number;
  private readonly framer = new LineFramer(IRC_MAX_INPUT_BYTES);
  private readonly outbox: Outbox;
  private readonly limiter: RateLimiter<IrcMessage>;
  private user: User | undefined;
  /** 001 was sent: events flow; before it they wait in `early`. */
  private welcomed = false;
  private early: ServerEvent[] | undefined = [];
  private closing = false;
  private closeReason = 'closed by client';
  private longLinesInARow = 0;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private lastInput = Date.now();
  private pinged = false;
  /** Lines waiting while a login or SASL check is under way, or until the welcome. */
  private backlog: string[] | undefined;

  // Registration state.
  private nick: string | undefined;
  private userName: string | undefined;
  private realName = '';
  private pass: string | undefined;
  private negotiating = false;
  private readonly caps = new Set<IrcCap>();
  private sasl: { account: string; password: string } | undefined;
  private saslState: 'mechanism' | 'checking' | undefined;
  private saslBuffer = '';

  private readonly pending = new Map<string, Pending>();
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private nextId = 1;
  /** Channels this client was told it is in (JOIN sent, PART/KICK not yet). */
  private readonly channels = new Set<string>();

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    private readonly deps: IrcSessionDeps,
    private readonly onGone: (s: IrcSession) => void,
    private readonly refusal?: ChatError,
  ) {
    this.address = socket.remoteAddress ?? 'unknown';
    this.remotePort = socket.remotePort ?? 0;
    this.outbox = new Outbox(socket);
    this.limiter = new RateLimiter<IrcMessage>(deps.rateLimits);
    socket.setNoDelay(true);
    SESSIONS.set(socket, this);
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    if (refusal) {
      this.note('info', { code: refusal.code }, 'irc connection refused');
      this.writeLines([`ERROR :${refusal.message}`]);
      this.close(refusal.code);
      return;
    }
    this.note('info', {}, 'irc connected');
    this.handshakeTimer = setTimeout(
      () => this.handshakeExpired(),
      deps.config.handshakeTimeout * 1000,
    );
    this.handshakeTimer.unref();
  }

  get refused(): boolean {
    return this.refusal !== undefined;
  }

  private note(level: 'info' | 'warn' | 'error' | 'debug', fields: object, msg: string): void {
    const log = this.deps.log;
    if (!log.isLevelEnabled(level)) return;
    log[level](
      { conn: this.id, proto: 'irc', remote: `${this.address}:${this.remotePort}`, ...fields },
      msg,
    );
  }

  private get me(): string {
    return this.user?.name.display ?? this.nick ?? '*';
  }

  private get view(): IrcView {
    return { nick: this.me, serverTime: this.caps.has('server-time') };
  }

  // ---- output ------------------------------------------------------------

  private write(bytes: Buffer): void {
    if (this.closing || this.socket.destroyed) return;
    // Same rule as native sessions (§6): output the kernel refused beyond the cap ends the reader.
    const queued = this.outbox.backlog;
    if (queued > this.deps.config.maxQueuedBytes) {
      this.note('warn', { queued }, 'slow reader disconnected');
      this.closeReason = 'slow reader';
      this.closing = true;
      this.outbox.discard();
      this.socket.destroy();
      return;
    }
    this.outbox.push(bytes);
  }

  private writeLines(list: readonly string[]): void {
    if (list.length === 0) return;
    this.write(Buffer.from(list.map((l) => l + '\r\n').join('')));
  }

  /** A numeric reply: `:server NNN nick params…`, the last parameter trailing. */
  private numericLine(code: string, ...params: string[]): string {
    return formatIrc(
      { tags: {}, prefix: this.deps.serverName, command: code, params: [this.me, ...params] },
      true,
    );
  }

  private numeric(code: string, ...params: string[]): void {
    this.writeLines([this.numericLine(code, ...params)]);
  }

  private serverNotice(text: string, target = this.me): void {
    const prefix = { tags: {}, prefix: this.deps.serverName, command: 'NOTICE', params: [target] };
    const out: string[] = [];
    for (const line of text.split('\n'))
      for (const piece of splitUtf8(line, 400))
        out.push(formatIrc({ ...prefix, params: [target, piece] }, true));
    this.writeLines(out);
  }

  /** Lines from this user to itself (JOIN, PART, NICK, TOPIC echoes). */
  private selfLine(command: string, params: string[], trailing = false, nick = this.me): string {
    return formatIrc(
      { tags: {}, prefix: userMask(nick, this.deps.serverName), command, params },
      trailing,
    );
  }

  // ---- Peer ----------------------------------------------------------------

  send(event: ServerEvent): void {
    if (this.closing || this.socket.destroyed) return;
    if (!this.welcomed && event.type !== 'welcome') {
      if (this.early && this.early.length < MAX_EARLY_EVENTS) this.early.push(event);
      return;
    }
    try {
      this.encode(event);
    } catch (err) {
      this.note('error', { err }, 'unexpected error encoding an event');
    }
  }

  sendAll(events: readonly ServerEvent[]): void {
    for (const e of events) this.send(e);
  }

  close(reason: string): void {
    if (this.closing) return;
    const text =
      reason === 'quit'
        ? 'Quit'
        : reason === 'kicked'
          ? 'Kicked'
          : reason === 'replaced'
            ? 'Signed in from another connection'
            : reason === 'shutdown'
              ? 'Server shutting down'
              : reason;
    this.writeLines([`ERROR :Closing link: ${this.me}[${this.address}] (${text})`]);
    this.closing = true;
    this.closeReason = reason;
    this.outbox.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_FLUSH_MS).unref();
  }

  destroy(reason: string): void {
    this.closeReason = reason;
    this.socket.destroy();
  }

  // ---- socket events -------------------------------------------------------

  onError(err: NodeJS.ErrnoException): void {
    this.closeReason = err.code ?? err.message;
  }

  onEnd(): void {
    if (!this.closing) this.socket.end();
  }

  onClose(): void {
    clearTimeout(this.handshakeTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.drainTimer);
    this.outbox.discard();
    this.pass = undefined;
    this.sasl = undefined;
    if (this.user) this.deps.chat.disconnect(this.user, this.quitReason());
    this.note('info', { reason: this.closeReason }, 'irc disconnected');
    this.onGone(this);
  }

  private quitReason(): string {
    switch (this.closeReason) {
      case 'closed by client':
        return 'connection closed';
      case 'timeout':
        return 'timed out';
      case 'shutdown':
        return 'server shutting down';
      default:
        return 'connection lost';
    }
  }

  onData(chunk: Buffer): void {
    this.lastInput = Date.now();
    this.pinged = false;
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
      if (!this.user) this.preRegistration(msg);
      else this.admit(msg);
    } catch (err) {
      this.note('error', { err, command: msg.command }, 'unexpected error handling an irc line');
      this.serverNotice('Internal server error; the command was not carried out');
    }
  }

  /** Hold input (and the socket) while something asynchronous decides what comes next. */
  private holdInput(): void {
    this.backlog ??= [];
    this.socket.pause();
  }

  private releaseInput(): void {
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

  // ---- registration --------------------------------------------------------

  private preRegistration(msg: IrcMessage): void {
    if (!PRE_REGISTRATION.has(msg.command)) {
      this.numeric('451', 'You have not registered');
      return;
    }
    this.command(msg);
  }

  private cap(msg: IrcMessage): void {
    const sub = (msg.params[0] ?? '').toUpperCase();
    const star = this.user ? this.me : '*';
    const reply = (...params: string[]): void =>
      this.writeLines([
        formatIrc(
          { tags: {}, prefix: this.deps.serverName, command: 'CAP', params: [star, ...params] },
          true,
        ),
      ]);
    switch (sub) {
      case 'LS': {
        if (!this.user) this.negotiating = true;
        const v302 = Number(msg.params[1] ?? '0') >= 302;
        reply('LS', IRC_CAPS.map((c) => (c === 'sasl' && v302 ? 'sasl=PLAIN' : c)).join(' '));
        return;
      }
      case 'LIST':
        reply('LIST', [...this.caps].join(' '));
        return;
      case 'REQ': {
        if (!this.user) this.negotiating = true;
        const asked = (msg.params[1] ?? '').split(' ').filter((c) => c !== '');
        const ok = asked.every((c) => isIrcCap(c.replace(/^-/u, '')));
        if (!ok || asked.length === 0) {
          reply('NAK', asked.join(' '));
          return;
        }
        for (const c of asked) {
          if (c.startsWith('-')) this.caps.delete(c.slice(1) as IrcCap);
          else this.caps.add(c as IrcCap);
        }
        reply('ACK', asked.join(' '));
        return;
      }
      case 'END':
        this.negotiating = false;
        this.tryRegister();
        return;
      default:
        this.numeric('410', sub || '*', 'Invalid CAP command');
    }
  }

  private authenticate(msg: IrcMessage): void {
    const arg = msg.params[0];
    if (this.user || this.sasl) {
      this.numeric('907', 'You have already authenticated using SASL');
      return;
    }
    if (!this.caps.has('sasl')) {
      this.numeric('904', 'SASL authentication failed: request the sasl capability first');
      return;
    }
    if (arg === undefined) {
      this.numeric('461', 'AUTHENTICATE', 'Not enough parameters');
      return;
    }
    if (arg === '*') {
      this.saslState = undefined;
      this.saslBuffer = '';
      this.numeric('906', 'SASL authentication aborted');
      return;
    }
    if (this.saslState === undefined) {
      if (arg.toUpperCase() !== 'PLAIN') {
        this.numeric('908', 'PLAIN', 'are available SASL mechanisms');
        this.numeric('904', 'SASL authentication failed');
        return;
      }
      this.saslState = 'mechanism';
      this.writeLines(['AUTHENTICATE +']);
      return;
    }
    if (this.saslState !== 'mechanism') return;
    if (arg !== '+') this.saslBuffer += arg;
    if (this.saslBuffer.length > SASL_MAX) {
      this.saslState = undefined;
      this.saslBuffer = '';
      this.numeric('905', 'SASL message too long');
      return;
    }
    if (arg.length === SASL_CHUNK) return;
    const payload = Buffer.from(this.saslBuffer, 'base64').toString('utf8');
    this.saslBuffer = '';
    const [, authcid = '', password = ''] = payload.split('\0');
    this.saslState = 'checking';
    this.holdInput();
    void this.checkSasl(authcid, password).then((account) => {
      this.saslState = undefined;
      if (account) {
        this.sasl = { account, password };
        const mask = userMask(this.nick ?? account, this.deps.serverName);
        this.numeric('900', mask, account, `You are now logged in as ${account}`);
        this.numeric('903', 'SASL authentication successful');
      }
      this.releaseInput();
      this.tryRegister();
    });
  }

  /** The account name for a right password, or undefined after saying why not (904). */
  private async checkSasl(authcid: string, password: string): Promise<string | undefined> {
    const chat = this.deps.chat;
    try {
      const account = await chat.options.store.getAccount(foldKey(authcid.trim()));
      if (!account) throw new ChatError('auth_failed', 'No such account');
      await chat.checkPassword(this.address, account, password);
      this.note('info', { account: true }, 'irc sasl login');
      return account.name;
    } catch (err) {
      if (this.closing) return undefined;
      const e = err instanceof ChatError ? err : undefined;
      if (!e) this.note('error', { err }, 'unexpected error during sasl');
      this.numeric('904', `SASL authentication failed${e ? `: ${e.message}` : ''}`);
      return undefined;
    }
  }

  private tryRegister(): void {
    if (this.user || this.backlog || this.closing) return;
    if (this.nick === undefined || this.userName === undefined) return;
    if (this.negotiating || this.saslState !== undefined) return;
    const name = this.sasl?.account ?? this.nick;
    const password = this.sasl?.password ?? this.pass;
    this.holdInput();
    this.deps.chat.login(this, { name, ...(password !== undefined && { password }) }).then(
      (user) => this.admitted(user),
      (err: unknown) => {
        this.loginRefused(err);
        if (!this.closing) this.releaseInput();
      },
    );
  }

  private loginRefused(err: unknown): void {
    if (this.closing) return;
    const nick = this.nick ?? '*';
    if (err instanceof PasswordNeeded) {
      this.nick = undefined;
      this.numeric('433', nick, `Nickname is registered: log in with SASL (or PASS) to use it`);
      return;
    }
    if (!(err instanceof ChatError)) {
      this.note('error', { err }, 'unexpected error during irc login');
      this.close('Internal server error during login');
      return;
    }
    this.note('info', { code: err.code }, 'irc registration refused');
    switch (err.code) {
      case 'bad_alias':
        this.nick = undefined;
        this.numeric('432', nick, err.message);
        return;
      case 'alias_taken':
        this.nick = undefined;
        this.numeric('433', nick, 'Nickname is already in use');
        return;
      case 'auth_failed':
        this.numeric('464', 'Password incorrect');
        this.close('Bad password');
        return;
      case 'auth_required':
      case 'account_required':
        this.numeric('464', err.message);
        this.close('Account required');
        return;
      case 'banned':
        this.numeric('465', 'You are banned from this server');
        this.close('Banned');
        return;
      default:
        this.close(err.message);
    }
  }

  private admitted(user: User): void {
    this.pass = undefined;
    // The password was needed once, by the login: it is not kept.
    if (this.sasl) this.sasl.password = '';
    if (this.closing || this.socket.destroyed) {
      this.deps.chat.disconnect(user, 'connection closed');
      return;
    }
    this.user = user;
    this.note(
      'info',
      { alias: user.name.display, account: user.account !== undefined },
      'irc registered',
    );
    // Input stays held until the welcome arrives, so replies never come before 001.
  }

  private welcome(names: readonly string[]): void {
    const s = this.deps.serverName;
    const me = this.me;
    this.welcomed = true;
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    // With SASL the account's name is the nick; 001 names it, and clients take their nick from there.
    this.nick = me;
    const isupport = [
      'CHANTYPES=#',
      'PREFIX=(o)@',
      'CHANMODES=b,,,n',
      `NICKLEN=${MAX_NAME_CHARS}`,
      `CHANNELLEN=${CHANNEL_LEN}`,
      `TOPICLEN=${IRC_TOPIC_LEN}`,
      'CASEMAPPING=ascii',
      `NETWORK=${s}`,
    ];
    this.writeLines([
      this.numericLine('001', `Welcome to ${s}, ${userMask(me, s)}`),
      this.numericLine('002', `Your host is ${s}, running chat-server ${this.deps.version}`),
      this.numericLine('003', 'This server speaks IRC and a plain line protocol over one chat'),
      formatIrc({
        tags: {},
        prefix: s,
        command: '004',
        params: [me, s, this.deps.version, 'i', 'bn'],
      }),
      this.numericLine('005', ...isupport, 'are supported by this server'),
    ]);
    this.motd();
    this.startHeartbeat();
    for (const room of names) this.joined(room);
  }

  private motd(): void {
    const motd = this.deps.motd();
    if (motd.length === 0) {
      this.numeric('422', 'MOTD File is missing');
      return;
    }
    this.writeLines([
      this.numericLine('375', `- ${this.deps.serverName} Message of the day -`),
      ...motd.map((l) => this.numericLine('372', `- ${l}`)),
      this.numericLine('376', 'End of /MOTD command'),
    ]);
  }

  private handshakeExpired(): void {
    this.note('info', {}, 'irc registration timed out');
    this.closeReason = 'timeout';
    this.close(`Registration timed out after ${this.deps.config.handshakeTimeout} s`);
  }

  private startHeartbeat(): void {
    const intervalMs = this.deps.config.heartbeat * 1000;
    this.heartbeatTimer = setInterval(() => {
      const silentMs = Date.now() - this.lastInput;
      if (silentMs >= intervalMs * 3) {
        this.close('Ping timeout');
        this.closeReason = 'timeout';
      } else if (silentMs >= intervalMs && !this.pinged) {
        this.pinged = true;
        this.writeLines([`PING :${this.deps.serverName}`]);
      }
    }, intervalMs);
    this.heartbeatTimer.unref();
  }

  // ---- commands ------------------------------------------------------------

  /** Flood control (§6, "fakelag"): past the burst, commands wait their turn; past the queue, refused. */
  private admit(msg: IrcMessage): void {
    // A QUIT waits behind queued commands, so it does not overtake them.
    const quitNow = msg.command === 'QUIT' && this.limiter.nextReleaseInMs() === undefined;
    if (msg.command === 'PING' || msg.command === 'PONG' || quitNow) {
      this.command(msg);
      return;
    }
    const verdict = this.limiter.offer(msg);
    switch (verdict.kind) {
      case 'now':
        this.command(verdict.item);
        break;
      case 'queued':
        this.scheduleDrain();
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

  private scheduleDrain(): void {
    if (this.drainTimer) return;
    const wait = this.limiter.nextReleaseInMs();
    if (wait === undefined) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      if (this.closing || !this.user) return;
      for (const msg of this.limiter.release()) this.command(msg);
      this.scheduleDrain();
    }, wait);
  }

  private request(req: Request, pending: Pending): void {
    if (!this.user) return;
    const id = `irc-${this.idPrefix}-${this.nextId++}`;
    this.pending.set(id, pending);
    // The same contract as every codec's requests (src/protocol/commands.ts): what it
    // refuses comes back as the core's bad_request would, mapped to a numeric below.
    const checked = requestSchema.safeParse({ ...req, id });
    if (!checked.success) {
      const message = checked.error.issues[0]?.message ?? 'Invalid request';
      this.error({ type: 'error', code: 'bad_request', message, id });
      return;
    }
    this.deps.chat.handle(this.user, checked.data);
  }

  private need(msg: IrcMessage, n: number): boolean {
    if (msg.params.length >= n && msg.params.slice(0, n).every((p) => p !== '')) return true;
    this.numeric('461', msg.command, 'Not enough parameters');
    return false;
  }

  private command(msg: IrcMessage): void {
    // The command name only: parameters may hold message text or a password.
    this.note('debug', { command: msg.command }, 'irc command');
    const p = msg.params;
    switch (msg.command) {
      case 'CAP':
        return this.cap(msg);
      case 'AUTHENTICATE':
        return this.authenticate(msg);
      case 'PASS':
        if (this.user) return this.numeric('462', 'You may not reregister');
        // A password with spaces may come unquoted (`PASS a b`): every word is part of it.
        if (this.need(msg, 1)) this.pass = p.join(' ');
        return;
      case 'USER':
        if (this.user) return this.numeric('462', 'You may not reregister');
        if (!this.need(msg, 4)) return;
        this.userName = p[0];
        this.realName = p[3] ?? '';
        return this.tryRegister();
      case 'NICK':
        return this.nickCommand(msg);
      case 'PING':
        if (!this.need(msg, 1)) return;
        return this.writeLines([
          formatIrc(
            {
              tags: {},
              prefix: this.deps.serverName,
              command: 'PONG',
              params: [this.deps.serverName, p[0]!],
            },
            true,
          ),
        ]);
      case 'PONG':
        return;
      case 'QUIT':
        if (!this.user) return this.close('Quit');
        this.deps.chat.handle(this.user, { type: 'quit', ...(p[0] && { reason: p[0] }) });
        return;
      case 'JOIN':
        return this.join(msg);
      case 'PART':
        if (!this.need(msg, 1)) return;
        for (const chan of p[0]!.split(',').filter((c) => c !== ''))
          this.request(
            { type: 'part', room: chan, ...(p[1] && { reason: p[1] }) },
            { command: 'PART', target: chan, ...(p[1] && { reason: p[1] }) },
          );
        return;
      case 'PRIVMSG':
      case 'NOTICE':
        return this.privmsg(msg);
      case 'TAGMSG':
        return;
      case 'TOPIC':
        return this.topic(msg);
      case 'NAMES':
        if (p[0] === undefined) return this.numeric('366', '*', 'End of /NAMES list');
        for (const chan of p[0].split(',')) this.names(chan);
        return;
      case 'LIST':
        return this.list();
      case 'WHO':
        return this.who(p[0] ?? '*');
      case 'WHOIS':
        if (!this.need(msg, 1)) return;
        for (const n of p[p.length - 1]!.split(',')) this.whois(n);
        return;
      case 'MODE':
        return this.mode_(msg);
      case 'KICK':
        return this.kick(msg);
      case 'USERHOST':
        return this.userhost(p);
      case 'ISON':
        return this.ison(p);
      case 'AWAY':
        return this.request({ type: 'away', text: p[0] ?? '' }, { command: 'AWAY', target: '' });
      case 'MOTD':
        return this.motd();
      default:
        this.numeric('421', msg.command, 'Unknown command');
    }
  }

  private nickCommand(msg: IrcMessage): void {
    const wanted = msg.params[0];
    if (wanted === undefined || wanted === '') return this.numeric('431', 'No nickname given');
    let name: string;
    try {
      name = parseAlias(wanted).display;
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      return this.numeric('432', wanted, err.message);
    }
    if (!this.user) {
      this.nick = name;
      this.tryRegister();
      return;
    }
    this.request({ type: 'nick', name }, { command: 'NICK', target: name, oldNick: this.me });
  }

  private join(msg: IrcMessage): void {
    if (!this.need(msg, 1)) return;
    const user = this.user!;
    if (msg.params[0] === '0') {
      // JOIN 0 leaves every channel; the core keeps a user in one room (§3), so the last one stays.
      for (const room of [...user.rooms.values()])
        this.request(
          { type: 'part', room: room.name.display },
          { command: 'PART', target: room.name.display },
        );
      return;
    }
    for (const chan of msg.params[0]!.split(',').filter((c) => c !== '')) {
      let key: string;
      try {
        key = parseRoom(chan).key;
      } catch (err) {
        if (!(err instanceof ChatError)) throw err;
        this.numeric('403', chan, err.message);
        continue;
      }
      if (this.channels.has(key)) continue;
      this.request({ type: 'join', room: chan }, { command: 'JOIN', target: chan });
    }
  }

  private privmsg(msg: IrcMessage): void {
    const quiet = msg.command === 'NOTICE';
    const [targets, raw] = msg.params;
    if (targets === undefined || targets === '') {
      if (!quiet) this.numeric('411', `No recipient given (${msg.command})`);
      return;
    }
    if (raw === undefined || raw === '') {
      if (!quiet) this.numeric('412', 'No text to send');
      return;
    }
    const parsed = ircTextIn(raw);
    if (parsed === undefined || parsed.text.trim() === '') return;
    for (const target of targets.split(',').filter((t) => t !== '')) {
      const pending: Pending = {
        from: this.me,
        command: msg.command,
        target,
        text: parsed.text,
        action: parsed.action,
        quiet,
      };
      if (target.startsWith('#'))
        this.request(
          { type: 'say', room: target, text: parsed.text, action: parsed.action },
          pending,
        );
      else
        this.request({ type: 'dm', to: target, text: parsed.text, action: parsed.action }, pending);
    }
  }

  private findRoom(raw: string): Room | undefined {
    try {
      return this.deps.chat.rooms.get(parseRoom(raw).key);
    } catch {
      return undefined;
    }
  }

  private topic(msg: IrcMessage): void {
    if (!this.need(msg, 1)) return;
    const chan = msg.params[0]!;
    if (msg.params.length >= 2) {
      const text = msg.params[1]!.slice(0, IRC_TOPIC_LEN);
      this.request(
        { type: 'topic', room: chan, text: ircTextIn(text)?.text ?? '' },
        { command: 'TOPIC', target: chan },
      );
      return;
    }
    const room = this.findRoom(chan);
    if (!room) return this.numeric('403', chan, 'No such channel');
    this.topicReplies(room);
  }

  private topicReplies(room: Room): void {
    const chan = room.name.display;
    if (room.topic === '') return this.numeric('331', chan, 'No topic is set');
    const out = [this.numericLine('332', chan, this.fitTopic(chan, room.topic))];
    if (room.topicBy !== '')
      out.push(
        this.numericLine('333', chan, room.topicBy, String(Math.floor(room.topicAt / 1000))),
      );
    this.writeLines(out);
  }

  /** A topic set natively may be longer than one IRC line: it is shortened with a visible `…`. */
  private fitTopic(chan: string, topic: string): string {
    const flat = topic.replace(/\n/gu, ' ');
    const budget = IRC_LINE_BYTES - Buffer.byteLength(this.numericLine('332', chan, '')) - 2;
    const [first = '', ...rest] = splitUtf8(flat, Math.max(16, budget - 3));
    return rest.length > 0 ? first + '…' : first;
  }

  private memberNick(u: User): string {
    return (u.account?.operator ? '@' : '') + u.name.display;
  }

  private names(chan: string, extra?: User): void {
    const room = this.findRoom(chan);
    const display = room?.name.display ?? chan;
    if (room) {
      const nicks = [...room.members].map((u) => this.memberNick(u));
      if (extra && !room.members.has(extra)) nicks.unshift(this.memberNick(extra));
      const head = this.numericLine('353', '=', display, '');
      const budget = IRC_LINE_BYTES - Buffer.byteLength(head) - 2;
      const out: string[] = [];
      let line = '';
      for (const n of nicks) {
        if (line !== '' && Buffer.byteLength(line) + 1 + Buffer.byteLength(n) > budget) {
          out.push(this.numericLine('353', '=', display, line));
          line = '';
        }
        line = line === '' ? n : `${line} ${n}`;
      }
      if (line !== '') out.push(this.numericLine('353', '=', display, line));
      this.writeLines(out);
    }
    this.numeric('366', display, 'End of /NAMES list');
  }

  private list(): void {
    const out = [this.numericLine('321', 'Channel', 'Users  Name')];
    for (const room of this.deps.chat.rooms.values()) {
      out.push(
        this.numericLine(
          '322',
          room.name.display,
          String(room.members.size),
          this.fitTopic(room.name.display, room.topic),
        ),
      );
    }
    out.push(this.numericLine('323', 'End of /LIST'));
    this.writeLines(out);
  }

  private whoLine(chan: string, u: User): string {
    const s = this.deps.serverName;
    const flags = (u.away ? 'G' : 'H') + (u.account?.operator ? '*' : '');
    return this.numericLine(
      '352',
      chan,
      u.name.display,
      s,
      s,
      u.name.display,
      flags,
      `0 ${u.name.display}`,
    );
  }

  private who(mask: string): void {
    const chat = this.deps.chat;
    const out: string[] = [];
    if (mask.startsWith('#')) {
      const room = this.findRoom(mask);
      if (room) for (const u of room.members) out.push(this.whoLine(room.name.display, u));
    } else {
      const u = chat.users.get(foldKey(mask));
      if (u) out.push(this.whoLine('*', u));
    }
    out.push(this.numericLine('315', mask, 'End of /WHO list'));
    this.writeLines(out);
  }

  private whois(nick: string): void {
    const u = this.deps.chat.users.get(foldKey(nick));
    if (!u) {
      this.writeLines([
        this.numericLine('401', nick, 'No such nick/channel'),
        this.numericLine('318', nick, 'End of /WHOIS list'),
      ]);
      return;
    }
    const s = this.deps.serverName;
    const n = u.name.display;
    const kind = u.peer instanceof IrcSession ? 'IRC' : 'native';
    const out = [
      this.numericLine('311', n, n, s, '*', `${n} (${kind} client)`),
      this.numericLine(
        '319',
        n,
        [...u.rooms.values()]
          .map((r) => (u.account?.operator ? '@' : '') + r.name.display)
          .join(' '),
      ),
      this.numericLine('312', n, s, 'chat-server'),
    ];
    if (u.away) out.push(this.numericLine('301', n, u.away));
    if (u.account?.operator) out.push(this.numericLine('313', n, 'is a server operator'));
    if (u.account) out.push(this.numericLine('330', n, u.account.name, 'is logged in as'));
    // The core keeps idle time for every user (the same clock as /whois): last request but pings.
    const idle = Math.max(0, Math.floor((this.deps.chat.nowMs() - u.lastActive) / 1000));
    out.push(
      this.numericLine(
        '317',
        n,
        String(idle),
        String(Math.floor(u.since / 1000)),
        'seconds idle, signon time',
      ),
    );
    out.push(this.numericLine('318', n, 'End of /WHOIS list'));
    this.writeLines(out);
  }

  private mode_(msg: IrcMessage): void {
    if (!this.need(msg, 1)) return;
    const [target, modes] = msg.params as [string, string | undefined];
    if (target.startsWith('#')) {
      const room = this.findRoom(target);
      if (!room) return this.numeric('403', target, 'No such channel');
      const chan = room.name.display;
      if (modes === undefined) return this.numeric('324', chan, '+n');
      if (/^[+-]?b$/u.test(modes) && msg.params.length === 2)
        return this.numeric('368', chan, 'End of channel ban list');
      return this.numeric('482', chan, 'Channel modes cannot be changed on this server');
    }
    if (foldKey(target) !== foldKey(this.me))
      return this.numeric('502', "Can't change mode for other users");
    // User modes are accepted and ignored: there are none to change.
    this.numeric('221', '+');
  }

  private kick(msg: IrcMessage): void {
    if (!this.need(msg, 2)) return;
    const [chan, nick, reason] = msg.params as [string, string, string | undefined];
    const room = this.findRoom(chan);
    if (!room) return this.numeric('403', chan, 'No such channel');
    const me = this.user!;
    if (!room.members.has(me))
      return this.numeric('442', room.name.display, "You're not on that channel");
    const target = this.deps.chat.users.get(foldKey(nick));
    if (!target || !room.members.has(target))
      return this.numeric('441', nick, room.name.display, "They aren't on that channel");
    if (!me.account?.operator)
      return this.numeric('482', room.name.display, "You're not channel operator");
    this.request(
      { type: 'kick', name: target.name.display, ...(reason && { reason }) },
      { command: 'KICK', target: room.name.display },
    );
  }

  private userhost(nicks: readonly string[]): void {
    const s = this.deps.serverName;
    const found = nicks.slice(0, 5).flatMap((n) => {
      const u = this.deps.chat.users.get(foldKey(n));
      if (!u) return [];
      return [
        `${u.name.display}${u.account?.operator ? '*' : ''}=${u.away ? '-' : '+'}${u.name.display}@${s}`,
      ];
    });
    this.numeric('302', found.join(' '));
  }

  private ison(nicks: readonly string[]): void {
    const online = nicks
      .flatMap((p) => p.split(' '))
      .filter((n) => n !== '')
      .flatMap((n) => {
        const u = this.deps.chat.users.get(foldKey(n));
        return u ? [u.name.display] : [];
      });
    this.numeric('303', online.join(' '));
  }

  // ---- events --------------------------------------------------------------

  private encode(event: ServerEvent): void {
    switch (event.type) {
      case 'welcome': {
        this.welcome(event.rooms);
        const early = this.early ?? [];
        this.early = undefined;
        for (const e of early) this.send(e);
        this.releaseInput();
        return;
      }
      case 'history':
        return this.history(event);
      case 'message':
      case 'system': {
        if (event.type === 'system' && this.system(event)) return;
        const bytes = this.deps.encoder.shared(event, this.caps.has('server-time'));
        if (bytes) this.write(bytes);
        return;
      }
      case 'private':
        if (foldKey(event.from) === foldKey(this.me)) return;
        this.write(this.deps.encoder.privateBytes(event, this.view));
        return;
      case 'ack':
        return this.ack(event);
      case 'error':
        return this.error(event);
      default:
        // who, rooms, help, ping, pong: IRC asks for these its own way.
        return;
    }
  }

  /** System events that depend on the recipient; true when handled here. */
  private system(e: SystemEvent): boolean {
    switch (e.event) {
      case 'kick': {
        // The others get one QUIT (the shared encoding); the kicked user leaves each channel.
        if (foldKey(e.user ?? '') !== this.user?.name.key) return false;
        const by = userMask(e.by ?? this.deps.serverName, this.deps.serverName);
        const rooms = [...(this.user?.rooms.values() ?? [])];
        const out = rooms.map((room) =>
          formatIrc(
            {
              tags: {},
              prefix: by,
              command: 'KICK',
              params: [room.name.display, this.me, e.reason ?? 'Kicked'],
            },
            true,
          ),
        );
        this.channels.clear();
        this.writeLines(out);
        return true;
      }
      case 'presence': {
        // Big rooms (§6): the aggregate names the recipient too, whose JOIN was already sent.
        const me = this.user?.name.key;
        if (!e.room || ![...(e.joined ?? []), ...(e.left ?? [])].some((n) => foldKey(n) === me))
          return false;
        const others = (list: string[] | undefined): string[] =>
          (list ?? []).filter((n) => foldKey(n) !== me);
        const bytes = this.deps.encoder.shared(
          { ...e, joined: others(e.joined), left: others(e.left) },
          this.caps.has('server-time'),
        );
        if (bytes) this.write(bytes);
        return true;
      }
      case 'part':
      case 'join':
        return false;
      case 'reset':
      case 'shutdown':
        // No IRC line for these: a server NOTICE in the phrasebook's words.
        this.serverNotice(plain(systemPhrase(e)));
        return true;
      case 'away':
        return true;
      default:
        return false;
    }
  }

  private history(e: Extract<ServerEvent, { type: 'history' }>): void {
    if (e.messages.length === 0) return;
    const enc = this.deps.encoder;
    const view = this.view;
    const chunks: Buffer[] = [];
    const bracket = !view.serverTime && e.room !== '@';
    if (bracket)
      this.serverNotice(`*** Recent history of ${e.room} (${e.messages.length} messages):`, e.room);
    for (const m of e.messages) {
      if (m.type === 'message') chunks.push(enc.stamp(enc.roomMessageLines(m), m.ts, view));
      else chunks.push(enc.privateBytes(m, view));
    }
    this.write(Buffer.concat(chunks));
    if (bracket) this.serverNotice(`*** End of history of ${e.room}`, e.room);
  }

  /** This client is now in `room`: JOIN echo, topic, names. */
  private joined(room: string): void {
    const r = this.findRoom(room);
    const key = r?.name.key ?? room;
    if (this.channels.has(key)) return;
    this.channels.add(key);
    const chan = r?.name.display ?? room;
    this.writeLines([this.selfLine('JOIN', [chan])]);
    if (r && r.topic !== '') this.topicReplies(r);
    // After a join's ack the core adds the member: the list names the joiner either way.
    this.names(chan, this.user);
  }

  private ack(e: AckEvent): void {
    const p = e.id === undefined ? undefined : this.pending.get(e.id);
    if (e.id !== undefined) this.pending.delete(e.id);
    if (!p) {
      // An ack without a request of ours: a dm's away notice sent without an id.
      if (e.op === 'dm' && e.text && e.name) this.numeric('301', e.name, e.text);
      return;
    }
    switch (e.op) {
      case 'say':
      case 'dm': {
        if (e.op === 'dm' && e.text && !p.quiet) this.numeric('301', e.name ?? p.target, e.text);
        if (this.caps.has('echo-message') && p.text !== undefined) {
          const target = e.op === 'say' ? (e.room ?? p.target) : (e.name ?? p.target);
          const list = this.deps.encoder.textLines(
            p.from ?? this.me,
            target,
            p.text,
            p.action ?? false,
            p.command,
          );
          this.write(this.deps.encoder.stamp(list, e.ts, this.view));
        }
        return;
      }
      case 'join':
        if (e.room) this.joined(e.room);
        return;
      case 'part': {
        const room = e.room ?? p.target;
        this.channels.delete(this.findRoom(room)?.name.key ?? foldKey(room));
        this.writeLines([
          this.selfLine('PART', p.reason ? [room, p.reason] : [room], p.reason !== undefined),
        ]);
        return;
      }
      case 'nick':
        this.writeLines([this.selfLine('NICK', [e.name ?? p.target], false, p.oldNick)]);
        this.nick = e.name ?? p.target;
        return;
      case 'topic':
        if (e.room) this.writeLines([this.selfLine('TOPIC', [e.room, e.text ?? ''], true)]);
        return;
      case 'away':
        if (e.text) this.numeric('306', 'You have been marked as being away');
        else this.numeric('305', 'You are no longer marked as being away');
        return;
      default:
        return;
    }
  }

  private error(e: ErrorEvent): void {
    const p = e.id === undefined ? undefined : this.pending.get(e.id);
    if (e.id !== undefined) this.pending.delete(e.id);
    if (!p) {
      this.serverNotice(e.message);
      return;
    }
    if (p.quiet) return;
    const t = p.target;
    switch (`${p.command}:${e.code}`) {
      case 'PRIVMSG:not_found':
      case 'KICK:not_found':
        return this.numeric('401', t, 'No such nick/channel');
      case 'PRIVMSG:not_member':
        return this.numeric('404', t, 'Cannot send to channel (join it first)');
      case 'PRIVMSG:bad_request':
        return t.startsWith('#') ? this.numeric('403', t, e.message) : this.serverNotice(e.message);
      case 'PART:not_member':
      case 'TOPIC:not_member':
        return this.numeric(
          this.findRoom(t) ? '442' : '403',
          t,
          this.findRoom(t) ? "You're not on that channel" : 'No such channel',
        );
      case 'PART:bad_request':
        return this.serverNotice(
          this.findRoom(t) ? `${t} is your last channel: join another first, or QUIT` : e.message,
        );
      case 'JOIN:bad_request':
        return this.numeric('403', t, e.message);
      case 'NICK:bad_alias':
        return this.numeric('432', t, e.message);
      case 'NICK:alias_taken':
        return this.numeric('433', t, 'Nickname is already in use');
      case 'NICK:auth_required':
        return this.numeric('433', t, 'Nickname is registered: log in with SASL to use it');
      case 'KICK:forbidden':
        return this.numeric('482', t, "You're not channel operator");
      default:
        this.serverNotice(e.message);
    }
  }
}
