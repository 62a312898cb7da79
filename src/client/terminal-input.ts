/**
 * chat-client's raw terminal input, read before readline sees it: the
 * terminal in raw mode and bracketed paste mode, bytes decoded as UTF-8,
 * pastes taken out whole (paste.ts), and the keys left over handed to
 * readline one at a time (keys.ts), unless a secret prompt takes them or
 * they are Ctrl-L, which the Repl handles itself, or Ctrl-Z, which stops the
 * process as a cooked terminal would (and raw mode comes back on SIGCONT).
 * `release()` gives the terminal back.
 */
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { isInert, splitKeys, stepsFor } from './keys.js';
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, PasteParser } from './paste.js';

/** Where the input goes besides readline (repl.ts). */
export interface RawInputHandlers {
  /** Whether a secret prompt takes this key (and readline never sees it). */
  secretKey(key: string): boolean;
  /** One pasted line (perhaps with its Enter), to be inserted at the cursor whole. */
  text(text: string): void;
  /** Several lines pasted at once; `complete` when the paste ended with a line break. */
  paste(text: string, complete: boolean): void;
  /** Ctrl-L: clear the screen (done here, not by readline: see Repl.clearScreen). */
  clearScreen(): void;
  /** The process is about to stop (Ctrl-Z): leave the screen to the shell. */
  suspending(): void;
  /** The process continues after a stop (`fg`): the terminal is raw again; draw the prompt anew. */
  resumed(): void;
  /** readline's line being typed and its cursor (a UTF-16 index), as they are now. */
  draft(): { line: string; cursor: number };
}

/** Ctrl-L, as a terminal sends it. */
const CTRL_L = '\x0c';
/** Ctrl-Z: in raw mode the terminal sends it as a byte instead of stopping the process. */
const CTRL_Z = '\x1a';

/** See the module comment. */
export class TerminalInput {
  /** Terminal input after pastes are taken out; what readline reads. */
  readonly keys = new PassThrough();
  private readonly onData: (chunk: Buffer | string) => void;
  private readonly onEnd = (): void => {
    this.keys.end();
  };
  /**
   * Continued after a stop (Ctrl-Z here, or a SIGTSTP from elsewhere): the
   * shell put the terminal back in its own mode meanwhile. readline would
   * restore raw mode itself, but it reads the PassThrough, not the terminal.
   */
  private readonly onContinue = (): void => {
    // libuv skips a mode it believes is set already: stopped from outside
    // (SIGSTOP, not our Ctrl-Z) we never left raw mode, but the shell did,
    // and every key came back echoed. Off first makes the raw mode stick.
    if (this.input.isTTY) this.input.setRawMode?.(false);
    this.raw(true);
    this.handlers.resumed();
  };

  constructor(
    private readonly input: NodeJS.ReadableStream & {
      isTTY?: boolean;
      setRawMode?: (mode: boolean) => unknown;
    },
    private readonly output: NodeJS.WritableStream,
    private readonly handlers: RawInputHandlers,
  ) {
    const parser = new PasteParser();
    const decoder = new StringDecoder('utf8');
    this.onData = (chunk) => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const piece of parser.feed(text)) {
        // A PassThrough in flowing mode hands written keys to readline at
        // once, so a paste's draft holds every key typed before it.
        if (piece.kind === 'keys') this.type(piece.text);
        else if (piece.kind === 'text') handlers.text(piece.text);
        else handlers.paste(piece.text, piece.complete);
      }
    };
    input.on('data', this.onData);
    input.once('end', this.onEnd);
    process.on('SIGCONT', this.onContinue);
    if (input.isTTY) input.setRawMode?.(true);
    // A 'data' listener alone does not restart a stream paused before (readSecret pauses stdin).
    input.resume();
  }

  /** Hand `text` to readline as keys, one per write: see keys.ts for what readline does with more. */
  type(text: string): void {
    // Checked per key: an Enter that starts secret prompts sends the rest there.
    for (const key of splitKeys(text)) {
      if (isInert(key) || this.handlers.secretKey(key)) continue;
      if (key === CTRL_L) this.handlers.clearScreen();
      else if (key === CTRL_Z) this.suspend();
      else {
        const { line, cursor } = this.handlers.draft();
        // One write each: readline edits keys one at a time (keys.ts).
        for (let n = stepsFor(key, line, cursor); n > 0; n--) this.keys.write(key);
      }
    }
  }

  /** Give the terminal back: raw mode and bracketed pastes off, input paused. */
  release(): void {
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    process.off('SIGCONT', this.onContinue);
    this.input.pause();
    this.raw(false);
  }

  /** Ctrl-Z: stop as a cooked terminal would, with the terminal as the shell expects it. */
  private suspend(): void {
    // Windows has no job control to stop for.
    if (process.platform === 'win32') return;
    this.handlers.suspending();
    this.raw(false);
    process.kill(process.pid, 'SIGTSTP');
  }

  /** Raw mode and bracketed pastes on or off together. */
  private raw(on: boolean): void {
    if (this.input.isTTY) this.input.setRawMode?.(on);
    this.output.write(on ? BRACKETED_PASTE_ON : BRACKETED_PASTE_OFF);
  }
}
