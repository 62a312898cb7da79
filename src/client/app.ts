/**
 * chat-client's session logic: wires the Connection to the Repl (interactive)
 * or to piped stdin (scripts), keeps the user's current room, and reports how
 * the session ended. main.ts turns that into an exit code; nothing here exits.
 */
import readline from 'node:readline';
import type { AckEvent, Request, ServerEvent, WelcomeEvent } from '../protocol/messages.js';
import { parseInput } from './commands.js';
import { ConnectError, Connection, type ConnectionOptions } from './connection.js';
import { renderAck, renderError, renderEvent, renderNotice, type RenderContext } from './render.js';
import { Repl } from './repl.js';
import { isBarrier, Sender, type Outcome } from './sender.js';

/** How a session ended; main.ts maps each kind to an exit code. */
export type SessionEnd =
  | { kind: 'ok' }
  /** Piped mode: at least one line was refused (each was reported on stderr). */
  | { kind: 'line_refused' }
  | { kind: 'unreachable' | 'refused' | 'lost'; message: string };

/** The process's streams, injectable for tests. */
export interface ClientIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  /** Whether to colour output (see render.shouldUseColor). */
  color: boolean;
}

const DEFAULT_ROOM = '#lobby';

function promptFor(room: string): string {
  return `${room}> `;
}

/**
 * One chat-client run. Interactive when stdin is a terminal; otherwise every
 * piped line is sent, every ack awaited, and the run ends after the last one.
 *
 * The user's own messages are shown once the server acks them (with the
 * server's timestamp), not when typed: what is on screen was really sent.
 */
export class ChatClient {
  private readonly conn: Connection;
  private readonly sender: Sender;
  private readonly interactive: boolean;
  private room = DEFAULT_ROOM;
  private repl?: Repl;
  /** Events that arrived with the welcome, before the screen was set up. */
  private early: ServerEvent[] | undefined = [];
  private leaving = false;
  private finish: (end: SessionEnd) => void = () => undefined;
  private readonly ended = new Promise<SessionEnd>((resolve) => {
    this.finish = resolve;
  });

  constructor(
    options: Omit<ConnectionOptions, 'history'>,
    private readonly io: ClientIO,
  ) {
    this.interactive = io.stdin.isTTY === true;
    // A script wants to send, not to be shown the room's past (hello.history, §4).
    this.conn = new Connection(this.interactive ? options : { ...options, history: 0 });
    this.sender = new Sender(this.conn);
    this.conn.on('event', (event) => {
      if (this.early) this.early.push(event);
      else this.show(renderEvent(event, this.context()));
    });
    this.conn.on('closed', ({ reason }) => {
      this.repl?.close();
      this.finish({ kind: 'lost', message: `connection lost: ${reason}` });
    });
    this.conn.on('reconnecting', ({ delayMs, reason }) => {
      const seconds = Math.max(1, Math.round(delayMs / 1000));
      this.show(
        renderNotice(`Connection lost (${reason}); reconnecting in ${seconds} s…`, this.context()),
      );
    });
    this.conn.on('reconnected', (welcome) => {
      if (!welcome.rooms.includes(this.room)) this.setRoom(welcome.rooms[0] ?? DEFAULT_ROOM);
      this.show(renderNotice('Reconnected', this.context()));
    });
  }

  /** Connect, chat until the user or the server ends it, and say how it ended. */
  async run(): Promise<SessionEnd> {
    let welcome: WelcomeEvent;
    try {
      welcome = await this.conn.connect();
    } catch (err) {
      // Ctrl-C or SIGTERM while connecting: the user left, nothing failed.
      if (this.leaving) return { kind: 'ok' };
      if (!(err instanceof ConnectError)) throw err;
      const message =
        err.kind === 'refused'
          ? `the server refused ${this.conn.alias}: ${err.message} [${err.code}]`
          : err.message;
      return { kind: err.kind, message };
    }
    this.room = welcome.rooms[0] ?? DEFAULT_ROOM;
    if (this.interactive) this.startRepl(welcome);
    const early = this.early ?? [];
    this.early = undefined;
    for (const event of early) this.show(renderEvent(event, this.context()));
    if (this.interactive) return this.ended;
    return Promise.race([this.ended, this.runPiped()]);
  }

