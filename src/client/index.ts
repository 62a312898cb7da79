/**
 * `chat/client`: a small library for bots and other programs that speak the
 * JSON mode (docs/protocol.md §4), built on the connection layer chat-client
 * itself uses. It does what every client must get right:
 *
 * - the handshake (`hello`, with `history: 0` by default: a bot does not
 *   answer what was said before it came, and `bot: true` by default, so
 *   people see `(bot)` in /who) and the password (§2);
 * - a request id per request and a promise settled by its one reply (§4);
 * - pacing: at most 8 requests unanswered, `rate_limited` retried after
 *   `retryAfterMs` (§6), requests sent in the order they were made;
 * - reconnect with backoff and jitter (§8), re-sending unanswered requests
 *   with their original ids, so nobody sees a message twice, and resuming
 *   every stream from the last seq seen, so nothing is missed (§4 Delivery
 *   guarantees); replayed messages come as ordinary `message`/`private`
 *   events, each exactly once;
 * - the heartbeat (§4 Heartbeat).
 *
 * ```js
 * import { connect } from 'chat/client';
 * const chat = await connect({ host: '127.0.0.1', port: 50000, name: 'pingbot' });
 * chat.on('message', (m) => {
 *   if (m.text === '!ping') void chat.say('pong', { room: m.room });
 * });
 * ```
 */
import { EventEmitter } from 'node:events';
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/constants.js';
import type {
  AckEvent,
  MessageEvent,
  PrivateEvent,
  Request,
  ServerEvent,
  SystemEvent,
  WelcomeEvent,
} from '../protocol/messages.js';
import {
  Connection,
  ConnectError,
  RequestError,
  type ConnectionOptions,
  type ReplyFor,
} from './connection.js';
import { Sender } from './sender.js';

export { ConnectError, RequestError };
export type { ConnectFailure, ReplyFor, Endpoint, TlsOptions } from './connection.js';
export type { ErrorCode } from '../protocol/errors.js';
export type {
  AckEvent,
  ErrorEvent,
  HelpEvent,
  HistoryEvent,
  Limits,
  MessageEvent,
  PrivateEvent,
  Request,
  RequestType,
  RoomsEvent,
  ServerEvent,
  SystemEvent,
  SystemEventName,
  WelcomeEvent,
  WhoEvent,
  WhoisEvent,
} from '../protocol/messages.js';

/** Settings of `connect`; only `name` is required. */
export interface ClientOptions extends Partial<
  Omit<ConnectionOptions, 'name' | 'askPassword' | 'history' | 'bot'>
> {
  /** The alias (docs/protocol.md §2). */
  name: string;
  /**
   * History messages replayed per room on the first join (hello.history,
   * 0–500). Default 0: a bot answers only what is said while it is there.
   * Resumes after a reconnect replay everything missed whatever this is.
   */
  history?: number;
  /**
   * Say `bot: true` in the hello (docs/protocol.md §4 `hello`): people see
   * `(bot)` in /who and /whois. Default true: this library is for programs;
   * pass false for a program that acts for a person.
   */
  bot?: boolean;
  /** Most requests unanswered at once (default 8, below the server's burst of 10). */
  window?: number;
}

/** Events of a ChatClient. */
export interface ClientEvents {
  /** A room message from someone else, live or replayed after a reconnect; each once. */
  message: [MessageEvent];
  /** A private message to us, live or replayed; each once. */
  private: [PrivateEvent];
  /** join, part, quit, nick, topic, kick, away, presence, reset, shutdown (§4). */
  system: [SystemEvent];
  /** Every event that is not the reply to one of our requests, as received (histories included). */
  event: [ServerEvent];
  /** The connection was lost; it is re-opened after `delayMs`. */
  reconnecting: [{ attempt: number; delayMs: number; reason: string; server: string }];
  /** The connection is back; missed messages follow as `message`/`private` events. */
  reconnected: [WelcomeEvent];
  /** The connection ended for good (a kick, another login of the account, reconnect off). */
  closed: [{ reason: string; code?: string }];
}

/** Options of `say` and `dm`. */
export interface SayOptions {
  /** The room (say only); default: the current room, the last one joined. */
  room?: string;
  /** An action (`/me`). */
  action?: boolean;
}

/** A connected chat session; see the module comment. Make one with `connect`. */
export class ChatClient extends EventEmitter<ClientEvents> {
  private readonly sender: Sender;
  /** Submissions go through the sender one at a time, which keeps requests in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Events that arrive before `connect` has returned the client (in the same
   * read as the welcome, say) wait here, so listeners attached right after
   * `await connect()` still get them.
   */
  private held: ServerEvent[] | undefined = [];

