const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };

/** `30m`, `1h`, `7d`… as milliseconds (ban expiry, `audit --since`); undefined when `word` is not one. */
export function parseDuration(word: string): number | undefined {
  const m = /^(\d{1,6})([smhdw])$/u.exec(word.trim());
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}
