/** How many terminal columns and rows text takes (an estimate: terminals differ). Pure. */

/**
 * Display width of a string: wide East Asian characters and emoji take two
 * columns, combining marks none. An estimate, as terminals differ.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) continue;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1f300 && cp <= 0x1faff) ||
      (cp >= 0x20000 && cp <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

/**
 * Terminal rows readline's prompt plus an entered line of `width` columns
 * occupy once Enter is pressed: a line that exactly fills its last row still
 * gets a row below, as readline forces the cursor onto a fresh one.
 */
export function rowsFor(width: number, columns: number): number {
  return Math.floor(width / Math.max(1, columns)) + 1;
}

/** Rows a status line of `width` columns takes, followed by its own line break. */
export function statusRows(width: number, columns: number): number {
  return Math.max(1, Math.ceil(width / Math.max(1, columns)));
}

/** Terminal escapes (colours) take no columns. */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching terminal escapes is the point
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/gu, '');
}

/** Columns a wrapped line's continuation rows are indented by. */
const HANG = 2;

/**
 * The hanging indent for `line`: a row of a two-column list (/help, /who:
 * indented, a left column, two or more spaces, then its text) continues
 * under that text, so the left column stays readable at 80 columns; any
 * other line by HANG.
 */
function hangOf(line: string, columns: number): number {
  const m = /^( +\S+(?: \S+)*? {2,})\S/u.exec(visible(line));
  if (!m) return HANG;
  const w = displayWidth(m[1]!);
  return w <= columns / 2 ? w : HANG;
}

/**
 * Break a display line that is wider than `columns` at spaces, each
 * continuation row indented (hangOf), so a terminal does not cut words
 * in half (/help, long messages and errors at 80 columns). A word wider than
 * a row is left for the terminal to wrap. Colour escapes take no columns;
 * a line that fits is returned as it is.
 */
export function wrapLine(line: string, columns: number): string {
  if (!Number.isFinite(columns) || columns <= HANG + 10) return line;
  if (displayWidth(visible(line)) <= columns) return line;
  const hang = hangOf(line, columns);
  const words = line.split(' ');
  const rows: string[] = [];
  let row = words[0] ?? '';
  let width = displayWidth(visible(row));
  for (const word of words.slice(1)) {
    const w = displayWidth(visible(word));
    // A word wider than a row is the terminal's to wrap: breaking before it gains nothing.
    if (width + 1 + w > columns && row.trim() !== '' && hang + w <= columns) {
      rows.push(row);
      row = ' '.repeat(hang) + word;
      width = hang + w;
    } else {
      row += ' ' + word;
      width += 1 + w;
    }
  }
  rows.push(row);
  return rows.join('\n');
}