  /** @internal use `connect`. */
  constructor(
    private readonly conn: Connection,
    window?: number,
  ) {
    super();
    this.sender = new Sender(conn, window);
    conn.on('event', (event) => {
      if (this.held) this.held.push(event);
      else this.dispatch(event);
    });
    conn.on('reconnecting', (info) => this.emit('reconnecting', info));
    conn.on('reconnected', (welcome) => this.emit('reconnected', welcome));
    conn.on('closed', (info) => this.emit('closed', info));
  }

  /** The alias in use (it follows `nick`). */
  get name(): string {
    return this.conn.alias;
  }

  /** The rooms we are in. */
  get rooms(): string[] {
    return this.conn.rooms;
  }

  /** The welcome of the current session: limits, heartbeat, server version. */
  get welcome(): WelcomeEvent | undefined {
    return this.conn.welcome;
  }

  /** Whether the connection is up now (requests made meanwhile wait for it). */
  get online(): boolean {
    return this.conn.online;
  }

  /** Say `text` (several lines allowed) in a room; resolves with the ack (its `seq`) once stored. */
  say(text: string, options: SayOptions = {}): Promise<AckEvent> {
    return this.request({
      type: 'say',
      text,
      ...(options.room !== undefined && { room: options.room }),
      ...(options.action !== undefined && { action: options.action }),
    });
  }

  /** Send a private message; the ack's `text` is the recipient's away message, if any. */
  dm(to: string, text: string, options: Omit<SayOptions, 'room'> = {}): Promise<AckEvent> {
    return this.request({
      type: 'dm',
      to,
      text,
      ...(options.action !== undefined && { action: options.action }),
    });
  }

  /** Join a room (creating it) and make it current; it is rejoined after every reconnect. */
  join(room: string): Promise<AckEvent> {
    return this.request({ type: 'join', room });
  }

  /** Leave a room (default: the current one). */
  part(room?: string): Promise<AckEvent> {
    return this.request(room === undefined ? { type: 'part' } : { type: 'part', room });
  }

  /**
   * Send any request of docs/protocol.md §4 and resolve with its reply (an
   * ack, or the query's answer); rejects with RequestError carrying the
   * server's code. Paced and re-sent across reconnects like the others.
   */
  async request<T extends Request>(request: T): Promise<ReplyFor<T['type']>> {
    const submitted = this.queue.then(() => this.sender.submit(request));
    // The queue only orders submissions; a failed one must not stall the rest.
    this.queue = submitted.catch(() => undefined);
    const outcome = await (await submitted).outcome;
    if (!outcome.ok) throw outcome.error;
    return outcome.reply as ReplyFor<T['type']>;
  }

  /** Leave politely (others see `reason`); pending requests are rejected. */
  quit(reason?: string): Promise<void> {
    return this.conn.quit(reason);
  }

  /** Close at once. */
  close(): void {
    this.conn.destroy();
  }

  /** @internal Deliver the events held since the welcome, then deliver as they come. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) this.dispatch(event);
  }

  private dispatch(event: ServerEvent): void {
    this.emit('event', event);
    switch (event.type) {
      case 'message':
        this.emit('message', event);
        break;
      case 'private':
        this.emit('private', event);
        break;
      case 'system':
        this.emit('system', event);
        break;
      case 'history':
        // Replays (a resume, a join with history): the same events as live ones.
        for (const m of event.messages) {
          if (m.type === 'private') this.emit('private', m);
          else this.emit('message', m);
        }
        break;
      default:
        break;
    }
  }
}

/**
 * Connect to a chat server and complete the handshake. Resolves once
 * welcomed; rejects with ConnectError (`kind` unreachable, refused with the
 * server's `code`, or lost). Reconnecting is on unless `reconnect: false`.
 */
export async function connect(options: ClientOptions): Promise<ChatClient> {
  const { window, ...rest } = options;
  const conn = new Connection({
    ...rest,
    host: options.host ?? DEFAULT_HOST,
    port: options.port ?? DEFAULT_PORT,
    history: options.history ?? 0,
    bot: options.bot ?? true,
    reconnect: options.reconnect ?? true,
  });
  // Listeners first: the events that follow the welcome must not be lost.
  const client = new ChatClient(conn, window);
  await conn.connect();
  // After the caller's continuation has run (and attached its listeners).
  setImmediate(() => client.release());
  return client;
}
