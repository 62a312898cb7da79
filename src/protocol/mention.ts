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
 * Runs of alias characters in lowered ASCII text (where `\p{L}\p{M}\p{N}`
 * are letters and digits), or the first non-ASCII character, which sends the
 * text to the Unicode path.
 */
// eslint-disable-next-line no-control-regex -- the whole ASCII range, negated
const ASCII_RUN = /[a-z0-9_.-]+|[^\x00-\x7f]/g;

/**
 * Hand every candidate of `text` to `visit` (possibly more than once), folded
 * as aliases are. ASCII text (nearly every message) is only lowered (foldKey
 * does no more to it) and scanned with plain ASCII classes, much cheaper than
 * the Unicode property classes.
 */
function visitCandidates(text: string, visit: (candidate: string) => void): void {
  const lower = text.toLowerCase();
  ASCII_RUN.lastIndex = 0;
  for (let m = ASCII_RUN.exec(lower); m !== null; m = ASCII_RUN.exec(lower)) {
    const run = m[0];
    if (run.charCodeAt(0) >= 0x80) {
      for (const [r] of foldKey(text).matchAll(RUN)) visitRun(r, visit);
      return;
    }
    visitRun(run, visit);
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
