/**
 * The codec seam (docs/architecture.md "Codecs"). A session is bytes in and
 * bytes out; everything that differs between text, JSON and (later) IRC
 * clients lives behind this interface, chosen once per connection at the
 * handshake. The session never asks which mode it speaks.
 *
 * Frames arrive without their line ending; a codec does its own telnet
 * stripping, UTF-8 decoding and sanitizing, so the core only sees clean,
 * validated Requests. Codecs are shared by every connection of their kind
 * (no per-connection state: an idle connection's size limits how many a
 * server holds); what a handshake must remember between lines is returned
 * as a continuation instead.
 */
import type { Bytes } from './batch-bytes.js';
import type { ChatError } from './errors.js';
import type { Hello, Request, ServerEvent } from './messages.js';

/** What the core needs to admit a connection (§2). */
export type LoginHello = Pick<
  Hello,
  'name' | 'password' | 'history' | 'resume' | 'bot' | 'session' | 'id'
>;

/** One pre-login frame's meaning. */
export type HelloStep =
  /** Enough to try a login. */
  | { kind: 'login'; hello: LoginHello }
  /** Nothing to do yet (a blank line; IRC's CAP before NICK/USER). */
  | { kind: 'wait' }
  /** The client leaves before logging in (text mode's `/quit`): say `text` and close. */
  | { kind: 'leave'; text: Buffer }
  /** A malformed handshake: counted as a failed attempt; `id` is the hello's, when readable. */
  | { kind: 'error'; error: ChatError; id?: string };

/** One post-login frame's meaning. */
export type Decoded =
  | { kind: 'request'; request: Request }
  | { kind: 'none' }
  /** Refused before the core saw it; `id` is the request's, when one could be read. */
  | { kind: 'error'; error: ChatError; id?: string };

/**
 * Reads the frame after a prompt or a refusal. `typed`: it was read after
 * the server spoke, so it may answer it; otherwise it came while the login
 * was being checked, sent before the client could have read the answer (a
 * script's next line, piped or pasted behind the refused one).
 */
export type NextHello = (frame: Buffer, typed: boolean) => HelloStep;

/** How a codec carries on after a refused login attempt. */
export interface LoginRetry {
  /** Words appended to the error message (text: "Try another alias"). */
  hint: string;
  /**
   * Bytes to send instead of the error; such a refusal is a question, not a
   * failure (text mode asks for a registered alias's password, §2).
   */
  prompt?: Buffer;
  /** How to read the next frame, when it continues this login (text: the password). */
  next?: NextHello;
}

/** Where the recipient is: a text reader sees messages of their current room untagged. */
export interface View {
  readonly here: string;
}

export interface Codec {
  /** A short name for logs and metrics: `text`, `json`, `irc`. */
  readonly mode: string;
  /**
   * Whether the server pings this client after silence (§4 heartbeat);
   * false means TCP keep-alive only (text clients cannot answer a ping).
   */
  readonly heartbeat: boolean;
  /** Read a frame before login. */
  hello(frame: Buffer): HelloStep;
  /** A login attempt was refused with `err`: how to go on (the session counts failures). */
  retry(err: ChatError, hello: LoginHello | undefined): LoginRetry;
  /** Read a frame after login: a Request, nothing, or a refusal. */
  decode(frame: Buffer): Decoded;
  /**
   * The request id in the first or last bytes of a line too long to read,
   * when this codec's requests carry ids and one is there: its refusal
   * carries it.
   */
  discardedId(head: Buffer, tail: Buffer): string | undefined;
  /**
   * Bytes for one event as `view` sees it; empty when this codec says nothing
   * (text mode's pings, JSON's acks without an id). Implementations cache per
   * event object, so a broadcast is encoded once for all recipients.
   */
  encode(event: ServerEvent, view: View): Buffer;
  /**
   * Bytes for several events in order, made once per array (a room's burst);
   * without the events at `skip` (ascending indexes: a sender's own lines),
   * cut from that same encoding, with `instead[j]` (bytes this codec made,
   * such as the sender's ack) in place of event `skip[j]` when given: then
   * as pieces of that encoding, not a copy (batch-bytes.ts).
   */
  encodeAll(
    events: readonly ServerEvent[],
    view: View,
    skip?: readonly number[],
    instead?: readonly (Buffer | undefined)[],
  ): Bytes;
}

/** Picks the codec for a connection from its first non-blank frame. */
export type CodecChooser = (firstFrame: Buffer) => Codec;
