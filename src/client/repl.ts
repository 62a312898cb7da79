/**
 * The terminal side of chat-client: reads typed lines with readline and prints
 * display text without garbling what the user is typing (issue 2 §3). In a
 * terminal it also owns raw input: pastes of several lines are taken out
 * before readline sees them (paste.ts) and reported whole, and Tab asks the
 * completer. It knows nothing of the protocol; app.ts wires it to the Connection.
 */
import { EventEmitter } from 'node:events';
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, PasteParser } from './paste.js';

/** Events of a Repl. */
export interface ReplEvents {
  /** A line the user entered. */
  line: [string];
  /** Several lines pasted at once (with the draft they were pasted into): one message. */
  paste: [string];
  /** The user wants to leave: Ctrl-D, Ctrl-C, or the end of piped input. */
  end: [];
}

/** Where a Repl reads and writes; process.stdin/stdout in the real client. */
export interface ReplStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  output: NodeJS.WritableStream;
  /** Whether output is a terminal, so the prompt can be redrawn in place. */
  terminal: boolean;
  /** Tab completion of the line up to the cursor (readline's completer contract). */
  completer?: (line: string) => [string[], string];
}

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

/** readline input with a prompt, and output that never tears the line being typed. */
export class Repl extends EventEmitter<ReplEvents> {
  private readonly rl: readline.Interface;
  private readonly input: ReplStreams['input'];
  private readonly output: NodeJS.WritableStream;
  private readonly terminal: boolean;
  /** Terminal input after pastes are taken out; what readline reads. */
  private readonly keys?: PassThrough;
  /** Give the terminal back (set by interceptPastes): raw mode off, input paused. */
  private release: () => void = () => undefined;
  private closed = false;

  constructor(streams: ReplStreams, prompt: string) {
    super();
    this.input = streams.input;
    this.output = streams.output;
    this.terminal = streams.terminal;
    if (this.terminal) this.keys = this.interceptPastes();
    this.rl = readline.createInterface({
      input: this.keys ?? streams.input,
      output: streams.terminal ? streams.output : undefined,
      terminal: streams.terminal,
      prompt,
      // Piped input may use CRLF; one line, not two.
      crlfDelay: Infinity,
      historySize: 100,
      ...(streams.completer ? { completer: streams.completer } : {}),
    });
    this.rl.on('line', (line) => {
      if (this.terminal) this.eraseEntered(line);
      this.emit('line', line);
      if (this.terminal && !this.closed) this.rl.prompt();
    });
    // Ctrl-C would otherwise only pause readline; here it leaves, like Ctrl-D.
    this.rl.on('SIGINT', () => this.emit('end'));
    this.rl.on('close', () => {
      // Leave no prompt behind for the shell to print after.
      if (this.terminal) this.wipe();
      this.release();
      if (!this.closed) {
        this.closed = true;
        this.emit('end');
      }
    });
  }

  /** Show the prompt, and ask the terminal to mark pastes (terminal only). */
  start(): void {
    if (!this.terminal) return;
    this.output.write(BRACKETED_PASTE_ON);
    this.rl.prompt();
  }

  /** Ring the terminal bell (terminal only: a BEL in a file or pipe is noise). */
  bell(): void {
    if (this.terminal && !this.closed) this.output.write('\x07');
  }

  /** Change the prompt, e.g. when the current room changes. */
  setPrompt(prompt: string): void {
    this.rl.setPrompt(prompt);
    if (this.terminal && !this.closed) this.rl.prompt(true);
  }

  /**
   * Print display text above the input line: erase the prompt and partial
   * input (all the rows it wraps over), print, then redraw them with the
   * cursor where it was.
   */
  print(text: string): void {
    if (!this.terminal || this.closed) {
      this.output.write(text + '\n');
      return;
    }
    const rows = this.wipe();
    // readline's redraw first moves up to the row the cursor was on; these
    // blank rows are where it lands, so the text above stays intact.
    this.output.write(text + '\n' + '\n'.repeat(rows));
    this.rl.prompt(true);
  }

  /** Stop reading input and restore the terminal. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rl.close();
  }

  /**
   * Read the terminal ourselves (raw, as readline would) and pass readline
   * only the keys: a paste goes through readline's line editing no more,
   * where each pasted line would be sent on its own and a pasted Tab would
   * complete.
   */
  private interceptPastes(): PassThrough {
    const keys = new PassThrough();
    const parser = new PasteParser();
    const decoder = new StringDecoder('utf8');
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const piece of parser.feed(text)) {
        // A PassThrough in flowing mode hands written keys to readline at
        // once, so a paste's draft holds every key typed before it.
        if (piece.kind === 'keys') keys.write(piece.text);
        else this.pasted(piece.text);
      }
    };
    const onEnd = (): void => {
      keys.end();
    };
    this.input.on('data', onData);
    this.input.once('end', onEnd);
    this.release = () => {
      this.input.off('data', onData);
      this.input.off('end', onEnd);
      this.input.pause();
      if (this.input.isTTY) this.input.setRawMode?.(false);
      this.output.write(BRACKETED_PASTE_OFF);
    };
    if (this.input.isTTY) this.input.setRawMode?.(true);
    // A 'data' listener alone does not restart a stream paused before (readSecret pauses stdin).
    this.input.resume();
    return keys;
  }

  /** A paste: merged into the draft at the cursor, the draft cleared, the whole reported. */
  private pasted(text: string): void {
    if (this.closed) return;
    const draft = this.rl.line;
    const cursor = this.rl.cursor;
    const whole = draft.slice(0, cursor) + text + draft.slice(cursor);
    // Ctrl-E then Ctrl-U: readline's own way to empty the line and redraw the prompt.
    this.rl.write(null, { ctrl: true, name: 'e' });
    this.rl.write(null, { ctrl: true, name: 'u' });
    this.emit('paste', whole);
  }

  /** Erase the prompt and partial input; returns the row the cursor was on within them. */
  private wipe(): number {
    const rows = this.rl.getCursorPos().rows;
    readline.moveCursor(this.output, 0, -rows);
    readline.cursorTo(this.output, 0);
    readline.clearScreenDown(this.output);
    return rows;
  }

  /**
   * On Enter readline leaves the prompt and the entered line on screen; the
   * client prints the line itself once the server has it (render.ts), so the
   * raw echo is removed rather than shown twice.
   */
  private eraseEntered(line: string): void {
    // Like readline itself: an output that reports no width never wraps.
    const columns = (this.output as NodeJS.WriteStream).columns || Infinity;
    const width = displayWidth(this.rl.getPrompt()) + displayWidth(line);
    readline.moveCursor(this.output, 0, -rowsFor(width, columns));
    readline.cursorTo(this.output, 0);
    readline.clearScreenDown(this.output);
  }
}
