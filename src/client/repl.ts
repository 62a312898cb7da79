/**
 * The terminal side of chat-client: reads typed lines with readline and prints
 * display text without garbling what the user is typing (issue 2 §3). In a
 * terminal, raw input is read before readline (terminal-input.ts): pastes of
 * several lines are reported whole, or held for Enter when they end without
 * one, and secret prompts (secret-prompt.ts) take keys without echo. Tab asks
 * the completer. Between the output and the prompt it keeps a status area
 * redrawn in place (reconnecting, lines not yet acknowledged, a paste waiting
 * for Enter). It knows nothing of the protocol; app.ts wires it to the
 * Connection.
 */
import { EventEmitter } from 'node:events';
import readline from 'node:readline';
import { codePoints, LEFT } from './keys.js';
import { displayWidth, rowsFor, statusRows, visible, wrapLine } from './width.js';
import { BRACKETED_PASTE_ON } from './paste.js';
import { SecretPrompt } from './secret-prompt.js';
import { TerminalInput } from './terminal-input.js';

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
  private readonly output: NodeJS.WritableStream;
  /** Whether output is a terminal (prompt, status area and redraws). */
  readonly terminal: boolean;
  /** The terminal read raw (terminal only): readline reads its keys. */
  private readonly raw?: TerminalInput;
  private closed = false;
  /** The app's status lines (reconnecting, pending lines), above the prompt. */
  private status: string[] = [];
  /** A paste whose last line has no Enter yet: the lines before the draft. */
  private heldPaste?: string[];
  /** Rows the status area took when last drawn. */
  private statusDrawn = 0;
  /** Secret prompts (askSecrets): while answered, keys go there, not to readline. */
  private readonly secret: SecretPrompt;
  /** Inside the handler of an entered line, which draws the prompt itself when done. */
  private inLine = false;

  constructor(streams: ReplStreams, prompt: string) {
    super();
    this.output = streams.output;
    this.terminal = streams.terminal;
    if (this.terminal) {
      this.raw = new TerminalInput(streams.input, streams.output, {
        secretKey: (key) => {
          if (!this.secret.active) return false;
          this.secret.feed(key);
          return true;
        },
        // readline inserts a string written to it in one edit, one redraw.
        text: (text) => {
          if (this.secret.active) this.secret.feed(text);
          else this.rl.write(text);
        },
        paste: (text, complete) => {
          if (this.secret.active) this.secret.feed(text + (complete ? '\n' : ''));
          else this.pasted(text, complete);
        },
        clearScreen: () => this.clearScreen(),
        // Leave the draft on screen and the cursor below it for the shell's lines.
        suspending: () => this.output.write('\n'),
        resumed: () => this.redrawBelow(),
        draft: () => ({ line: this.rl.line, cursor: this.rl.cursor }),
      });
    }
    this.rl = readline.createInterface({
      input: this.raw?.keys ?? streams.input,
      output: streams.terminal ? streams.output : undefined,
      terminal: streams.terminal,
      prompt,
      // Piped input may use CRLF; one line, not two.
      crlfDelay: Infinity,
      historySize: 100,
      ...(streams.completer ? { completer: streams.completer } : {}),
    });
    if (this.terminal) {
      // Before readline's own handler, which redraws the line (see resized).
      (streams.output as NodeJS.WriteStream).prependListener?.('resize', this.resized);
    }
    this.secret = new SecretPrompt({
      getPrompt: () => this.rl.getPrompt(),
      setPrompt: (prompt) => this.rl.setPrompt(prompt),
      redraw: () => this.rl.prompt(true),
      live: () => this.terminal && !this.closed,
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
      // Ctrl-C drops a held paste, or clears a half-typed line as a shell
      // does (it used to leave at once, the draft lost); on an empty line
      // (where readline would only pause) it leaves, like Ctrl-D.
      if (this.heldPaste) {
        this.heldPaste = undefined;
        this.clearDraft();
        this.redraw();
      } else if (this.rl.line !== '') {
        this.clearDraft();
      } else {
        this.emit('end');
      }
    });
    this.rl.on('close', () => {
      (this.output as NodeJS.WriteStream).off?.('resize', this.resized);
      this.secret.end(true);
      // Leave no prompt behind for the shell to print after.
      if (this.terminal) this.wipe();
      this.raw?.release();
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
    // While secret prompts are asked, it is kept to be shown once they are answered.
    if (this.secret.keepPrompt(prompt)) return;
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
    const columns = (this.output as NodeJS.WriteStream).columns || Infinity;
    const wrapped = text
      .split('\n')
      .map((line) => wrapLine(line, columns))
      .join('\n');
    // readline's redraw first moves up to the row the cursor was on; these
    // blank rows are where it lands, so the text above stays intact.
    this.output.write(wrapped + '\n' + this.statusText() + '\n'.repeat(rows));
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
    if (!this.raw || this.closed || this.secret.active || prompts.length === 0) return undefined;
    // Within a line's handler the prompt is drawn right after it.
    return this.secret.ask(prompts, !this.inLine);
  }

  /** Draw the status area and the prompt again, in place. */
  private redraw(): void {
    if (!this.terminal || this.closed) return;
    this.wipe();
    this.redrawBelow();
  }

  /**
   * The terminal changed width. One that reflows on resize (tmux and most
   * terminals today) has already rewrapped the prompt and the draft to the
   * new width; readline's redraw, which runs next, moved up by the rows the
   * cursor had at the old width, which erased the line above the prompt when
   * widening and left a copy of the prompt when narrowing. It is told the
   * cursor's row at the new width, and still redraws: where a terminal leaves
   * the cursor after a reflow varies (tmux left its column stale under load,
   * and the next key typed landed mid-draft). The status area's rows are
   * counted again.
   */
  private readonly resized = (): void => {
    if (this.closed) return;
    const cursor = this.rl.getCursorPos().rows;
    const columns = (this.output as NodeJS.WriteStream).columns || Infinity;
    const last =
      rowsFor(displayWidth(this.rl.getPrompt()) + displayWidth(this.rl.line), columns) - 1;
    // Blank the prompt's rows one by one first: when the reflow left the
    // prompt on the top row, readline's erase-below from there is a whole
    // screen clear to tmux, which pushes the screen (the draft) into history.
    readline.moveCursor(this.output, 0, -cursor);
    for (let row = 0; row <= last; row++) {
      readline.cursorTo(this.output, 0);
      readline.clearLine(this.output, 0);
      if (row < last) readline.moveCursor(this.output, 0, 1);
    }
    readline.moveCursor(this.output, 0, cursor - last);
    // readline's redraw reads it as `this.prevRows || 0`; it is not in its typings.
    (this.rl as unknown as { prevRows: number }).prevRows = cursor;
    this.statusText();
  };

  /**
   * Ctrl-L: clear the screen, then draw the status area and the prompt one
   * row down from the top. readline's own Ctrl-L leaves the prompt on the top
   * row, and every later redraw there (readline's on each edit, print's)
   * erases the screen from its first cell: tmux (scroll-on-clear, on by
   * default) takes that for a clear screen and pushed a copy of the screen,
   * prompt and all, into its scrollback each time.
   */
  private clearScreen(): void {
    if (this.closed) return;
    readline.cursorTo(this.output, 0, 0);
    readline.clearScreenDown(this.output);
    this.output.write('\n');
    this.redrawBelow();
  }

  /**
   * Draw the status area and the prompt where the cursor is (after wipe(),
   * a cleared screen, or the shell's lines below the old ones). The blank
   * rows are where readline's redraw moves up to, as in print().
   */
  private redrawBelow(): void {
    if (this.closed) return;
    const rows = this.rl.getCursorPos().rows;
    this.output.write(this.statusText() + '\n'.repeat(rows));
    this.rl.prompt(true);
  }

  /** The status area as text (each line with its break), noting how many rows it takes. */
  private statusText(): string {
    const lines = [...this.status, ...(this.heldPaste ?? []).map((l) => `┆ ${l}`)];
    if (this.heldPaste)
      lines.splice(this.status.length, 0, '(paste: Enter sends it, Ctrl-C drops it)');
    const columns = (this.output as NodeJS.WriteStream).columns || Infinity;
    // Broken at spaces like every other line (a reconnect status line with
    // the server's reason was cut mid-word by the terminal).
    const rows = lines.flatMap((l) => wrapLine(l, columns).split('\n'));
    this.statusDrawn = rows.reduce(
      (sum, r) => sum + statusRows(displayWidth(visible(r)), columns),
      0,
    );
    return rows.map((r) => r + '\n').join('');
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
    this.raw?.type(last.replace(/\t/gu, ' ') + after + LEFT.repeat(codePoints(after)));
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
