/**
 * Mentions (docs/protocol.md §4 `message.mention`): which aliases a message
 * names as whole words, found once per message so a room of any size costs
 * one scan of the text, never one regular expression per member: a room of
 * up to MentionFinder.MAX_KEYS members is searched with one pattern of all
 * their aliases, a bigger one has each word looked up among the online
 * users' keys (hashed first, so most words are never made into strings).
 *
 * A word is a run of alias characters (§2: letters, marks, digits, `_`,
 * `-`, `.`); a `.` also ends a word, so "Alice." and "Alice.," mention
 * Alice, while an alias holding dots ("j.doe") is found too. Comparison is on
 * folded keys (§2: NFKC and case-insensitive), as aliases are compared.
 */
import { foldKey, isAscii } from './names.js';

/** A non-ASCII alias character (§2: a letter, mark or digit). */
const WORD_POINT = /^[\p{L}\p{M}\p{N}]$/u;
/**
 * WORD_POINT's answer per code point: 0 not asked yet, 1 yes, 2 no. 1.1 MB
 * of zeros, of which only the pages of code points seen are ever touched; a
 * table, not a map, so texts of many distinct characters cannot grow it.
 */
const pointWord = new Uint8Array(0x110000);

/** Whether non-ASCII code point `cp` is an alias character, asked of the pattern once per point. */
function isWordPoint(cp: number): boolean {
  const known = pointWord[cp]!;
  if (known !== 0) return known === 1;
  const yes = WORD_POINT.test(String.fromCodePoint(cp));
  pointWord[cp] = yes ? 1 : 2;
  return yes;
}

/** Longest candidate considered, in UTF-16 units: an alias is at most 32 code points. */
const MAX_CANDIDATE = 32 * 2 * 3;

/** What a mention is looked up in: a set or map of alias keys. */
export interface KeyLookup {
  has(key: string): boolean;
  /**
   * False when no key here has this keyHash, so a word with it need not be
   * made into a string and looked up. True may be a false positive.
   */
  mayHaveHash?(hash: number): boolean;
}

/**
 * The keys of `among` that `text` mentions (same rule as mentionedKeys), or
 * undefined when it names none of them. Fan-out looks every message up in the
 * online users by key, so no set of the message's words is built (most
 * messages name nobody, and each word would cost an insert).
 */
export function mentionsAmong(text: string, among: KeyLookup): string[] | undefined {
  let found: string[] | undefined;
  visitCandidates(
    text,
    (candidate) => {
      if (among.has(candidate) && !found?.includes(candidate)) (found ??= []).push(candidate);
    },
    among,
  );
  return found;
}

/**
 * Mentions of a known set of aliases (a room's members, up to MAX_KEYS), by
 * the rule of mentionsAmong. A text is searched for the aliases themselves
 * with one expression: under 1 µs for 500 characters of prose, where the
 * word scan walks every character in JavaScript (4–7 µs) and, before it
 * hashed words, made a string of each (16 µs; docs/performance.md, fifth
 * pass). Alias sets the expressions do not cover go to the word scan.
 */
export class MentionFinder {
  /** Most aliases searched with one expression; a bigger room has its words scanned. */
  static readonly MAX_KEYS = 256;

  /** The aliases, with their keyHashes, for the word scan. */
  private readonly keys: KeyLookup;
  /**
   * The ASCII aliases between word boundaries (a `.` is one, as in
   * visitRun), or null when a text must go to the word scan anyway: an alias
   * holding a dot can overlap another match ("j.doe" names `j` too), which
   * one pass of an expression would miss.
   */
  private readonly pattern: RegExp | null;
  /**
   * Every alias between Unicode word boundaries, for a non-ASCII text once
   * folded as aliases are (the word scan's Unicode path cost 17 µs for 500
   * characters of German and 40 µs for English with one emoji); null when an
   * alias holds a dot, as above.
   */
  private readonly folded: RegExp | null;
  /** No alias is ASCII: an ASCII text names none of them. */
  private readonly none: boolean;

