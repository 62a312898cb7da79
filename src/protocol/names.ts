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

// Every Unicode script, probed most-common first. A name this V8 rejects (an
// older ICU) is skipped; a letter of a script missing here is its own script
// ('Other:' plus its code point block), so two unknown scripts never pass as one.
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
  'Ahom',
  'Anatolian_Hieroglyphs',
  'Avestan',
  'Bassa_Vah',
  'Bhaiksuki',
  'Brahmi',
  'Braille',
  'Carian',
  'Caucasian_Albanian',
  'Chorasmian',
  'Cuneiform',
  'Cypriot',
  'Cypro_Minoan',
  'Dives_Akuru',
  'Dogra',
  'Duployan',
  'Egyptian_Hieroglyphs',
  'Elbasan',
  'Elymaic',
  'Grantha',
  'Gunjala_Gondi',
  'Hanifi_Rohingya',
  'Hatran',
  'Imperial_Aramaic',
  'Inscriptional_Pahlavi',
  'Inscriptional_Parthian',
  'Kaithi',
  'Kawi',
  'Kharoshthi',
  'Khitan_Small_Script',
  'Khojki',
  'Khudawadi',
  'Linear_A',
  'Linear_B',
  'Lycian',
  'Lydian',
  'Mahajani',
  'Makasar',
  'Manichaean',
  'Marchen',
  'Masaram_Gondi',
  'Medefaidrin',
  'Mende_Kikakui',
  'Meroitic_Cursive',
  'Meroitic_Hieroglyphs',
  'Miao',
  'Modi',
  'Mro',
  'Multani',
  'Nabataean',
  'Nag_Mundari',
  'Nandinagari',
  'Newa',
  'Nushu',
  'Nyiakeng_Puachue_Hmong',
  'Old_Hungarian',
  'Old_Italic',
  'Old_North_Arabian',
  'Old_Permic',
  'Old_Persian',
  'Old_Sogdian',
  'Old_South_Arabian',
  'Old_Turkic',
  'Old_Uyghur',
  'Pahawh_Hmong',
  'Palmyrene',
  'Pau_Cin_Hau',
  'Phags_Pa',
  'Phoenician',
  'Psalter_Pahlavi',
  'Sharada',
  'Siddham',
  'SignWriting',
  'Sogdian',
  'Sora_Sompeng',
  'Soyombo',
  'Syloti_Nagri',
  'Takri',
  'Tangsa',
  'Tangut',
  'Tirhuta',
  'Toto',
  'Ugaritic',
  'Vithkuqi',
  'Wancho',
  'Warang_Citi',
  'Yezidi',
  'Zanabazar_Square',
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
  return `Other:${(ch.codePointAt(0)! >> 7).toString(16)}`;
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
