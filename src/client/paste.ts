/**
 * Pastes (issue 3 §7): several lines pasted at once become one multi-line
 * message (§6), not one message per line. Terminals in bracketed paste mode
 * (`ESC [ ? 2004 h`) wrap a paste in `ESC [ 200 ~` … `ESC [ 201 ~`, and
 * nearly every terminal does (xterm, VTE, Konsole, iTerm2, kitty, Windows
 * Terminal, PuTTY, tmux). Lines arriving in one read without the markers are
 * typed lines, each run as typed: keys typed ahead while the client starts,
 * or delayed by a laggy link, arrive together, and taking them for a paste
 * posted `/msg Ann …` and `/join #x` to the room as text (a hands-on
 * trial). Only a block of PASTE_MIN_LINES lines or more in one read, which
 * no one types, is taken as a paste from a terminal without the mode, and
 * only until the terminal has shown that it has the mode. Pure: repl.ts
 * feeds raw input in and acts on the pieces.
 */

/** Turn bracketed paste mode on (sent to the terminal when the client starts). */
export const BRACKETED_PASTE_ON = '\x1b[?2004h';
/** Turn it off again on exit, so the shell does not receive the markers. */
export const BRACKETED_PASTE_OFF = '\x1b[?2004l';

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/**
 * Outside a paste, a chunk ending in this much of PASTE_START is held back
 * until the next chunk. Shorter tails (`ESC`, `ESC [`) are ordinary keys
 * (Escape, Alt-[) that must not wait for the next key press.
 */
const MIN_HELD_START = 3;

/** Any line break a terminal or a pipe may send. */
const LINE_BREAK = /\r\n|\r|\n/u;

/** Control characters other than TAB, CR and LF: signs of keys (arrows, Ctrl-x), not pasted text. */
// eslint-disable-next-line no-control-regex -- detecting control characters is the point
const KEY_CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/u;

/**
 * A piece of terminal input: keys for readline; a pasted piece of one line
 * (`text`, perhaps ending in an Enter) for readline to insert whole; or a
 * pasted multi-line text, `complete` when it ended with a line break (an
 * Enter of its own), else its last line still waits for the user's Enter.
 */
export type InputPiece =
  | { kind: 'keys'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'paste'; text: string; complete: boolean };

/** A line break at the very end of a pasted piece. */
const FINAL_BREAK = /(?:\r\n|\r|\n)$/u;

/** The longest suffix of `text` that is a proper prefix of `marker`, if at least `min` long. */
function heldTail(text: string, marker: string, min: number): number {
  for (let n = Math.min(marker.length - 1, text.length); n >= min; n--) {
    if (text.endsWith(marker.slice(0, n))) return n;
  }
  return 0;
}

/**
 * Classify pasted `text`: with a line break between two lines it is a paste
 * (line breaks normalized to `\n`, blank lines around it dropped). A single
 * line, with or without a final Enter, is `text` for readline to insert in
 * one go: key by key, each key redraws the whole line, which for a line of
 * thousands of characters takes seconds and scrolls copies of the prompt.
 * Anything else (control keys, several Enters, which may start a secret
 * prompt mid-way) is handed to readline as typed keys. Tabs become spaces
 * either way (a pasted Tab is text, not a request to complete).
 */
export function pastePiece(text: string): InputPiece {
  const lines = text.split(LINE_BREAK);
  const complete = lines.length > 1 && (lines[lines.length - 1] ?? '').trim() === '';
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  while (lines.length > 0 && (lines[0] ?? '').trim() === '') lines.shift();
  if (lines.length > 1) return { kind: 'paste', text: lines.join('\n'), complete };
  const spaced = text.replace(/\t/gu, ' ');
  const oneLine = !LINE_BREAK.test(spaced.replace(FINAL_BREAK, ''));
  return { kind: oneLine && !KEY_CONTROLS.test(spaced) ? 'text' : 'keys', text: spaced };
}

/**
 * Keys from one read: printable text with at most a final Enter is `text`, to
 * be inserted whole (a terminal without bracketed paste delivers a pasted line
 * this way, in reads of a few KB); anything with a control key, a Tab (which
 * asks to complete) or several characters' worth of editing stays `keys`.
 */
function typedPiece(keys: string): InputPiece {
  const body = keys.replace(FINAL_BREAK, '');
  const printable = body.length > 1 && !KEY_CONTROLS.test(body) && !/[\t\r\n]/u.test(body);
  return { kind: printable ? 'text' : 'keys', text: keys };
}