  /** Leave cleanly (exit, Ctrl-C, Ctrl-D, SIGTERM): send quit and end the run with success. */
  async leave(reason?: string): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    this.repl?.close();
    await this.conn.quit(reason);
    this.finish({ kind: 'ok' });
  }

  private context(): RenderContext {
    return { self: this.conn.alias, room: this.room, color: this.io.color };
  }

  private show(text: string | undefined): void {
    if (text === undefined) return;
    if (this.repl) this.repl.print(text);
    else this.io.stdout.write(text + '\n');
  }

  private setRoom(room: string): void {
    this.room = room;
    this.repl?.setPrompt(promptFor(room));
  }

  /** Follow the acks that move the user: /join makes a room current, /part of it picks another. */
  private applyAck(request: Request, ack: AckEvent): void {
    if (request.type === 'join') this.setRoom(ack.room ?? request.room);
    if (request.type === 'part' && (ack.room ?? request.room) === this.room) {
      // The server's part ack names the room that is current now (text mode says so too).
      this.setRoom(ack.text ?? this.conn.rooms[0] ?? DEFAULT_ROOM);
    }
  }

  private startRepl(welcome: WelcomeEvent): void {
    const terminal = this.io.stdout.isTTY === true;
    const repl = new Repl(
      { input: this.io.stdin, output: this.io.stdout, terminal },
      promptFor(this.room),
    );
    this.repl = repl;
    this.show(renderEvent(welcome, this.context()));
    // Lines are handled one after another so a /join takes effect before the next line.
    let queue = Promise.resolve();
    repl.on('line', (line) => {
      queue = queue.then(() => this.handleLine(line));
    });
    // Ctrl-D and Ctrl-C: whatever was typed before still goes first.
    repl.on('end', () => {
      queue = queue.then(() => this.leave());
    });
    repl.start();
  }

  private async handleLine(line: string): Promise<void> {
    if (this.leaving) return;
    const input = parseInput(line, this.room);
    switch (input.kind) {
      case 'none':
        return;
      case 'quit':
        return this.leave(input.reason);
      case 'invalid':
        this.show(renderError(input.message, undefined, this.context()));
        return;
      case 'send': {
        const { outcome } = await this.sender.submit(input.request);
        const shown = outcome.then((result) => this.showOutcome(input.request, result));
        if (isBarrier(input.request)) await shown;
      }
    }
  }

  private showOutcome(request: Request, result: Outcome): void {
    if (!result.ok) {
      // 'closed' means the connection ended; that is reported once, not per line.
      if (result.error.code !== 'closed') {
        this.show(renderError(result.error.message, result.error.code, this.context()));
      }
      return;
    }
    const reply = result.reply;
    if (reply.type === 'ack') {
      this.applyAck(request, reply);
      this.show(renderAck(reply, request, this.context()));
    } else {
      this.show(renderEvent(reply, this.context()));
    }
  }

  /** Piped stdin: send every line in order, wait for every answer, report refusals on stderr. */
  private async runPiped(): Promise<SessionEnd> {
    const lines = readline.createInterface({ input: this.io.stdin, crlfDelay: Infinity });
    this.conn.once('closed', () => lines.close());
    let refused = 0;
    const refuse = (lineNo: number, message: string): void => {
      refused += 1;
      this.io.stderr.write(`chat-client: line ${lineNo} refused: ${message}\n`);
    };
    let lineNo = 0;
    for await (const line of lines) {
      lineNo += 1;
      if (this.leaving) break;
      const input = parseInput(line, this.room);
      if (input.kind === 'none') continue;
      if (input.kind === 'quit') break;
      if (input.kind === 'invalid') {
        refuse(lineNo, input.message);
        continue;
      }
      const n = lineNo;
      const { outcome } = await this.sender.submit(input.request);
      const handled = outcome.then((result) => {
        if (!result.ok) {
          if (result.error.code !== 'closed')
            refuse(n, `${result.error.message} [${result.error.code}]`);
        } else if (result.reply.type === 'ack') {
          this.applyAck(input.request, result.reply);
        } else {
          // A query in a script (/who, /rooms) prints its answer.
          this.show(renderEvent(result.reply, this.context()));
        }
      });
      if (isBarrier(input.request)) await handled;
    }
    lines.close();
    await this.sender.drain();
    // Not leave(): that would settle `ended` as a success before refusals are counted.
    this.leaving = true;
    await this.conn.quit();
    return refused > 0 ? { kind: 'line_refused' } : { kind: 'ok' };
  }
}
