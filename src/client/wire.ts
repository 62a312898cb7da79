/**
 * chat-client's view of the JSON wire (docs/protocol.md §4): reading a server
 * line, what each request is answered with, and the errors a Connection gives.
 */
import type { ErrorCode, ErrorDetail } from '../protocol/errors.js';
import type { Endpoint, TlsOptions } from './dial.js';
import type {
  AckEvent,
  WelcomeEvent,
  HelpEvent,
  HistoryEvent,
  PongEvent,
  Request,
  RequestType,
  RoomsEvent,
  ServerEvent,
  WhoEvent,
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
    /** A refusal that said when to come back (a login waiting for a stopped server's lease, §9). */
    readonly retryAfterMs?: number,
    /** The refusal's finer cause (`account_required`: no password helps). */
    readonly detail?: ErrorDetail,
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

/** Settings of a Connection; only host, port and name are required. */
export interface ConnectionOptions {
  host: string;
  port: number;
  /** Further servers of the same chat, tried in turn when one cannot be reached (§8). */
  failover?: Endpoint[];
  name: string;
  /** Sent in every hello, the first included: a registered alias logs in at once (§2). */
  password?: string;
  /**
   * Asked for the password when the server answers the hello with
   * `auth_required` (none was sent) or `auth_failed` (`wrong`); the hello is
   * then sent again on a new connection. Resolving undefined gives up.
   */
  askPassword?: (alias: string, wrong: boolean) => Promise<string | undefined>;
  /**
   * Asked for another alias when the first connection's hello is refused for
   * its alias (`alias_taken`, `bad_alias`; not a `displaced` session); the
   * hello is then sent again with it. Resolving undefined gives up.
   */
  askAlias?: (refusal: ConnectError) => Promise<string | undefined>;
  /** Speak TLS (§1). */
  tls?: TlsOptions;
  /** History messages to replay per room on join (hello.history); server default when absent. */
  history?: number;
  /** Say `bot: true` in the hello: a program, shown `(bot)` in /who and /whois (§4 `hello`). */
  bot?: boolean;
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
  /** The connection was lost and will be re-opened after `delayMs`, to `server`. */
  reconnecting: [{ attempt: number; delayMs: number; reason: string; server: string }];
  /**
   * The server could not store a say or dm right now (§4 `internal`, detail
   * `unavailable`: nothing was stored); it stays unanswered and is sent
   * again, with its id, after `delayMs` (or with the others on a reconnect).
   */
  held: [{ request: Request; message: string; delayMs: number }];
  /**
   * A request's reply, at its place among the server's events (its promise
   * settles a few steps later, after events read with it): what shows a
   * user's own line in the order the server stored it. `replayed`: the
   * acked say was already shown in a replay (stored before a drop that lost
   * its ack, then sent again and acked as the same message).
   */
  answered: [Request & { id: string }, ServerEvent, { replayed: boolean }];
  /** A lost connection is back; queued requests are being sent. */
  reconnected: [WelcomeEvent];
  /**
   * The connection ended for good without quit() being called; `displaced`
   * when another login of this account took the session over (§2).
   */
  closed: [{ reason: string; code?: ErrorCode | 'displaced' }];
}

/**
 * Whether a refusal asks for a password (`auth_required`), not for an
 * account the server does not have (its detail `account_required`).
 */
export function asksPassword(refusal: { code?: string; detail?: string }): boolean {
  return refusal.code === 'auth_required' && refusal.detail !== 'account_required';
}

/** Refusals that a later attempt may get past (a ghost of ourselves still online, a busy server). */
export const RETRYABLE: ReadonlySet<string> = new Set([
  'alias_taken',
  'server_full',
  'shutting_down',
  'rate_limited',
  'timeout',
  'internal',
  // What servers before the `detail` field sent for an unreachable store (now `internal`).
  'unavailable',
]);

/** Longest server line accepted, so a broken server cannot make us buffer without bound. */
export const MAX_SERVER_LINE = 64 * 1024 * 1024;

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

export function replyId(event: ServerEvent): string | undefined {
  return 'id' in event && typeof event.id === 'string' ? event.id : undefined;
}

/** Whether `request` as a JSON line (with its newline) is within the server's `max` bytes. */
export function fits(request: Request, max: number): boolean {
  return Buffer.byteLength(JSON.stringify(request)) + 1 <= max;
}
