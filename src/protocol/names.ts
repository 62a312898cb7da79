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

// eslint-disable-next-line no-control-regex -- the whole ASCII range, controls included
const ASCII = /^[\x00-\x7f]*$/u;

/**
 * Case-folded comparison key (docs/protocol.md §2: normalised in code, not by SQLite's
 * ASCII-only NOCASE). Upper-then-lower approximates Unicode full case folding
 * (`ß` and `SS` meet at `ss`).
 */
export function foldKey(name: string): string {
  // ASCII is its own NFKC form and folds by lowering alone; this runs on every
  // message's text (mentions, docs/protocol.md §4), where it halves the cost.
  if (ASCII.test(name)) return name.toLowerCase();
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

// Invisible characters (docs/protocol.md §2): `Bob` + U+034F (combining
// grapheme joiner), + U+FE0F (a variation selector), + U+E0100 or + U+180B
// looks exactly like `Bob`, and a Hangul filler alone is an alias nobody can
// see. Every Default_Ignorable_Code_Point goes (the fillers are among them;
// they are listed too in case an older ICU disagrees).
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\u115F\u1160\u3164\uFFA0]/u;
const MARK = /^\p{M}$/u;
const DIGIT = /^\p{Nd}$/u;
const ASCII_DIGIT = /^[0-9]$/u;
/** At most this many combining marks on one letter: enough for Indic clusters, not for stacked "zalgo" marks. */
const MAX_MARKS = 3;
/**
 * Scripts whose every letter in use has a precomposed form: after NFKC a
 * combining mark left on one of their letters is not needed to write a name,
 * and it can hide (`b` + U+0338 overlay, marks stacked over a neighbour).
 */
const PRECOMPOSED_SCRIPTS = new Set(['Latin', 'Greek', 'Cyrillic']);

const scriptExtensionTests = new Map<string, RegExp | null>();
/** Whether `ch`'s Script_Extensions include `script` (false for scripts this ICU lacks). */
function usedBy(ch: string, script: string): boolean {
  let re = scriptExtensionTests.get(script);
  if (re === undefined) {
    try {
      re = new RegExp(`^\\p{Script_Extensions=${script}}$`, 'u');
    } catch {
      re = null;
    }
    scriptExtensionTests.set(script, re);
  }
  return re?.test(ch) ?? false;
}

/** The numbering system of a decimal digit: `ascii`, or the first script that uses it. */
function digitSystem(ch: string): string {
  if (ASCII_DIGIT.test(ch)) return 'ascii';
  for (const s of SCRIPTS) if (usedBy(ch, s.name)) return s.name;
  return `Other:${(ch.codePointAt(0)! >> 4).toString(16)}`;
}

/**
 * The look-alike rules of §2 beyond the character classes: no invisible
 * characters; a combining mark only right after a letter (or another mark),
 * of a script that needs marks and that the mark belongs to, at most
 * MAX_MARKS in a row; digits of one numbering system, and a non-ASCII one
 * only with letters of its own script (`B٥b`, an Arabic-Indic five between
 * Latin letters, reads as `Bob`). Throws `bad_alias`.
 */
function assertVisible(display: string): void {
  if (INVISIBLE.test(display)) {
    throw new ChatError(
      'bad_alias',
      'An alias may not hold invisible characters (joiners, variation selectors, fillers)',
    );
  }
  let base: string | undefined;
  let marks = 0;
  const digits = new Set<string>();
  const letters = new Set<string>();
  for (const ch of display) {
    if (MARK.test(ch)) {
      marks++;
      if (
        base === undefined ||
        PRECOMPOSED_SCRIPTS.has(base) ||
        !usedBy(ch, base) ||
        marks > MAX_MARKS
      ) {
        throw new ChatError(
          'bad_alias',
          'An alias may use combining marks only as its script needs them (write accented Latin, Greek and Cyrillic letters precomposed)',
        );
      }
      continue;
    }
    marks = 0;
    base = undefined;
    if (LETTER.test(ch) && !COMMON_OR_INHERITED.test(ch)) {
      base = scriptOf(ch);
      letters.add(base);
    } else if (DIGIT.test(ch)) {
      digits.add(digitSystem(ch));
    }
  }
  const systems = [...digits];
  if (
    systems.length > 1 ||
    systems.some((d) => d !== 'ascii' && letters.size > 0 && ![...letters].includes(d))
  ) {
    throw new ChatError(
      'bad_alias',
      'An alias must use digits of one kind: 0-9, or the digits of its own script',
    );
  }
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
  return { display, key };
}

/**
 * Look-alikes (UTS #39 confusables, a compact subset). The Unicode data file
 * (confusables.txt, ~6,000 lines) is not shipped with Node and this build has
 * no network, so the table below is hand-made for the scripts people actually
 * mix up in Latin-script chat: Cyrillic and Greek letters drawn like Latin
 * ones, and the digits 0 and 1. It errs towards "confusable": a refused alias
 * costs a user one retry, an admitted look-alike lets them pass as someone.
 *
 * LOOKALIKE_LOWER holds lower-case forms whose capitals look different
 * (Cyrillic `һ` is `h`, but `Һ` is no `H`); LOOKALIKE_UPPER is applied after
 * upper-casing, since aliases compare case-insensitively: two aliases clash
 * when some casing of each looks the same (`ian` may be shown as `Ian`, which
 * reads as `lan`; hence I, l, 1 and | all become `l`).
 */
// prettier-ignore
const LOOKALIKE_LOWER: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', ѕ: 's', і: 'i', ј: 'j',
  һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w', ү: 'y', ӏ: 'l',
  // Greek
  α: 'a', ο: 'o', ν: 'v', ρ: 'p', ι: 'i', υ: 'u', γ: 'y', χ: 'x', ϲ: 'c', ϳ: 'j', κ: 'k',
  // Latin letters drawn like other Latin letters
  ı: 'i', ɑ: 'a', ɩ: 'i', ʋ: 'u', ɡ: 'g',
};
// prettier-ignore
const LOOKALIKE_UPPER: Readonly<Record<string, string>> = {
  // Cyrillic
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T',
  У: 'Y', Х: 'X', Ѕ: 'S', І: 'l', Ј: 'J', Ԛ: 'Q', Ԝ: 'W', Ү: 'Y', Ӏ: 'l', Ԁ: 'D',
  // Greek
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'l', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O',
  Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X', Ϲ: 'C', Ϳ: 'J',
  // Latin and digits
  I: 'l', L: 'l', '1': 'l', '0': 'O',
};

function mapEach(s: string, table: Readonly<Record<string, string>>): string {
  let out = '';
  for (const ch of s) out += table[ch] ?? ch;
  return out;
}

/**
 * The look-alike key of an alias (folded, UTS #39 skeleton style): two
 * aliases with the same skeleton read alike (`аре` in Cyrillic and `ape`,
 * `ΑΒΕ` and `abe`, `B0b` and `Bob`, `Il` and `ll`). Compared against everyone
 * online and every account (docs/protocol.md §2).
 */
export function skeleton(name: string): string {
  const lower = mapEach(name.normalize('NFKC').normalize('NFD'), LOOKALIKE_LOWER);
  return mapEach(lower.toUpperCase(), LOOKALIKE_UPPER).toLowerCase().normalize('NFD');
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
