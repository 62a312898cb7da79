/**
 * `new Date(ms).toISOString()` for the hot path. Every message event carries
 * its time stamp as an ISO string (docs/protocol.md §4); formatting a Date
 * cost about 2 µs per message in the ingest bench (docs/performance.md,
 * third pass). Messages of one minute share everything up to the seconds,
 * so the last minute's prefix is kept and only seconds and milliseconds are
 * written. And a busy room's messages share their millisecond (35 a
 * millisecond at the ingest bench's rate, a message's event and its ack
 * each asking): the last answer is kept whole, one string fewer to build
 * and collect per call (docs/performance.md, thirteenth pass).
 */

/** The first millisecond of the cached minute, and its ISO prefix `YYYY-MM-DDTHH:MM:`. */
let minuteStart = Number.NaN;
let minutePrefix = '';
/** The last call's input and answer. */
let lastMs = Number.NaN;
let lastIso = '';

/** Exactly what `new Date(ms).toISOString()` returns (and throws), faster within a minute. */
export function isoTime(ms: number): string {
  if (ms === lastMs) return lastIso;
  const offset = ms - minuteStart;
  if (offset >= 0 && offset < 60_000 && Number.isInteger(ms)) {
    const seconds = Math.floor(offset / 1000);
    const millis = offset - seconds * 1000;
    lastMs = ms;
    lastIso =
      minutePrefix +
      (seconds < 10 ? '0' : '') +
      seconds +
      (millis < 10 ? '.00' : millis < 100 ? '.0' : '.') +
      millis +
      'Z';
    return lastIso;
  }
  const iso = new Date(ms).toISOString();
  // Four-digit years only (the prefix's length is fixed); others are formatted each time.
  if (Number.isInteger(ms) && iso.length === 24) {
    minuteStart = ms - (((ms % 60_000) + 60_000) % 60_000);
    minutePrefix = iso.slice(0, 17);
  }
  return iso;
}
