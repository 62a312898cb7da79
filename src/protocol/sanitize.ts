/**
 * docs/protocol.md §1: user text may not carry anything a terminal interprets.
 * Removed: ANSI/VT escape sequences (CSI, OSC, DCS/SOS/PM/APC strings and
 * two-byte ESC forms, in 7-bit and 8-bit C1 spellings), every other C0 control
 * except TAB, DEL, C1 controls (NEL U+0085 included), the line and paragraph
 * separators U+2028/U+2029, and the bidi embedding/override/isolate marks
 * that can make text display in an order other than the one sent.
 */
const ESCAPES = new RegExp(
  [
    // CSI: ESC [ or 8-bit CSI, parameters, intermediates, one final byte.
    '(?:\\x1b\\[|\\x9b)[\\x30-\\x3f]*[\\x20-\\x2f]*[\\x40-\\x7e]?',
    // OSC, DCS, SOS, PM, APC: a string ended by BEL or ST (or the end of the line).
    '(?:\\x1b[\\]PX^_]|[\\x90\\x98\\x9d\\x9e\\x9f])[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)?',
    // Other ESC sequences: intermediates then one final byte.
    '\\x1b[\\x20-\\x2f]*[\\x30-\\x7e]?',
    // Remaining C0 (not TAB), DEL, C1.
    '[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f]',
    // Bidi embeddings, overrides and isolates.
    '[\\u202a-\\u202e\\u2066-\\u2069]',
    // Line and paragraph separators (Zl, Zp: U+2028, U+2029 are the only ones).
    // A client that splits lines the Unicode way would start a new line there,
    // and a forged `* Bob is now an operator` after it would look like the
    // server's. NEL (U+0085) is C1 and already removed above.
    '[\\u2028\\u2029]',
  ].join('|'),
  'g',
);

/**
 * Every character a match of ESCAPES can start with (ESC and the 8-bit
 * introducers are C0/C1), plus CR and LF. Text without any of them, nearly
 * every chat line, is returned as is: one scan for a character class instead
 * of trying ESCAPES' alternation at every position (the ingest profile had
 * that regex at 4 % of the server's time, docs/performance.md).
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const ACTIVE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

/**
 * Strip every terminal-active sequence from user text, and make a lone
 * UTF-16 surrogate (a JSON `\ud800` escape; UTF-8 cannot carry one) U+FFFD,
 * as invalid UTF-8 is (§1): strict JSON readers refuse it, and text mode
 * showed U+FFFD for it already (found by a conformance audit).
 */
export function sanitizeText(text: string): string {
  return strip(text.isWellFormed() ? text : text.toWellFormed());
}

/** sanitizeText's second half, for text already well formed. */
function strip(text: string): string {
  return ACTIVE.test(text) ? text.replace(ESCAPES, '') : text;
}

/** Like sanitizeText, but keeps the line breaks of a multi-line message (§6). */
export function sanitizeLines(text: string): string {
  const whole = text.isWellFormed() ? text : text.toWellFormed();
  if (!ACTIVE.test(whole)) return whole;
  return whole.split(/\r?\n/u).map(strip).join('\n');
}

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const WILL = 0xfb;
const DONT = 0xfe;

/** Telnet commands are the bytes 0xF0 (SE) to 0xFF (IAC) after an IAC (RFC 854). */
const FIRST_COMMAND = SE;

/**
 * Remove telnet IAC negotiation from one raw line (RFC 854): `IAC WILL|WONT|
 * DO|DONT opt` is three bytes, `IAC SB … IAC SE` is a subnegotiation, any
 * other `IAC command` is two bytes. `IAC IAC`, and an IAC before a byte that
 * is no telnet command (or at the end), stand for a 0xFF byte, kept: it is
 * invalid UTF-8, so it reads as U+FFFD (§1), and the byte after it is text.
 * Returns the input unchanged (no copy) when there is no IAC.
 */
export function stripTelnet(line: Buffer): Buffer {
  let i = line.indexOf(IAC);
  if (i < 0) return line;
  const out = Buffer.allocUnsafe(line.length);
  line.copy(out, 0, 0, i);
  let o = i;
  while (i < line.length) {
    const b = line[i]!;
    if (b !== IAC) {
      out[o++] = b;
      i++;
      continue;
    }
    const cmd = line[i + 1];
    if (cmd === undefined || cmd < FIRST_COMMAND) {
      out[o++] = IAC;
      i++;
    } else if (cmd === IAC) {
      out[o++] = IAC;
      i += 2;
    } else if (cmd >= WILL && cmd <= DONT) {
      i += 3;
    } else if (cmd === SB) {
      let j = i + 2;
      while (j < line.length && !(line[j] === IAC && line[j + 1] === SE)) j++;
      i = j + 2;
    } else {
      i += 2;
    }
  }
  return out.subarray(0, o);
}

/** A text-mode frame as text: telnet negotiation removed, then UTF-8 (invalid bytes become U+FFFD). */
export function frameText(frame: Buffer): string {
  return stripTelnet(frame).toString('utf8');
}
