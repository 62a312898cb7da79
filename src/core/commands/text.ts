import { ChatError } from '../../protocol/errors.js';
import type { ChatContext } from './context.js';
import type { User } from '../model.js';

/** Whitespace as String.prototype.trim sees it, tested by code (this runs on every message). */
function isSpace(c: number): boolean {
  return c <= 32 || c === 0xa0 || (c > 0x1000 && /\s/u.test(String.fromCharCode(c)));
}

/**
 * A message without the blank lines it starts or ends with (a bot's
 * `text + "\n"`, a paste with an empty first line): text readers would see
 * an empty `*Bob*` line. The first line's indent and the last's trailing
 * spaces stay. A loop, not a regex: linear on any input, and it returns
 * the same string when there is nothing to cut.
 */
function trimBlankLines(text: string): string {
  let end = text.length;
  for (let i = end - 1; i >= 0 && isSpace(text.charCodeAt(i)); i--) {
    if (text.charCodeAt(i) === 10) end = i;
  }
  let start = 0;
  for (let i = 0; i < end && isSpace(text.charCodeAt(i)); i++) {
    if (text.charCodeAt(i) === 10) start = i + 1;
  }
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Check a message body against the limits (§6): not blank, at most
 * maxMessageLines lines. Returns it without blank lines at its start or end
 * (trimBlankLines), which count toward no limit.
 */
export function checkMessageText(ctx: ChatContext, text: string): string {
  if (text.trim() === '') throw new ChatError('bad_request', 'A message needs some text');
  text = trimBlankLines(text);
  // Counted, not split: this runs on every message (docs/performance.md).
  let lines = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  const max = ctx.limits.maxMessageLines;
  if (lines > max) {
    throw new ChatError(
      'too_large',
      `A message may have at most ${max} lines (this one has ${lines})`,
    );
  }
  return text;
}

/**
 * The Store key under which a request's effect is remembered (§4
 * Idempotency): per sender (the account, else the alias, so a guest that
 * reconnects without its session token still gets its original acks), per
 * target (a room key, or `@` plus the folded recipient) and per request id.
 */
export function idempotencyKey(
  user: User,
  target: string,
  id: string | undefined,
): string | undefined {
  if (id === undefined) return undefined;
  const sender = user.account ? 'a:' + user.account.key : 'n:' + user.name.key;
  return `${sender}\u0000${target}\u0000${id}`;
}

/**
 * The key for a new message under an id that an earlier connection of the
 * same sender used with other text (see isResend): this connection's own, so
 * its re-sends on this connection are still answered with its first ack.
 */
export function laterKey(key: string, user: User): string {
  return `${key}\u0000${user.since}`;
}

/**
 * Whether a remembered request is this one sent again (§4 Idempotency). The
 * same text is a re-send: answer with the original ack. Other text under an
 * id this connection used is a client bug: `id_reused`. Other text under an
 * id of an earlier connection (a bot restarted and counting its ids from 1
 * again, or a new guest who took the alias) is a new message: false.
 */
export function isResend(
  user: User,
  original: { text: string; action: boolean; ts: number },
  text: string,
  action: boolean,
): boolean {
  if (original.ts < user.since && (original.text !== text || original.action !== action)) {
    return false;
  }
  assertSameMessage(original, text, action);
  return true;
}

/**
 * A re-send must be the same message: the same id with other text is a
 * client bug that would otherwise be acked as the first message (§4).
 */
export function assertSameMessage(
  original: { text: string; action: boolean },
  text: string,
  action: boolean,
): void {
  if (original.text !== text || original.action !== action) {
    throw new ChatError(
      'bad_request',
      'This id was already used for another message; use a new id for each message',
      undefined,
      'id_reused',
    );
  }
}