  constructor(keys: Iterable<string>) {
    const set = new Set(keys);
    const hashes = new Set([...set].map(keyHash));
    this.keys = { has: (k) => set.has(k), mayHaveHash: (h) => hashes.has(h) };
    const dotted = [...set].some((k) => k.includes('.'));
    const ascii = [...set].filter(isAscii);
    this.none = ascii.length === 0;
    this.pattern =
      this.none || dotted
        ? null
        : // Dot-free ASCII aliases hold only letters, digits, `_` and `-`: literals in a pattern.
          new RegExp(`(?<![a-z0-9_-])(?:${ascii.join('|')})(?![a-z0-9_-])`, 'gi');
    this.folded =
      set.size === 0 || dotted
        ? null
        : new RegExp(
            `(?<![\\p{L}\\p{M}\\p{N}_-])(?:${[...set].map(literal).join('|')})(?![\\p{L}\\p{M}\\p{N}_-])`,
            'gu',
          );
  }

  /** The aliases `text` mentions, each once, or undefined when it names none. */
  find(text: string): string[] | undefined {
    if (isAscii(text)) {
      // No non-ASCII alias can be named by an ASCII text (a key is already NFKC).
      if (this.none) return undefined;
      return this.pattern ? matches(this.pattern, text) : mentionsAmong(text, this.keys);
    }
    return this.folded ? matches(this.folded, foldKey(text)) : mentionsAmong(text, this.keys);
  }
}

/** Each distinct match of `pattern` in `text`, lowered (a folded text is already), or undefined. */
function matches(pattern: RegExp, text: string): string[] | undefined {
  let found: string[] | undefined;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const key = m[0].toLowerCase();
    if (!found?.includes(key)) (found ??= []).push(key);
  }
  return found;
}

