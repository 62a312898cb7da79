/**
 * Cutting terminal input into single key presses (issue 9 §1). readline's
 * line editor mishandles several characters arriving in one chunk when the
 * cursor is not at the end of the line (Node 20: `abcdef`, Left ×3, `XYZ` in
 * one read gave `abcdeZfXY`), which fast typing, a paste or an input method
 * all cause. Handing it one key at a time is what it handles right. Pure.
 */

/**
 * One key: an escape sequence (CSI `ESC [ … final`, with the Linux console's
 * `ESC [ [ x`; SS3 `ESC O x`; either after a second ESC for Alt), a control
 * string (OSC, DCS, SOS, PM, APC: `ESC ] … BEL` or `… ESC \`, whole), an Alt
 * chord (`ESC x`), a lone ESC, or one code point (a surrogate pair whole).
 */
const KEY =
  // eslint-disable-next-line no-control-regex -- terminal escapes are the point
  /\x1b{1,2}(?:\[\[?[0-9;?<=>]*[ -/]*[@-~]|O[ -~]|[\]PX^_](?:[^\x07\x1b]|\x1b(?!\\))*(?:\x07|\x1b\\)?|[^\x1b])?|[^]/gu;

/** Final bytes of the CSI sequences keyboards send (arrows, Home/End, F-keys, `~` keys, kitty's `u`). */
const KEY_FINALS = /[A-HPQRSZ~u]$/u;

/**
 * A sequence no key sends: a control string, or a CSI such as a colour
 * (`ESC [ 1 ; 31 m`) typed or pasted into the input line. readline took
 * part of one as a key and typed the rest (`mred`, `0;window title`), which
 * everyone then read; dropped whole instead, as the server strips them (§1).
 */
export function isInert(key: string): boolean {
  // eslint-disable-next-line no-control-regex -- terminal escapes are the point
  const body = key.replace(/^\u001b{1,2}/u, '');
  if (body.length === key.length) return false;
  if (/^[\]PX^_]/u.test(body)) return true;
  return body.startsWith('[') && body.length > 1 && !KEY_FINALS.test(body);
}

/** The key presses in `text`, in order; joined again they give `text`. */
export function splitKeys(text: string): string[] {
  return text.match(KEY) ?? [];
}

/** How many code points `text` has: the Left presses that move the cursor over it. */
export function codePoints(text: string): number {
  return [...text].length;
}

/** Left arrow, as a terminal sends it. */
export const LEFT = '\x1b[D';
