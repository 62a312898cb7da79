/**
 * Mentions (docs/protocol.md §4 `message.mention`): which aliases a message
 * names as whole words, found once per message so a room of any size costs
 * one scan of the text and one set lookup per member, never one regular
 * expression per member.
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

/**
 * The folded keys `text` mentions: every run of alias characters, and every
 * sequence of its dot-separated parts (so "j.doe." yields `j`, `doe`,
 * `j.doe`, `j.doe.`, …). A member is mentioned when its alias key is in the set.
 */
export function mentionedKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const [run] of foldKey(text).matchAll(RUN)) {
    if (!run.includes('.')) {
      if (run.length <= MAX_CANDIDATE) keys.add(run);
      continue;
    }
    const parts = run.split('.');
    for (let i = 0; i < parts.length; i++) {
      let candidate = parts[i]!;
      if (candidate) keys.add(candidate);
      for (let j = i + 1; j < parts.length; j++) {
        candidate += '.' + parts[j]!;
        if (candidate.length > MAX_CANDIDATE) break;
        keys.add(candidate);
      }
    }
  }
  return keys;
}
