/**
 * chat-client at a terminal: the Repl with Tab completion (transfer paths,
 * commands, nicks, rooms), and every typed line, paste and /passwd handled
 * one after another, in the order typed, so a /join takes effect before the
 * next line.
 */
import type { Request } from '../protocol/messages.js';
import { COMMAND_NAMES, holdsPassword, parseInput } from './commands.js';
import { complete } from './complete.js';
import type { Connection } from './connection.js';
import {
  PASSWD_NEEDS_TERMINAL,
  PASSWD_PROMPTS,
  asksForPasswords,
  passwdRequest,
} from './passwd.js';
import { splitMessage } from './paste.js';
import { fits } from './wire.js';
import type { Place } from './place.js';
import { Repl } from './repl.js';
import type { TransferUi } from './transfer-ui.js';
import { leavingText } from './transfer-view.js';

/** /passwd from a guest (the server's words for `passwd` from one). */
const GUEST_PASSWD =
  'Only registered users have a password; /register PASSWORD first makes this alias yours';

/** What typed input needs of the session it belongs to (app.ts). */
export interface TypingSession {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  conn: Connection;
  files: TransferUi;
  place: Place;
  /** Whether the session is ending: lines still queued are dropped. */
  leaving(): boolean;
  prompt(): string;
  notice(text: string): void;
  error(text: string): void;
  /** Send a request and show its outcome when it comes. */
  send(request: Request): Promise<void>;
  leave(reason?: string): Promise<void>;
  /** Chat lines shown as pending: the connection is down, or the server has not answered them. */
  undelivered(): Request[];
}

/** See the module comment. */
export class Typing {
  /** `exit` was typed once with lines undelivered, and the user was told. */
  private warned = false;

  constructor(private readonly s: TypingSession) {}

  /** The Repl, its input wired here; `start()` it once the welcome is shown. */
  open(): Repl {
    const { s } = this;
    const completer = (line: string): [string[], string] =>
      s.files.complete(line) ??
      complete(line, {
        commands: COMMAND_NAMES,
        nicks: s.place.roster.nicks(s.place.room, s.conn.alias),
        rooms: s.place.roster.roomNames(),
      });
    const repl = new Repl(
      {
        input: s.stdin,
        output: s.stdout,
        terminal: s.stdout.isTTY === true,
        completer,
        keepInHistory: (line) => !holdsPassword(line),
      },
      s.prompt(),
    );
    // Lines are handled one after another so a /join takes effect before the next line.
    let queue = Promise.resolve();
    repl.on('line', (line) => {
      // A guest has no password to change: said before any prompt, which
      // would take the lines typed next as hidden answers.
      if (asksForPasswords(line) && s.conn.guest) {
        queue = queue.then(() => s.error(GUEST_PASSWD));
        return;
      }
      // Asked now, not when the line's turn comes: the keys right after this
      // Enter are the old password and must not become a chat line.
      const answers = asksForPasswords(line) ? repl.askSecrets(PASSWD_PROMPTS) : null;
      queue = queue.then(() =>
        answers === null ? this.handleLine(line) : this.changePassword(answers),
      );
    });
    repl.on('paste', (text) => {
      queue = queue.then(() => this.handlePaste(text));
    });
    // Ctrl-D and Ctrl-C: whatever was typed before still goes first.
    repl.on('end', () => {
      queue = queue.then(() => s.leave());
    });
    return repl;
  }

  /**
   * `exit`, `quit`, `/quit`: leave, unless lines typed while the server was
   * down are still undelivered, or a file is on its way, and the user has
   * not been told yet. Leaving then would drop them silently (a trial's
   * student quit mid-transfer without a word); the second `exit` leaves.
   */
  private quit(reason: string | undefined): Promise<void> {
    const { s } = this;
    const count = s.undelivered().length;
    const moving = s.files.transfers.active();
    if ((count === 0 && moving.length === 0) || this.warned) return s.leave(reason);
    this.warned = true;
    if (count > 0) {
      s.notice(
        count === 1
          ? '1 line is not confirmed yet: the server is not answering, and may or may not have it. Wait for the reconnect (it sends it again, never twice), or type exit again to leave (it is printed when you leave).'
          : `${count} lines are not confirmed yet: the server is not answering, and may or may not have them. Wait for the reconnect (it sends them again, never twice), or type exit again to leave (they are printed when you leave).`,
      );
    }
    if (moving.length > 0) s.notice(leavingText(moving));
    return Promise.resolve();
  }

  private async handleLine(line: string): Promise<void> {
    const { s } = this;
    if (s.leaving()) return;
    if (await s.files.handleLine(line)) return;
    const input = parseInput(line, s.place.room, s.place.replyTo);
    switch (input.kind) {
      case 'none':
        // Enter on an empty line while reconnecting: try now, not at the end of the backoff.
        if (s.conn.retryNow()) s.notice('Reconnecting now…');
        return;
      case 'quit':
        return this.quit(input.reason);
      case 'notice':
        s.notice(input.text);
        return;
      case 'invalid':
        s.error(input.message);
        return;
      case 'send':
        return this.sendText(input.request);
    }
  }

  /**
   * Send a typed line; a message too long for one line of the server's
   * (`limits.maxLineBytes`) goes as several, in order, rather than being
   * refused after the user typed or pasted it.
   */
  private async sendText(request: Request): Promise<void> {
    const { s } = this;
    const maxBytes = this.limits().maxLineBytes;
    if ((request.type !== 'say' && request.type !== 'dm') || fits(request, maxBytes - 64)) {
      return s.send(request);
    }
    const parts = this.split(request.text);
    s.notice(
      `That line is longer than the server takes in one message; sending it as ${parts.length}`,
    );
    for (const part of parts) await s.send({ ...request, text: part });
  }

  /**
   * `/passwd` alone (issue 18 §4): the answers to the three prompts without
   * echo become one `passwd` request; the ack shows `* Password changed for
   * NAME` and Connection keeps the new password for reconnects. `answers` is
   * undefined where nothing can be asked without echo.
   */
  private async changePassword(answers: Promise<string[] | undefined> | undefined): Promise<void> {
    if (answers === undefined) {
      this.s.error(PASSWD_NEEDS_TERMINAL);
      return;
    }
    const outcome = passwdRequest(await answers);
    if (this.s.leaving()) return;
    if (outcome.kind === 'send') return this.s.send(outcome.request);
    if (outcome.kind === 'notice') this.s.notice(outcome.message);
    else this.s.error(outcome.message);
  }

  /**
   * Several lines pasted at once: one multi-line message to the current room
   * (§6), or as few as the server's limits allow. Pasted text is text: a
   * first line starting with `/` is not a command.
   */
  private async handlePaste(text: string): Promise<void> {
    const { s } = this;
    if (s.leaving()) return;
    for (const part of this.split(text))
      await s.send({ type: 'say', room: s.place.room, text: part });
  }

  /** `text` cut to the server's limits. */
  private split(text: string): string[] {
    const { maxMessageLines, maxLineBytes } = this.limits();
    return splitMessage(text, maxMessageLines, maxLineBytes);
  }

  /** The server's message limits (welcome.limits; the defaults before a welcome). */
  private limits(): { maxMessageLines: number; maxLineBytes: number } {
    const limits = this.s.conn.welcome?.limits;
    return {
      maxMessageLines: limits?.maxMessageLines ?? 20,
      maxLineBytes: limits?.maxLineBytes ?? 16384,
    };
  }
}
