/**
 * Unicode scripts for the alias rules (docs/protocol.md §2): which script a
 * letter or digit belongs to, and whether a name's letters come from one
 * script (UTS #39 "highly restrictive"). Pure lookups on V8's ICU data.
 */

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

/** The script of a letter; undefined for anything else, and for letters every script shares. */
export function letterScript(ch: string): string | undefined {
  if (!LETTER.test(ch) || COMMON_OR_INHERITED.test(ch)) return undefined;
  return scriptOf(ch);
}

/** True when every letter of `name` comes from one script (or one allowed mix). */
export function isSingleScript(name: string): boolean {
  const seen = new Set<string>();
  for (const ch of name) {
    const script = letterScript(ch);
    if (script !== undefined) seen.add(script);
  }
  if (seen.size <= 1) return true;
  return ALLOWED_MIXES.some((mix) => [...seen].every((s) => mix.has(s)));
}

const ASCII_DIGIT = /^[0-9]$/u;

const scriptExtensionTests = new Map<string, RegExp | null>();
/** Whether `ch`'s Script_Extensions include `script` (false for scripts this ICU lacks). */
export function usedBy(ch: string, script: string): boolean {
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
export function digitSystem(ch: string): string {
  if (ASCII_DIGIT.test(ch)) return 'ascii';
  for (const s of SCRIPTS) if (usedBy(ch, s.name)) return s.name;
  return `Other:${(ch.codePointAt(0)! >> 4).toString(16)}`;
}
