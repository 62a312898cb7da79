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
}

/**
 * The keys of `among` that `text` mentions (same rule as mentionedKeys), or
 * undefined when it names none of them. Fan-out looks every message up in the
 * online users by key, so no set of the message's words is built (most
 * messages name nobody, and each word would cost an insert).
 */
export function mentionsAmong(text: string, among: KeyLookup): string[] | undefined {
  let found: string[] | undefined;
  visitCandidates(text, (candidate) => {
    if (among.has(candidate) && !found?.includes(candidate)) (found ??= []).push(candidate);
  });
  return found;
}

/**
 * Mentions of a few known aliases (a room's members), by the rule of
 * mentionsAmong. An ASCII text is searched for the aliases themselves with
 * one expression, where the word scan makes and lowers a string per word:
 * 16 µs for 500 characters of prose, against under 1 µs
 * (docs/performance.md, fifth pass). Texts and alias sets the expression does
 * not cover go to the word scan.
 */
export class MentionFinder {
  /** Most aliases searched with one expression; a bigger room has its words scanned. */
  static readonly MAX_KEYS = 64;

  private readonly keys: ReadonlySet<string>;
  /**
   * The ASCII aliases between word boundaries (a `.` is one, as in
   * visitRun), or null when a text must go to the word scan anyway: an alias
   * holding a dot can overlap another match ("j.doe" names `j` too), which
   * one pass of an expression would miss.
   */
  private readonly pattern: RegExp | null;
  private readonly none: boolean;

  constructor(keys: Iterable<string>) {
    this.keys = new Set(keys);
    const ascii = [...this.keys].filter(isAscii);
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

/**
 * Runs of ASCII alias characters in either case, or the first non-ASCII
 * character, which sends the text to the Unicode path. (With `i` and without
 * `u`, no non-ASCII character matches an ASCII class: ECMAScript's
 * case-insensitive matching never folds one into ASCII.)
 */
// eslint-disable-next-line no-control-regex -- the whole ASCII range, negated
const ASCII_RUN = /[a-z0-9_.-]+|[^\x00-\x7f]/gi;

/**
 * Hand every candidate of `text` to `visit` (possibly more than once), folded
 * as aliases are. ASCII text (nearly every message) is scanned with plain
 * ASCII classes, much cheaper than the Unicode property classes, and only a
 * run that can be an alias is lowered (foldKey does no more to ASCII): no
 * lowered copy of the whole text, which halved this scan (docs/performance.md,
 * fourth pass).
 */
function visitCandidates(text: string, visit: (candidate: string) => void): void {
  // One native call for all runs: an exec() loop made a match array per word.
  const runs = text.match(ASCII_RUN);
  if (!runs) return;
  for (const run of runs) {
    if (run.charCodeAt(0) >= 0x80) {
      for (const [r] of foldKey(text).matchAll(RUN)) visitRun(r, visit);
      return;
    }
    // Too long to be an alias, and no dot to split it into shorter ones: no copy at all.
    if (run.length > MAX_CANDIDATE && !run.includes('.')) continue;
    visitRun(run.toLowerCase(), visit);
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
