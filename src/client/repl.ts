/**
 * The terminal side of chat-client: reads typed lines with readline and prints
 * display text without garbling what the user is typing (issue 2 §3). In a
 * terminal it also owns raw input: pastes of several lines are taken out
 * before readline sees them (paste.ts) and reported whole, keys reach readline
 * one at a time (keys.ts), and Tab asks the completer. Between the output and
 * the prompt it keeps a status area redrawn in place (reconnecting, lines not
 * yet acknowledged, a paste waiting for Enter). It knows nothing of the
 * protocol; app.ts wires it to the Connection.
 */
import { EventEmitter } from 'node:events';
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { codePoints, LEFT, splitKeys } from './keys.js';
import { displayWidth, rowsFor, statusRows, visible } from './width.js';
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, PasteParser } from './paste.js';
import { SecretAnswers } from './passwd.js';

export { displayWidth, rowsFor } from './width.js';

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
  /** Whether an entered line may be kept for Up-arrow recall (not one holding a password). */
  keepInHistory?: (line: string) => boolean;
}

/** readline input with a prompt, and output that never tears the line being typed. */
export class Repl extends EventEmitter<ReplEvents> {
  private readonly rl: readline.Interface;
  private readonly input: ReplStreams['input'];
  private readonly output: NodeJS.WritableStream;
  /** Whether output is a terminal (prompt, status area and redraws). */
  readonly terminal: boolean;
  /** Terminal input after pastes are taken out; what readline reads. */
  private readonly keys?: PassThrough;
  /** Hand keys to readline one at a time (set by interceptPastes). */
  private type: (text: string) => void = () => undefined;
  /** Give the terminal back (set by interceptPastes): raw mode off, input paused. */
  private release: () => void = () => undefined;
  private closed = false;
  /** The app's status lines (reconnecting, pending lines), above the prompt. */
  private status: string[] = [];
  /** A paste whose last line has no Enter yet: the lines before the draft. */
  private heldPaste?: string[];
  /** Rows the status area took when last drawn. */
  private statusDrawn = 0;
  /** Secret prompts being answered (askSecrets): keys go there, not to readline. */
  private secret?: {
    answers: SecretAnswers;
    /** The prompt to put back afterwards (setPrompt meanwhile changes it). */
    prompt: string;
    resolve: (answers: string[] | undefined) => void;
  };
  /** Inside the handler of an entered line, which draws the prompt itself when done. */
  private inLine = false;

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
    const keep = streams.keepInHistory;
    if (keep) {
      // Emitted with readline's own history array as the line is added, before
      // 'line': the place to take a line holding a password back out of it.
      this.rl.on('history', (history: string[]) => {
        if (history.length > 0 && !keep(history[0] ?? '')) history.shift();
      });
    }
    this.rl.on('line', (line) => {
      if (this.terminal) this.eraseEntered(line);
      const held = this.heldPaste;
      if (held) {
        // Enter sends a held paste, its last line as edited.
        this.heldPaste = undefined;
        this.replaceStatus();
        this.emit('paste', [...held, line].join('\n'));
      } else {
        this.inLine = true;
        try {
          this.emit('line', line);
        } finally {
          this.inLine = false;
        }
      }
      if (this.terminal && !this.closed) this.rl.prompt();
    });
    this.rl.on('SIGINT', () => {
      // Ctrl-C drops a held paste; otherwise (where readline would only pause) it leaves, like Ctrl-D.
      if (this.heldPaste) {
        this.heldPaste = undefined;
        this.clearDraft();
        this.redraw();
      } else {
        this.emit('end');
      }
    });
    this.rl.on('close', () => {
      this.endSecret(true);
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

  /** Replace the status lines shown between the output and the prompt (terminal only). */
  setStatus(lines: string[]): void {
    this.status = lines;
    this.redraw();
  }

  /** Change the prompt, e.g. when the current room changes. */
  setPrompt(prompt: string): void {
    if (this.secret) {
      // Shown again once the secret prompts are answered.
      this.secret.prompt = prompt;
      return;
    }
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
    this.output.write(text + '\n' + this.statusText() + '\n'.repeat(rows));
    this.rl.prompt(true);
  }

  /**
   * Ask `prompts` in turn at the prompt line, without echo (terminal only):
   * the keys typed go to the answers, never to readline or its history.
   * Called from a 'line' listener, it takes the very next key, even one in
   * the same read as that Enter. Resolves with the answers, or undefined
   * when cancelled (Ctrl-C, Ctrl-D, the Repl closed); returns undefined when
   * it cannot ask here (not a terminal, or already asking).
   */
  askSecrets(prompts: readonly string[]): Promise<string[] | undefined> | undefined {
    if (!this.keys || this.closed || this.secret || prompts.length === 0) return undefined;
    const answers = new SecretAnswers(prompts);
    return new Promise((resolve) => {
      this.secret = { answers, prompt: this.rl.getPrompt(), resolve };
      this.rl.setPrompt(answers.prompt ?? '');
      // Within a line's handler the prompt is drawn right after it.
      if (!this.inLine) this.rl.prompt(true);
    });
  }

  /** One key (or a paste) for the secret prompts; the next prompt or the end when answered. */
  private feedSecret(text: string): void {
    const secret = this.secret;
    if (!secret || !secret.answers.feed(text)) return;
    if (secret.answers.finished) return this.endSecret(false);
    this.rl.setPrompt(secret.answers.prompt ?? '');
    this.rl.prompt(true);
  }

  /** Back to typing lines: the room's prompt again, and the answers (none when `cancel`) handed over. */
  private endSecret(cancel: boolean): void {
    const secret = this.secret;
    if (!secret) return;
    this.secret = undefined;
    if (cancel) secret.answers.cancel();
    this.rl.setPrompt(secret.prompt);
    if (this.terminal && !this.closed) this.rl.prompt(true);
    secret.resolve(secret.answers.result);
  }

  /** Draw the status area and the prompt again, in place. */
  private redraw(): void {
    if (!this.terminal || this.closed) return;
    const rows = this.wipe();
    this.output.write(this.statusText() + '\n'.repeat(rows));
    this.rl.prompt(true);
  }

  /** The status area as text (each line with its break), noting how many rows it takes. */
  private statusText(): string {
    const lines = [...this.status, ...(this.heldPaste ?? []).map((l) => `┆ ${l}`)];
    if (this.heldPaste)
      lines.splice(this.status.length, 0, '(paste: Enter sends it, Ctrl-C drops it)');
    const columns = (this.output as NodeJS.WriteStream).columns || Infinity;
    this.statusDrawn = lines.reduce(
      (sum, l) => sum + statusRows(displayWidth(visible(l)), columns),
      0,
    );
    return lines.map((l) => l + '\n').join('');
  }

  /** With the cursor just below the status area (after Enter), draw it anew. */
  private replaceStatus(): void {
    if (!this.terminal) return;
    readline.moveCursor(this.output, 0, -this.statusDrawn);
    readline.cursorTo(this.output, 0);
    readline.clearScreenDown(this.output);
    this.output.write(this.statusText());
  }

  /** Empty readline's line: Ctrl-E then Ctrl-U, its own way to clear and redraw. */
  private clearDraft(): void {
    this.rl.write(null, { ctrl: true, name: 'e' });
    this.rl.write(null, { ctrl: true, name: 'u' });
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
    this.type = (text) => {
      // One key per write: see keys.ts for what readline does with more.
      // Checked per key: an Enter that starts secret prompts sends the rest there.
      for (const key of splitKeys(text)) {
        if (this.secret) this.feedSecret(key);
        else keys.write(key);
      }
    };
    const parser = new PasteParser();
    const decoder = new StringDecoder('utf8');
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const piece of parser.feed(text)) {
        // A PassThrough in flowing mode hands written keys to readline at
        // once, so a paste's draft holds every key typed before it.
        if (piece.kind === 'keys') this.type(piece.text);
        else if (this.secret) this.feedSecret(piece.text + (piece.complete ? '\n' : ''));
        else this.pasted(piece.text, piece.complete);
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

  /**
   * A paste of several lines, merged into the draft at the cursor. Ending with
   * a line break it is reported whole at once; otherwise it waits for Enter:
   * its last line becomes the draft (editable, cursor after the pasted text)
   * and the lines before it are shown in the status area.
   */
  private pasted(text: string, complete: boolean): void {
    if (this.closed) return;
    const draft = this.rl.line;
    const cursor = this.rl.cursor;
    const before = [...(this.heldPaste ?? []), draft.slice(0, cursor)].join('\n');
    const after = draft.slice(cursor);
    this.clearDraft();
    this.heldPaste = undefined;
    if (complete) {
      this.redraw();
      this.emit('paste', before + text + after);
      return;
    }
    const lines = (before + text).split('\n');
    const last = lines.pop() ?? '';
    this.heldPaste = lines;
    this.redraw();
    this.type(last.replace(/\t/gu, ' ') + after + LEFT.repeat(codePoints(after)));
  }

  /** Erase the prompt and partial input; returns the row the cursor was on within them. */
  private wipe(): number {
    const rows = this.rl.getCursorPos().rows;
    readline.moveCursor(this.output, 0, -(rows + this.statusDrawn));
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
