/**
 * Wire types shared by server and client (docs/protocol.md §4). The server's core
 * produces these objects; codecs alone turn them into bytes.
 */
import type { RequestType } from './commands.js';
import type { ErrorCode, ErrorDetail } from './errors.js';
import type { FileEvent } from './file-messages.js';

export const PROTOCOL_VERSION = 1;

/** A welcome names at most this many members: in a room of thousands a full list would cost N² bytes to fill. */
export const WELCOME_MEMBERS = 20;

/** A stored message as it travels to clients (room or private). */
export interface MessageEvent {
  type: 'message';
  room: string;
  seq: number;
  ts: string;
  from: string;
  text: string;
  action: boolean;
  /**
   * Present (true) only in the copy sent to a member whose alias the text
   * names as a whole word (§4): clients need no pattern of their own.
   */
  mention?: true;
}

export interface PrivateEvent {
  type: 'private';
  from: string;
  to: string;
  ts: string;
  text: string;
  action: boolean;
  seq?: number;
}

export type SystemEventName =
  | 'join'
  | 'part'
  | 'quit'
  | 'nick'
  | 'topic'
  | 'kick'
  | 'away'
  | 'presence'
  | 'reset'
  | 'shutdown'
  | 'motd'
  | 'mute'
  | 'unmute'
  | 'file';

export interface SystemEvent {
  type: 'system';
  event: SystemEventName;
  ts: string;
  room?: string;
  user?: string;
  /** nick: the new name. */
  name?: string;
  /** kick: the operator who did it. */
  by?: string;
  /** quit/kick: the reason given; shutdown: a human notice. */
  reason?: string;
  /** topic: the new topic; away: the away text ('' when back); motd: the message of the day (may hold line breaks). */
  text?: string;
  /** presence (big rooms, §6): aggregated joins and leaves. */
  joined?: string[];
  left?: string[];
}

export interface WelcomeEvent {
  type: 'welcome';
  /** The hello's `id`, when it had one. */
  id?: string;
  name: string;
  rooms: string[];
  /**
   * Some members of the current room (at most WELCOME_MEMBERS, the user
   * included), so a greeting can name who is there; `memberCount` is all of them.
   */
  members: string[];
  memberCount: number;
  heartbeat: number;
  limits: Limits;
  server: { name: string; version: string };
  epochs: Record<string, string>;
  /**
   * The newest seq of each stream in `epochs` when the welcome was sent (0:
   * empty). Everything newer comes live, so a bot that resumes from these
   * misses nothing and guesses nothing (§4 welcome).
   */
  seqs: Record<string, number>;
  /**
   * Guests only: the session token. Sent back in `hello.session` on
   * reconnect, it keeps the guest's private stream and ignores
   * (docs/protocol.md §2 "Guest sessions"). A secret: never show or log it.
   */
  session?: string;
}

export interface Limits {
  maxLineBytes: number;
  maxMessageLines: number;
  rateBurst: number;
  ratePerSecond: number;
  /**
   * Requests held (delayed, not refused) once the burst is spent; beyond it
   * `rate_limited`. A client with at most `rateQueue` unanswered requests is
   * never refused (§6).
   */
  rateQueue: number;
  /** Largest file a `file-offer` may announce (§5). */
  maxFileBytes?: number;
  /** Longest topic in UTF-8 bytes (`too_large` above it). */
  maxTopicBytes: number;
  /** Rooms one connection may be in (`too_large` for a join beyond it). */
  maxRoomsPerUser: number;
}

/**
 * Marks a `history` event that answers a `history` request, not a replay
 * after a join or login: text mode says so when it holds nothing, where an
 * empty replay says nothing. A symbol, so it never reaches the JSON wire.
 */
export const ASKED_FOR = Symbol('answers a history request');

export interface HistoryEvent {
  type: 'history';
  id?: string;
  /** A room, or `@` for the user's private stream (resume). */
  room: string;
  epoch: string;
  messages: Array<MessageEvent | PrivateEvent>;
  more: boolean;
  gap: boolean;
  [ASKED_FOR]?: true;
}

/** Acknowledges a request; `op` says which, so text mode can confirm it in words. */
export interface AckEvent {
  type: 'ack';
  id?: string;
  ts: string;
  op: RequestType;
  seq?: number;
  room?: string;
  name?: string;
  text?: string;
  /** `bans` (operators): the bans in force. */
  bans?: BanInfo[];
  /** `join`, and `topic` when only asked: the room's topic with who set it and when, when it has one. */
  topic?: TopicInfo;
  /**
   * `dm`: the recipient, an account, is offline; it gets the message at its
   * next login. `mute`: nobody by that name is online; it applies at sign-in.
   */
  offline?: true;
  /** `topic`: only operators may change this room's topic (§3 /topic -lock). */
  locked?: boolean;
  /** `ban`: what the ban names (a guest's alias bans only that alias). */
  kind?: BanInfo['kind'];
}

