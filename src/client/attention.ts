/**
 * What deserves the user's attention (issue 3 §7): a private message, or a
 * room message that mentions the user's alias. Pure; render.ts marks these
 * lines and app.ts rings the bell for the live ones.
 */
import { foldKey } from '../protocol/names.js';
import type { ServerEvent } from '../protocol/messages.js';

/**
 * Characters that continue an alias-like word (§2 alias rules, without `.`,
 * so "Alice." at the end of a sentence still counts as a mention).
 */
const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}_-]`;

/** Regular-expression syntax characters (of these an alias may contain only `.`). */
const SYNTAX = /[\^$\\.*+?()[\]{}|/]/gu;

/**
 * A global, case-insensitive pattern matching `alias` as a whole word: not
 * preceded or followed by a letter, digit, mark, `_` or `-`.
 */
export function mentionPattern(alias: string): RegExp {
  const escaped = alias.normalize('NFKC').replace(SYNTAX, '\\$&');
  return new RegExp(`(?<!${WORD_CHAR})${escaped}(?!${WORD_CHAR})`, 'giu');
}

/** Whether `text` mentions `alias` as a whole word, ignoring case. */
export function mentions(text: string, alias: string): boolean {
  if (alias === '') return false;
  return mentionPattern(alias).test(text.normalize('NFKC'));
}

/** Whether two aliases are the same user (§2: compared case-insensitively after NFKC). */
export function sameAlias(a: string, b: string): boolean {
  return foldKey(a) === foldKey(b);
}

/** Why an event from the server should get the user's attention, if it should. */
export type Attention = 'private' | 'mention';

/**
 * `private` for a private message from someone else, `mention` for someone
 * else's room message naming `self`; undefined otherwise. Only single live
 * events count: a history replay is the past, and rings no bell.
 */
export function attentionFor(event: ServerEvent, self: string): Attention | undefined {
  if (event.type === 'private' && !sameAlias(event.from, self)) return 'private';
  if (event.type === 'message' && !sameAlias(event.from, self) && mentions(event.text, self)) {
    return 'mention';
  }
  return undefined;
}
