/**
 * Mentions (docs/protocol.md §4 `message.mention`): which aliases a message
 * names as whole words, found once per message so a room of any size costs
 * one scan of the text (each word looked up among the online users' keys)
 * and one lookup per member, never one regular expression per member.
 *
 * A word is a run of alias characters (§2: letters, marks, digits, `_`,
 * `-`, `.`); a `.` also ends a word, so "Alice." and "Alice.," mention
 * Alice, while an alias holding dots ("j.doe") is found too. Comparison is on
 * folded keys (§2: NFKC and case-insensitive), as aliases are compared.
 */
import { foldKey } from './names.js';

/** Runs of alias characters, dots included (split further below). */
const RUN = /[\p{L}\p{M}\p{N}_.-]+/gu;

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
 * the rule of mentionsAmong. An ASCII text is searched for the aliases themselves with
 * one expression: under 1 µs for 500 characters of prose, where the word
 * scan walks every character in JavaScript (4–7 µs) and, before it hashed
 * words, made a string of each (16 µs; docs/performance.md, fifth pass).
 * Texts and alias sets the expression does not cover go to the word scan.
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
  /** No alias is ASCII: an ASCII text names none of them. */
  private readonly none: boolean;

  constructor(keys: Iterable<string>) {
    const set = new Set(keys);
    const hashes = new Set([...set].map(keyHash));
    this.keys = { has: (k) => set.has(k), mayHaveHash: (h) => hashes.has(h) };
    const ascii = [...set].filter(isAscii);
    this.none = ascii.length === 0;
    this.pattern =
      this.none || ascii.some((k) => k.includes('.'))
        ? null
        : // Dot-free ASCII aliases hold only letters, digits, `_` and `-`: literals in a pattern.
          new RegExp(`(?<![a-z0-9_-])(?:${ascii.join('|')})(?![a-z0-9_-])`, 'gi');
  }

  /** The aliases `text` mentions, each once, or undefined when it names none. */
  find(text: string): string[] | undefined {
    // No non-ASCII alias can be named by an ASCII text (a key is already NFKC).
    const ascii = isAscii(text);
    if (ascii && this.none) return undefined;
    const pattern = this.pattern;
    if (!ascii || pattern === null) return mentionsAmong(text, this.keys);
    let found: string[] | undefined;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const key = m[0].toLowerCase();
      if (!found?.includes(key)) (found ??= []).push(key);
    }
    return found;
  }
}

/**
 * Whether `s` is all ASCII: its UTF-8 length equals its length only then.
 * Node counts that natively in tens of nanoseconds for 500 characters, where
 * a pattern for a non-ASCII character took 0.5 µs, 3 % of the ingest profile.
 */
function isAscii(s: string): boolean {
  return Buffer.byteLength(s) === s.length;
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
 * as aliases are. ASCII text (nearly every message) is walked character by
 * character, lowering as it goes and hashing each word, so a word that no
 * key of `among` can be (mayHaveHash) is never made into a string: making
 * and lowering one string per word cost 16 µs for 500 characters of prose
 * (docs/performance.md, fifth pass). The first non-ASCII character sends the
 * whole text to the Unicode path.
 */
function visitCandidates(
  text: string,
  visit: (candidate: string) => void,
  among?: KeyLookup,
): void {
  // Called as a method, not through a bound function: that call per word
  // cost more than the lookups it saves.
  const hashed = among?.mayHaveHash ? (among as Required<KeyLookup>) : undefined;
  let start = -1;
  let hash = 0;
  let dotted = false;
  const n = text.length;
  // One step past the end (code 0, not an alias character) ends the last word.
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0;
    if (c >= 0x80) {
      for (const [r] of foldKey(text).matchAll(RUN)) visitRun(r, visit);
      return;
    }
    const lower = ALIAS_ASCII[c]!;
    if (lower !== 0) {
      if (start < 0) {
        start = i;
        hash = FNV_OFFSET;
        dotted = false;
      }
      if (lower === DOT) dotted = true;
      hash = Math.imul(hash ^ lower, FNV_PRIME);
      continue;
    }
    if (start < 0) continue;
    // A word with dots names its parts and their sequences (visitRun); one
    // without is a candidate itself, unless too long for an alias.
    if (dotted) visitRun(text.slice(start, i).toLowerCase(), visit);
    else if (
      i - start <= MAX_CANDIDATE &&
      (hashed === undefined || hashed.mayHaveHash(hash >>> 0))
    ) {
      visit(text.slice(start, i).toLowerCase());
    }
    start = -1;
  }
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