/**
 * Lines in one read, without paste markers, from which they are taken as a
 * paste: irssi's paste detection starts at five lines too.
 */
const PASTE_MIN_LINES = 5;

/** Whether keys from one read look like pasted lines rather than typing (see the module comment). */
function looksPasted(text: string): boolean {
  if (KEY_CONTROLS.test(text)) return false;
  const lines = text.split(LINE_BREAK).filter((line) => line.trim() !== '');
  return lines.length >= PASTE_MIN_LINES;
}

/** Splits raw terminal input into keys and pastes; feed it every chunk in order. */
export class PasteParser {
  private pasting = false;
  /** The paste being collected. */
  private pasted = '';
  /** A possible marker cut in two by the chunk boundary. */
  private held = '';
  /** The terminal has sent a paste marker: every paste comes marked, so unmarked lines are typed. */
  private bracketed = false;

  /** The pieces `chunk` completes, in input order. */
  feed(chunk: string): InputPiece[] {
    let data = this.held + chunk;
    this.held = '';
    const pieces: InputPiece[] = [];
    while (data !== '') {
      if (this.pasting) {
        const end = data.indexOf(PASTE_END);
        if (end < 0) {
          const keep = heldTail(data, PASTE_END, 1);
          this.pasted += data.slice(0, data.length - keep);
          this.held = data.slice(data.length - keep);
          break;
        }
        this.pasted += data.slice(0, end);
        data = data.slice(end + PASTE_END.length);
        this.pasting = false;
        const text = this.pasted;
        this.pasted = '';
        if (text !== '') pieces.push(pastePiece(text));
        continue;
      }
      const start = data.indexOf(PASTE_START);
      let keys: string;
      if (start < 0) {
        const keep = heldTail(data, PASTE_START, MIN_HELD_START);
        keys = data.slice(0, data.length - keep);
        this.held = data.slice(data.length - keep);
        data = '';
      } else {
        keys = data.slice(0, start);
        data = data.slice(start + PASTE_START.length);
        this.pasting = true;
        this.bracketed = true;
      }
      if (keys !== '') {
        pieces.push(!this.bracketed && looksPasted(keys) ? pastePiece(keys) : typedPiece(keys));
      }
    }
    return pieces;
  }
}

/**
 * Cut a text into messages the server accepts (§6): at most `maxLines` lines
 * each, and each small enough that its JSON request stays under `maxBytes`.
 * A single line too long for one message is cut into several, at a space
 * where there is one near the cut, never inside a character.
 */
export function splitMessage(text: string, maxLines: number, maxBytes: number): string[] {
  // Room for the rest of the request: type, id, a room or nick and an action flag.
  const budget = maxBytes - 512;
  const messages: string[] = [];
  let current: string[] = [];
  // Bytes of `current` as a JSON string, quotes and the `\n`s between lines included.
  let size = 2;
  const flush = (): void => {
    if (current.length > 0) messages.push(current.join('\n'));
    current = [];
    size = 2;
  };
  for (const line of text.split('\n')) {
    const bytes = jsonBytes(line);
    if (bytes + 2 > budget) {
      flush();
      messages.push(...cutLine(line, budget - 2));
      continue;
    }
    const grown = size + bytes + (current.length > 0 ? 2 : 0);
    if (current.length > 0 && (current.length >= Math.max(1, maxLines) || grown > budget)) flush();
    size += bytes + (current.length > 0 ? 2 : 0);
    current.push(line);
  }
  flush();
  // A message of blank lines only would be refused; they separate nothing here.
  return messages.filter((m) => m.trim() !== '');
}

/** Bytes `text` takes inside a JSON string (JSON.stringify's escapes, UTF-8). */
function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2;
}

/**
 * Cut one line into pieces of at most `limit` JSON bytes each. A piece ends
 * after the last space in its second half when there is one, so words stay
 * whole; otherwise at the code point that would overflow.
 */
function cutLine(line: string, limit: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let bytes = 0;
  let lastSpace = -1;
  for (const ch of line) {
    const cost = jsonBytes(ch);
    if (bytes + cost > limit && piece !== '') {
      let cut = lastSpace > piece.length / 2 ? lastSpace + 1 : piece.length;
      // The words kept for the next piece must leave room for this character.
      if (jsonBytes(piece.slice(cut)) + cost > limit) cut = piece.length;
      pieces.push(piece.slice(0, cut));
      piece = piece.slice(cut);
      bytes = jsonBytes(piece);
      lastSpace = piece.lastIndexOf(' ');
    }
    if (ch === ' ') lastSpace = piece.length;
    piece += ch;
    bytes += cost;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}
