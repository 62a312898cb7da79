import { ChatError } from '../errors.js';
import type { Chat } from '../chat.js';

/** Check a message body against the limits (§6): not blank, at most maxMessageLines lines. */
export function checkMessageText(chat: Chat, text: string): string {
  if (text.trim() === '') throw new ChatError('bad_request', 'A message needs some text');
  const lines = text.split('\n').length;
  const max = chat.options.limits.maxMessageLines;
  if (lines > max) {
    throw new ChatError(
      'too_large',
      `A message may have at most ${max} lines (this one has ${lines})`,
    );
  }
  return text;
}
