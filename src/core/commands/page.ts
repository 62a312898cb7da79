/**
 * One page of a sorted listing (§6 "Paging"): `/rooms` and `/who *` answer
 * at most `limit` entries after `cursor`, and say where the next page starts,
 * so a 28-byte request can no longer buy a reply of megabytes.
 */
import { DEFAULT_PAGE } from '../../protocol/commands.js';

export interface Page<T> {
  items: T[];
  total: number;
  /** The key of the last item shown, when more follow. */
  next?: string;
}

/** Entries sorted by `key` (code point order of folded names), from after `cursor`. */
export function page<T>(
  entries: Iterable<T>,
  key: (t: T) => string,
  cursor: string | undefined,
  limit = DEFAULT_PAGE,
): Page<T> {
  const all = [...entries].map((t) => [key(t), t] as const);
  all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const from = cursor === undefined ? 0 : all.findIndex(([k]) => k > cursor);
  const rest = from < 0 ? [] : all.slice(from);
  const shown = rest.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    items: shown.map(([, t]) => t),
    total: all.length,
    ...(rest.length > limit && last && { next: last[0] }),
  };
}
