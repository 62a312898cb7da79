/**
 * Tab completion for the input line (issue 3 §7): commands after a leading
 * `/`, room names for a word starting with `#`, nicknames otherwise. Pure: the
 * candidates come from the caller (the command table and the Roster).
 */

/** What can be completed, as the user should see it written. */
export interface Candidates {
  /** Command names without the slash. */
  commands: readonly string[];
  /** Nicknames, most relevant first (the current room's members before others). */
  nicks: readonly string[];
  /** Room names with their `#`. */
  rooms: readonly string[];
}

/** Case-insensitive prefix matches of `word` in `options`, each once, in the given order. */
function matching(word: string, options: readonly string[]): string[] {
  const prefix = word.toLowerCase();
  const seen = new Set<string>();
  const hits: string[] = [];
  for (const option of options) {
    const key = option.toLowerCase();
    if (!key.startsWith(prefix) || seen.has(key)) continue;
    seen.add(key);
    hits.push(option);
  }
  return hits;
}

/**
 * readline's completer contract: `[completions, word]` for the `line` up to
 * the cursor, where `word` is the part being completed. A single match is
 * returned with what naturally follows it (a space, or `: ` after a nickname
 * that starts the line, as IRC users expect), so one Tab finishes the word.
 * readline replaces `word` when the match differs in case, so `bo` becomes `Bob`.
 */
export function complete(line: string, candidates: Candidates): [string[], string] {
  const word = /\S*$/u.exec(line)?.[0] ?? '';
  if (word === '') return [[], word];
  const first = line.length === word.length || line.slice(0, -word.length).trim() === '';
  let hits: string[];
  let suffix = ' ';
  if (word.startsWith('/')) {
    if (!first) return [[], word];
    hits = matching(word.slice(1), candidates.commands).map((c) => `/${c}`);
  } else if (word.startsWith('#')) {
    hits = matching(word, candidates.rooms);
  } else {
    hits = matching(word, candidates.nicks);
    if (first) suffix = ': ';
  }
  if (hits.length === 1) return [[`${hits[0]}${suffix}`], word];
  return [hits, word];
}
