import { ChatError } from './errors.js';

/** An alias or room name in the form shown to users, plus the key it is compared by. */
export interface Name {
  readonly display: string;
  readonly key: string;
}

export const MAX_NAME_CHARS = 32;

const RESERVED = new Set(['server', 'system', 'admin', 'operator', 'root', 'nobody']);

const ALIAS_CHARS = /^[\p{L}\p{M}\p{Nd}_.-]+$/u;
const ALIAS_START = /^[\p{L}\p{Nd}]/u;
const ROOM_CHARS = /^[\p{L}\p{M}\p{Nd}_-]+$/u;

/**
 * Case-folded comparison key (CLUSTER.md: normalised in code, not by SQLite's
 * ASCII-only NOCASE). Upper-then-lower approximates Unicode full case folding
 * (`ß` and `SS` meet at `ss`).
 */
export function foldKey(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

// Scripts are probed most-common first; V8 supports every Unicode script name,
// and a name it rejects (older ICU) is simply skipped.
const SCRIPT_NAMES = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Arabic',
  'Hebrew',
  'Devanagari',
  'Bengali',
  'Tamil',
  'Telugu',
  'Thai',
  'Armenian',
  'Georgian',
  'Gujarati',
  'Gurmukhi',
  'Kannada',
  'Malayalam',
  'Oriya',
  'Sinhala',
  'Lao',
  'Khmer',
  'Myanmar',
  'Tibetan',
  'Ethiopic',
  'Bopomofo',
  'Mongolian',
  'Thaana',
  'Syriac',
  'Cherokee',
  'Canadian_Aboriginal',
  'Yi',
  'Tifinagh',
  'Nko',
  'Vai',
  'Javanese',
  'Balinese',
  'Sundanese',
  'Runic',
  'Ogham',
  'Coptic',
  'Glagolitic',
  'Gothic',
  'Adlam',
  'Osage',
  'Tagalog',
  'Cham',
  'Lisu',
  'Bamum',
  'Batak',
  'Buginese',
  'Buhid',
  'Chakma',
  'Hanunoo',
  'Kayah_Li',
  'Lepcha',
  'Limbu',
  'Mandaic',
  'Meetei_Mayek',
  'New_Tai_Lue',
  'Ol_Chiki',
  'Rejang',
  'Samaritan',
  'Saurashtra',
  'Tagbanwa',
  'Tai_Le',
  'Tai_Tham',
  'Tai_Viet',
  'Deseret',
  'Shavian',
  'Osmanya',
];

const SCRIPTS: ReadonlyArray<{ name: string; re: RegExp }> = SCRIPT_NAMES.flatMap((name) => {
  try {
    return [{ name, re: new RegExp(`^\\p{Script=${name}}$`, 'u') }];
  } catch {
    return [];
  }
});

const LETTER = /^\p{L}$/u;
const COMMON_OR_INHERITED = /^[\p{Script=Common}\p{Script=Inherited}]$/u;

// Mixes that are one writing system in practice (UTS #39 "highly restrictive").
const ALLOWED_MIXES: ReadonlyArray<ReadonlySet<string>> = [
  new Set(['Han', 'Hiragana', 'Katakana']),
  new Set(['Han', 'Hangul']),
  new Set(['Han', 'Bopomofo']),
];

function scriptOf(ch: string): string {
  for (const s of SCRIPTS) if (s.re.test(ch)) return s.name;
  return 'Other';
}

/** True when every letter of `name` comes from one script (or one allowed mix). */
export function isSingleScript(name: string): boolean {
  const seen = new Set<string>();
  for (const ch of name) {
    if (!LETTER.test(ch) || COMMON_OR_INHERITED.test(ch)) continue;
    seen.add(scriptOf(ch));
  }
  if (seen.size <= 1) return true;
  return ALLOWED_MIXES.some((mix) => [...seen].every((s) => mix.has(s)));
}

/** Validate an alias by PROTOCOL.md §2; throws `bad_alias` naming what is wrong. */
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
  const key = foldKey(display);
  if (RESERVED.has(key)) throw new ChatError('bad_alias', `"${display}" is reserved`);
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

export const LOBBY: Name = { display: '#lobby', key: '#lobby' };
