/**
 * Aliases and room names (docs/protocol.md §2, §3): what makes one valid,
 * the folded key every comparison uses, and the lobby. The script and
 * look-alike rules an alias must also pass are scripts.ts's and
 * lookalikes.ts's.
 */
import { ChatError } from './errors.js';
import { assertVisible, skeleton } from './lookalikes.js';
import { isSingleScript } from './scripts.js';

// Part of the alias rules' interface: callers ask names.ts, scripts.ts answers.
export { isSingleScript };

/** An alias or room name in the form shown to users, plus the key it is compared by. */
export interface Name {
  readonly display: string;
  readonly key: string;
}

export const MAX_NAME_CHARS = 32;

const RESERVED = new Set(['server', 'system', 'admin', 'operator', 'root', 'nobody']);

/**
 * What a reserved word looks like, marks dropped: `r00t`, `ADMİN` and
 * `Ａｄｍｉｎ` pass for the words themselves to a reader as well as `Admin`
 * does (a conformance audit found some of them admitted).
 */
const lookOf = (name: string): string => skeleton(name).replace(/\p{M}/gu, '');
const RESERVED_LOOKS = new Set([...RESERVED].map(lookOf));

const ALIAS_CHARS = /^[\p{L}\p{M}\p{Nd}_.-]+$/u;
const ALIAS_START = /^[\p{L}\p{Nd}]/u;
const ROOM_CHARS = /^[\p{L}\p{M}\p{Nd}_-]+$/u;

/**
 * Whether `s` is all ASCII: its UTF-8 length equals its length only then.
 * Node counts that natively in tens of nanoseconds for 500 characters, where
 * a pattern took 0.5 µs, and 3 µs for a text holding an emoji (a two-byte
 * string; docs/performance.md, fifth pass).
 */
export function isAscii(s: string): boolean {
  return Buffer.byteLength(s) === s.length;
}

/**
 * Case-folded comparison key (docs/protocol.md §2: normalised in code, not by SQLite's
 * ASCII-only NOCASE). Upper-then-lower approximates Unicode full case folding
 * (`ß` and `SS` meet at `ss`).
 */
export function foldKey(name: string): string {
  // ASCII is its own NFKC form and folds by lowering alone; this runs on every
  // message's text (mentions, docs/protocol.md §4), where it halves the cost.
  if (isAscii(name)) return name.toLowerCase();
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/** Validate an alias by docs/protocol.md §2; throws `bad_alias` naming what is wrong. */
export function parseAlias(raw: string): Name {
  const display = raw.trim().normalize('NFKC');
  const length = [...display].length;
  if (length === 0) throw new ChatError('bad_alias', 'An alias cannot be empty');
  if (length > MAX_NAME_CHARS) {
    throw new ChatError('bad_alias', `An alias has at most ${MAX_NAME_CHARS} characters`);
  }
  if (!ALIAS_CHARS.test(display)) {
    throw new ChatError(
      'bad_alias',
      'An alias may hold only letters, digits, "_", "-" and "." (no spaces)',
    );
  }
  if (!ALIAS_START.test(display)) {
    throw new ChatError('bad_alias', 'An alias must start with a letter or a digit');
  }
  if (!isSingleScript(display)) {
    throw new ChatError('bad_alias', 'An alias must use letters from one script only');
  }
  assertVisible(display);
  const key = foldKey(display);
  if (RESERVED.has(key)) throw new ChatError('bad_alias', `"${display}" is reserved`);
  if (RESERVED_LOOKS.has(lookOf(display))) {
    throw new ChatError('bad_alias', `"${display}" looks like a reserved word; pick another alias`);
  }
  return { display, key };
}

/** Validate a room name (`#` then 1–32 letters, digits, `_`, `-`); throws `bad_request`. */
export function parseRoom(raw: string): Name {
  const display = raw.trim().normalize('NFKC');
  const body = display.startsWith('#') ? display.slice(1) : '';
  const length = [...body].length;
  if (length === 0 || length > MAX_NAME_CHARS || !ROOM_CHARS.test(body)) {
    throw new ChatError(
      'bad_request',
      `Room names are "#" then 1-${MAX_NAME_CHARS} letters, digits, "_" or "-" (got "${display.slice(0, 40)}")`,
    );
  }
  return { display, key: foldKey(display) };
}

/**
 * A room as a user names it in a request: the `#` may be left out (`dev` is
 * `#dev`, docs/protocol.md §3), in every request that names a room.
 */
export function parseRoomArg(raw: string): Name {
  const trimmed = raw.trim();
  return parseRoom(trimmed.startsWith('#') ? trimmed : `#${trimmed}`);
}

export const LOBBY: Name = { display: '#lobby', key: '#lobby' };
