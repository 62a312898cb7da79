import { ChatError } from '../../protocol/errors.js';
import type { ChatContext } from './context.js';
import type { User } from '../model.js';

/** Check a message body against the limits (§6): not blank, at most maxMessageLines lines. */
export function checkMessageText(ctx: ChatContext, text: string): string {
  if (text.trim() === '') throw new ChatError('bad_request', 'A message needs some text');
  const lines = text.split('\n').length;
  const max = ctx.limits.maxMessageLines;
  if (lines > max) {
    throw new ChatError(
      'too_large',
      `A message may have at most ${max} lines (this one has ${lines})`,
    );
  }
  return text;
}

/** The Store key under which a request's effect is remembered: per alias, per request id (§4). */
export function idempotencyKey(user: User, id: string | undefined): string | undefined {
  return id === undefined ? undefined : `${user.name.key}\u0000${id}`;
}
