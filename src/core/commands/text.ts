import { ChatError } from '../../protocol/errors.js';
import type { ChatContext } from './context.js';
import type { User } from '../model.js';

/** Check a message body against the limits (§6): not blank, at most maxMessageLines lines. */
export function checkMessageText(ctx: ChatContext, text: string): string {
  if (text.trim() === '') throw new ChatError('bad_request', 'A message needs some text');
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
 * The Store key under which a request's effect is remembered (§4): per
 * identity (account or guest session, so it survives /nick), per target
 * (a room key, or `@` plus the folded recipient) and per request id.
 */
export function idempotencyKey(
  user: User,
  target: string,
  id: string | undefined,
): string | undefined {
  return id === undefined ? undefined : `${user.identity}\u0000${target}\u0000${id}`;
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
      'id_reused',
      'This id was already used for another message; use a new id for each message',
    );
  }
}
