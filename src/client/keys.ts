/**
 * Cutting terminal input into single key presses (issue 9 §1). readline's
 * line editor mishandles several characters arriving in one chunk when the
 * cursor is not at the end of the line (Node 20: `abcdef`, Left ×3, `XYZ` in
 * one read gave `abcdeZfXY`), which fast typing, a paste or an input method
 * all cause. Handing it one key at a time is what it handles right. Pure.
 */

/**
 * One key: an escape sequence (CSI `ESC [ … final`, with the Linux console's
 * `ESC [ [ x`; SS3 `ESC O x`; either after a second ESC for Alt), an Alt
 * chord (`ESC x`), a lone ESC, or one code point (a surrogate pair whole).
 */
// eslint-disable-next-line no-control-regex -- terminal escapes are the point
const KEY = /\x1b{1,2}(?:\[\[?[0-9;?<=>]*[ -/]*[@-~]|O[ -~]|[^\x1b])?|[^]/gu;

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
