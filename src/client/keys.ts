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

/**
 * The editing keys that step over one character, and which side of the
 * cursor that character is on. readline steps over one code point; a
 * character as the user sees it (an emoji with a skin tone, a flag, a family)
 * is a grapheme cluster of several (stepsFor).
 */
const STEP_KEYS: Readonly<Record<string, 'before' | 'after'>> = {
  '\x7f': 'before', // Backspace
  '\b': 'before', // Ctrl-H
  '\x1b[3~': 'after', // Delete
  [LEFT]: 'before',
  '\x1bOD': 'before',
  '\x1b[C': 'after', // Right
  '\x1bOC': 'after',
};

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * How many times to hand readline `key` so that it steps over a whole
 * character at `cursor` (a UTF-16 index into `line`): one Backspace deletes
 * 👍🏽, not its skin tone only (a hands-on trial). 1 for every other key.
 */
export function stepsFor(key: string, line: string, cursor: number): number {
  const side = STEP_KEYS[key];
  if (side === undefined) return 1;
  let cluster = '';
  if (side === 'before') {
    for (const { segment } of GRAPHEMES.segment(line.slice(0, cursor))) cluster = segment;
  } else {
    for (const { segment } of GRAPHEMES.segment(line.slice(cursor))) {
      cluster = segment;
      break;
    }
  }
  return Math.max(1, codePoints(cluster));
}