/** One ban as `/bans` lists it; `name` is what `/unban` takes. */
export interface BanInfo {
  kind: 'account' | 'alias' | 'address';
  name: string;
  by: string;
  at: string;
  reason?: string;
  expires?: string;
}

/** A room's topic with who set it and when. */
export interface TopicInfo {
  text: string;
  by: string;
  at: string;
}

export interface ErrorEvent {
  type: 'error';
  id?: string;
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
  /** A finer cause under `code`, for clients that act on it (ErrorDetail). */
  detail?: ErrorDetail;
}

/** An error event; `id`, `retryAfterMs` and `detail` only when given (§7). */
export function errorEvent(
  code: ErrorCode,
  message: string,
  id?: string,
  retryAfterMs?: number,
  detail?: ErrorDetail,
): ErrorEvent {
  return {
    type: 'error',
    ...(id !== undefined && { id }),
    code,
    message,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(detail !== undefined && { detail }),
  };
}

/** One user in a /who reply (§3). */
export interface WhoEntry {
  name: string;
  away?: string;
  /** Signed in to an operator account: staff, so people can tell. */
  operator?: true;
  /** Said `bot: true` in its hello. */
  bot?: true;
}

export interface WhoEvent {
  type: 'who';
  id?: string;
  /** A room name, or '*' for everyone online. */
  room: string;
  /** `operator`/`bot` appear only when true. */
  users: WhoEntry[];
  /** `*` only (paged, §6): how many are online in all. */
  total?: number;
  /** `*` only: more follow; send this as `cursor` for the next page. */
  next?: string;
}

export interface RoomsEvent {
  type: 'rooms';
  id?: string;
  rooms: Array<{ name: string; members: number; topic: string }>;
  /** How many rooms there are in all (the reply is one page of them, §6). */
  total?: number;
  /** More follow: send this as `cursor` for the next page. */
  next?: string;
}

export interface HelpEvent {
  type: 'help';
  id?: string;
  commands: Array<{ name: string; usage: string; summary: string }>;
}

/** A user as /whois shows them (§3); `address` only for operators. */
export interface WhoisEvent {
  type: 'whois';
  id?: string;
  name: string;
  /** Signed in to a registered account (false: a guest). */
  account: boolean;
  /** The account's name, when the user took another alias with /nick (it keeps the account). */
  accountName?: string;
  operator: boolean;
  /** Said `bot: true` in its hello. */
  bot: boolean;
  /** Rooms the asker shares with this user. */
  rooms: string[];
  /** When this connection signed in (ISO). */
  since: string;
  /** Seconds since the user last sent anything but a heartbeat. */
  idle: number;
  away?: string;
  /** The user's IP address: operators only. */
  address?: string;
}

export interface PingEvent {
  type: 'ping';
  id?: string;
}
export interface PongEvent {
  type: 'pong';
  id?: string;
}

/** File transfer events (§5); defined with the transfer requests in file-messages.ts. */
export type { FileEvent, FileRequest } from './file-messages.js';

/** Everything the server sends to a client. */
export type ServerEvent =
  | FileEvent
  | MessageEvent
  | PrivateEvent
  | SystemEvent
  | WelcomeEvent
  | HistoryEvent
  | AckEvent
  | ErrorEvent
  | WhoEvent
  | WhoisEvent
  | RoomsEvent
  | HelpEvent
  | PingEvent
  | PongEvent;

/** Resume point for one stream: a bare seq means "same epoch" (§4). */
export type ResumePoint = number | { seq: number; epoch?: string };

export interface Hello {
  type: 'hello';
  /** As on any request (§4): the `welcome`, or the error refusing the hello, carries it. */
  id?: string;
  version: number;
  name: string;
  password?: string;
  /**
   * Sign in to this account under `name`, an alias it took with `/nick`
   * (a registered user's `/nick` keeps the account): how a client that
   * reconnects comes back as who it was (§2). Needs `password`.
   */
  account?: string;
  resume?: Record<string, ResumePoint>;
  /** How many history messages to replay per room on join; 0 for bots. */
  history?: number;
  /** A program, not a person: shown in /who and /whois (§4). */
  bot?: boolean;
  /** A guest's session token from an earlier welcome (or one the client made: 22–128 of A-Z a-z 0-9 _ -). */
  session?: string;
  /**
   * The client program's own random id, the same in every hello it sends
   * (8–64 of A-Z a-z 0-9 _ -): a reconnect of a session another login took
   * over is refused (`alias_taken`, detail `displaced`) rather than taking
   * it back (§2).
   */
  instance?: string;
}

export type { Request, RequestType } from './commands.js';
