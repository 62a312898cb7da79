import { ChatError } from '../protocol/errors.js';

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };

/**
 * `30m`, `1h`, `7d`… as milliseconds (ban expiry, `audit --since`); undefined when `word` is not one.
 * NFKC first: a CJK input method types `１０ｍ`, which means what `10m` does.
 */
export function parseDuration(word: string): number | undefined {
  const m = /^(\d{1,6})([smhdw])$/u.exec(word.trim().normalize('NFKC'));
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

/**
 * The duration a typed `/ban` or `/mute` line may start its reason with, and
 * the rest. A first word that starts with a number but is no duration
 * (`1h30m`, `90`, `10min`, `1hr`, `-5m`) is refused: taken as the reason's
 * first word it made the ban silently permanent.
 */
export function leadingDuration(line: string): { ms: number | undefined; rest: string } {
  const [first, after] = splitWord(line);
  const ms = parseDuration(first);
  if (ms !== undefined) return { ms, rest: after };
  if (/^[-+]?\p{Nd}/u.test(first.normalize('NFKC'))) {
    throw new ChatError(
      'bad_request',
      `Not a duration: ${first} (use one number and unit: 30m, 1h, 7d, 2w); a reason that starts with a number needs a duration first`,
    );
  }
  return { ms: undefined, rest: line.trim() };
}

/**
 * A ban's or mute's duration: none (permanent) or more than zero. `0m`
 * ended at once: acked "until now", it kicked no one and listed nothing.
 */
export function banDuration(ms: number | undefined): number | undefined {
  if (ms === 0) {
    throw new ChatError(
      'bad_request',
      'A duration must be more than 0 (30m, 1h, 7d); leave it out for no end',
    );
  }
  return ms;
}

/** The first word of a typed line and the rest (`['', '']` for a blank one). */
export function splitWord(s: string): [string, string] {
  const m = /^(\S+)\s*([\s\S]*)$/u.exec(s.trim());
  return m ? [m[1]!, m[2]!] : ['', ''];
}
