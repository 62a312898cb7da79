/**
 * The §2 defences against one alias passing as another (docs/protocol.md §2):
 * characters that hide or disguise (assertVisible), and the skeleton two
 * aliases that read alike share (skeleton).
 */
import { ChatError } from './errors.js';
import { digitSystem, letterScript, usedBy } from './scripts.js';

// Invisible characters (docs/protocol.md §2): `Bob` + U+034F (combining
// grapheme joiner), + U+FE0F (a variation selector), + U+E0100 or + U+180B
// looks exactly like `Bob`, and a Hangul filler alone is an alias nobody can
// see. Every Default_Ignorable_Code_Point goes (the fillers are among them;
// they are listed too in case an older ICU disagrees).
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\u115F\u1160\u3164\uFFA0]/u;
const MARK = /^\p{M}$/u;
const DIGIT = /^\p{Nd}$/u;
/** At most this many combining marks on one letter: enough for Indic clusters, not for stacked "zalgo" marks. */
const MAX_MARKS = 3;
/**
 * Scripts whose every letter in use has a precomposed form: after NFKC a
 * combining mark left on one of their letters is not needed to write a name,
 * and it can hide (`b` + U+0338 overlay, marks stacked over a neighbour).
 */
const PRECOMPOSED_SCRIPTS = new Set(['Latin', 'Greek', 'Cyrillic']);

/**
 * The look-alike rules of §2 beyond the character classes: no invisible
 * characters; a combining mark only right after a letter (or another mark),
 * of a script that needs marks and that the mark belongs to, at most
 * MAX_MARKS in a row; digits of one numbering system, and a non-ASCII one
 * only with letters of its own script (`B٥b`, an Arabic-Indic five between
 * Latin letters, reads as `Bob`). Throws `bad_alias`.
 */
export function assertVisible(display: string): void {
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
    base = letterScript(ch);
    if (base !== undefined) {
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