/** A folded alias as a literal of a `u` pattern: anything but a letter, mark, digit, `_` or `-` escaped. */
function literal(key: string): string {
  return key.replace(/[^\p{L}\p{M}\p{N}_-]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/**
 * The folded keys `text` mentions: every run of alias characters, and every
 * sequence of its dot-separated parts (so "j.doe." yields `j`, `doe`,
 * `j.doe`, `j.doe.`, …). A member is mentioned when its alias key is in the set.
 */
export function mentionedKeys(text: string): Set<string> {
  const keys = new Set<string>();
  visitCandidates(text, (candidate) => keys.add(candidate));
  return keys;
}

/** ASCII alias characters by code, lowered (foldKey does no more to ASCII); 0 for the rest. */
const ALIAS_ASCII = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789_.-')
  ALIAS_ASCII[c.charCodeAt(0)] = c.charCodeAt(0);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
  ALIAS_ASCII[c.charCodeAt(0)] = c.toLowerCase().charCodeAt(0);
}
const DOT = 0x2e;
// As an int32 (| 0), so the running hash never becomes a heap number.
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** The hash a word is checked by (KeyLookup.mayHaveHash): FNV-1a over its UTF-16 units. */
export function keyHash(key: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** log2 of KeyHashes' counts. */
const HASH_BITS = 17;
const HASH_MASK = (1 << HASH_BITS) - 1;

/**
 * The keyHash of every key of a changing set, counted so keys can leave, to
 * answer KeyLookup.mayHaveHash. 2^17 one-byte counts (128 KB): with 18,000
 * keys about one word in eight is a false positive, which costs only the
 * lookup every word cost before. A count that reaches 255 stays there, so it
 * never wrongly falls to 0.
 */
export class KeyHashes {
  private readonly counts = new Uint8Array(1 << HASH_BITS);

  /** Count `key` (once per key: the caller adds only a key it did not hold). */
  add(key: string): void {
    const i = keyHash(key) & HASH_MASK;
    if (this.counts[i]! < 255) this.counts[i]!++;
  }

  /** Uncount `key` (only a key that was added and not yet deleted). */
  delete(key: string): void {
    const i = keyHash(key) & HASH_MASK;
    const n = this.counts[i]!;
    if (n > 0 && n < 255) this.counts[i] = n - 1;
  }

  mayHave(hash: number): boolean {
    return this.counts[hash & HASH_MASK] !== 0;
  }
}

/**
 * Hand every candidate of `text` to `visit` (possibly more than once), folded
 * as aliases are. The text is walked character by character, hashing each
 * word as it goes, so a word that no key of `among` can be (mayHaveHash) is
 * never made into a string: making and lowering one string per word cost
 * 16 µs for 500 characters of prose (docs/performance.md, fifth pass). ASCII
 * text is lowered as it is walked; any other is folded whole first (foldKey:
 * NFKC and case), and its non-ASCII characters are classed once per code
 * point. A word is a run of alias characters, dots included (visitRun splits
 * at them).
 */
function visitCandidates(
  text: string,
  visit: (candidate: string) => void,
  among?: KeyLookup,
): void {
  // Called as a method, not through a bound function: that call per word
  // cost more than the lookups it saves.
  const hashed = among?.mayHaveHash ? (among as Required<KeyLookup>) : undefined;
  const ascii = isAscii(text);
  const walked = ascii ? text : foldKey(text);
  let start = -1;
  let hash = 0;
  let dotted = false;
  const n = walked.length;
  // One step past the end (code 0, not an alias character) ends the last word.
  for (let i = 0; i <= n; i++) {
    const c = i < n ? walked.charCodeAt(i) : 0;
    let unit: number;
    let pair = 0;
    if (c < 0x80) {
      unit = ALIAS_ASCII[c]!;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      // A surrogate pair: one code point, two units to hash.
      pair = walked.charCodeAt(i + 1);
      const cp = 0x10000 + ((c - 0xd800) << 10) + (pair - 0xdc00);
      unit = pair >= 0xdc00 && pair <= 0xdfff && isWordPoint(cp) ? c : 0;
    } else {
      unit = isWordPoint(c) ? c : 0;
    }
    if (unit !== 0) {
      if (start < 0) {
        start = i;
        hash = FNV_OFFSET;
        dotted = false;
      }
      if (unit === DOT) dotted = true;
      hash = Math.imul(hash ^ unit, FNV_PRIME);
      if (pair !== 0) {
        hash = Math.imul(hash ^ pair, FNV_PRIME);
        i++;
      }
      continue;
    }
    if (start < 0) continue;
    // A word with dots names its parts and their sequences (visitRun); one
    // without is a candidate itself, unless too long for an alias. A folded
    // text is lowered already.
    if (dotted) visitRun(wordAt(walked, start, i, ascii), visit);
    else if (
      i - start <= MAX_CANDIDATE &&
      (hashed === undefined || hashed.mayHaveHash(hash >>> 0))
    ) {
      visit(wordAt(walked, start, i, ascii));
    }
    start = -1;
  }
}

/** The word at `start`…`end` of a walked text, lowered unless the text was folded (it is lowered already). */
function wordAt(walked: string, start: number, end: number, lower: boolean): string {
  const word = walked.slice(start, end);
  return lower ? word.toLowerCase() : word;
}

/** The candidates of one run of alias characters. */
function visitRun(run: string, visit: (candidate: string) => void): void {
  if (!run.includes('.')) {
    if (run.length <= MAX_CANDIDATE) visit(run);
    return;
  }
  const parts = run.split('.');
  for (let i = 0; i < parts.length; i++) {
    let candidate = parts[i]!;
    if (candidate) visit(candidate);
    for (let j = i + 1; j < parts.length; j++) {
      candidate += '.' + parts[j]!;
      if (candidate.length > MAX_CANDIDATE) break;
      visit(candidate);
    }
  }
}
