/**
 * chat-client's session logic: wires the Connection to the Repl (interactive)
 * or to piped stdin (scripts), keeps the user's current room, who is around
 * (for completion) and who wrote last in private (for /reply), and reports
 * how the session ended. main.ts turns that into an exit code; nothing here exits.
 */
import type { AckEvent, Request, ServerEvent, WelcomeEvent } from '../protocol/messages.js';
import { attentionFor, sameAlias } from './attention.js';
import { COMMAND_NAMES, holdsPassword, parseInput } from './commands.js';
import { complete } from './complete.js';
import { ConnectError, Connection, type ConnectionOptions } from './connection.js';
import { PasswordSource } from './password.js';
import {
  asksForPasswords,
  PASSWD_NEEDS_TERMINAL,
  PASSWD_PROMPTS,
  passwdRequest,
} from './passwd.js';
import { splitMessage } from './paste.js';
import { runPiped } from './piped.js';
import { renderAck, renderError, renderEvent, renderNotice, type RenderContext } from './render.js';
import { Repl } from './repl.js';
import { Roster } from './roster.js';
import { defaultDownloadDir } from './transfer-files.js';
import { TransferUi } from './transfer-ui.js';
import { isBarrier, Sender, type Outcome } from './sender.js';
import { OfflineStatus, pendingLine, reconnectLine } from './status.js';

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
  /** Ask the user for a secret without echo (tty/secret.ts); absent, nobody can be asked. */
  readSecret?: (prompt: string) => Promise<string>;
}

/** Where to connect and how to behave: the Connection's settings plus the client's own. */
export interface ClientSettings extends Omit<
  ConnectionOptions,
  'history' | 'password' | 'askPassword'
> {
  /** No terminal bell for mentions and private messages. */
  quiet?: boolean;
  /**
   * The alias's password (CHAT_PASSWORD), sent in the first hello so a
   * registered alias logs in at once. Without it a user at a terminal is asked.
   */
  password?: string;
  /** Where received files are saved (created when missing); ~/Downloads/chat by default. */
  downloadDir?: string;
  /** A room to join at start and make current (--room), before any line is sent. */
  room?: string;
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
  private readonly roster = new Roster();
  /** File transfers (§5): commands, events and the progress bar shown in the prompt. */
  private readonly files: TransferUi;
  private status = '';
  private room = DEFAULT_ROOM;
  /** Sender of the last private message received: where /reply goes. */
  private replyTo?: string;
  private readonly passwords: PasswordSource;
  private repl?: Repl;
  /** Events that arrived with the welcome, before the screen was set up. */
  private early: ServerEvent[] | undefined = [];
  private leaving = false;
  /** Reconnect progress and lines not acknowledged yet, for the status area. */
  private readonly offline = new OfflineStatus((lines) => this.repl?.setStatus(lines));
  private finish: (end: SessionEnd) => void = () => undefined;
  private readonly ended = new Promise<SessionEnd>((resolve) => {
    this.finish = resolve;
  });

  constructor(
    private readonly settings: ClientSettings,
    private readonly io: ClientIO,
  ) {
    this.interactive = io.stdin.isTTY === true;
    this.passwords = new PasswordSource(
      settings.password,
      this.interactive ? io.readSecret : undefined,
    );
    const { quiet: _quiet, downloadDir, room: _room, ...connection } = settings;
    this.conn = new Connection({
      ...connection,
      // A script wants to send, not to be shown the room's past (hello.history, §4).
      ...(this.interactive ? {} : { history: 0 }),
      askPassword: async (alias, wrong) => {
        if (this.leaving) return undefined;
        const password = await this.passwords.ask(alias, wrong);
        if (this.passwords.cancelled) this.leaving = true;
        return this.leaving ? undefined : password;
      },
    });
    this.sender = new Sender(this.conn);
    this.files = new TransferUi(this.conn, downloadDir ?? defaultDownloadDir(), {
      notice: (text, error) =>
        this.show(
          error ? renderError(text, undefined, this.context()) : renderNotice(text, this.context()),
        ),
      status: (text) => {
        this.status = text === undefined ? '' : `${text} `;
        this.repl?.setPrompt(this.prompt());
      },
    });
    this.conn.on('event', (event) => {
      if (this.files.onEvent(event)) return;
      this.observe(event);
      if (this.early) this.early.push(event);
      else this.showEvent(event);
    });
    this.conn.on('closed', ({ reason, code }) => {
      this.offline.online();
      this.repl?.close();
      const message = code === 'displaced' ? reason : `connection lost: ${reason}`;
      this.finish({ kind: 'lost', message });
    });
    this.conn.on('reconnecting', ({ attempt, delayMs, reason, server }) => {
      this.offline.reconnecting(attempt, delayMs, reason, server);
      // No place to redraw: one plain line per attempt.
      if (!this.repl?.terminal) this.show(reconnectLine(attempt, delayMs, reason));
    });
    this.conn.on('reconnected', (welcome) => {
      this.offline.online();
      this.roster.observe(welcome);
      if (!welcome.rooms.includes(this.room)) this.setRoom(welcome.rooms[0] ?? DEFAULT_ROOM);
      this.show(renderNotice(`Reconnected to ${this.conn.server}`, this.context()));
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
      return { kind: err.kind, message: this.refusal(err) };
    }
    this.room = welcome.rooms[0] ?? DEFAULT_ROOM;
    this.roster.observe(welcome);
    if (this.interactive) {
      // A big room's welcome names only some members; completion wants them all.
      if (welcome.memberCount > welcome.members.length) this.seedRoster(this.room);
      this.startRepl(welcome);
    }
    const early = this.early ?? [];
    this.early = undefined;
    for (const event of early) this.showEvent(event);
    if (this.interactive) {
      // Shown like a typed /join (the ack, the topic, the history); lines typed
      // meanwhile go where the user sees they go.
      if (this.settings.room !== undefined) {
        void this.send({ type: 'join', room: this.settings.room });
      }
      return this.ended;
    }
    if (this.settings.room !== undefined && !(await this.joinAtStart(this.settings.room))) {
      // Posting the script to another room than the one asked for would be worse than nothing.
      this.leaving = true;
      await this.conn.quit();
      return { kind: 'line_refused' };
    }
    const piped = runPiped({
      stdin: this.io.stdin,
      stderr: this.io.stderr,
      conn: this.conn,
      sender: this.sender,
      leaving: () => this.leaving,
      // No prompt without echo in a script: the passwords come on the line.
      parse: (line) =>
        asksForPasswords(line)
          ? { kind: 'invalid', message: PASSWD_NEEDS_TERMINAL }
          : parseInput(line, this.room, this.replyTo),
      notice: (text) => this.show(renderNotice(text, this.context())),
      acked: (request, ack) => this.applyAck(request, ack),
      // A query in a script (/who, /rooms) prints its answer.
      answered: (reply) => this.show(renderEvent(reply, this.context())),
    }).then(async (kind): Promise<SessionEnd> => {
      // Not leave(): that would settle `ended` as a success before refusals are counted.
      this.leaving = true;
      await this.conn.quit();
      return { kind };
    });
    return Promise.race([this.ended, piped]);
  }

  /**
   * --room in a script: join before the first line, without the room's past
   * (a script sends; it does not read back, §4 join.history). False, after
   * saying why on stderr, when the server refused it.
   */
  private async joinAtStart(room: string): Promise<boolean> {
    const request: Request = { type: 'join', room, history: 0 };
    const { outcome } = await this.sender.submit(request);
    const result = await outcome;
    if (result.ok) {
      if (result.reply.type === 'ack') this.applyAck(request, result.reply);
      return true;
    }
    this.io.stderr.write(
      `chat-client: --room ${room} refused: ${result.error.message}; no line was sent\n`,
    );
    return false;
  }

  /** Leave cleanly (exit, Ctrl-C, Ctrl-D, SIGTERM): send quit and end the run with success. */
  async leave(reason?: string): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    this.repl?.close();
    this.files.close();
    await this.conn.quit(reason);
    this.finish({ kind: 'ok' });
  }

  /** The one line that says why connecting failed. */
  private refusal(err: ConnectError): string {
    if (err.kind !== 'refused') return err.message;
    // The code last, short, for a script reading stderr (docs/protocol.md "chat-client").
    const line = `the server refused ${this.conn.alias}: ${err.message}`;
    if (err.code === 'auth_required' && this.passwords.unavailable) {
      return `${line}; set CHAT_PASSWORD, or run chat-client in a terminal to be asked for it [${err.code}]`;
    }
    return `${line} [${err.code}]`;
  }

  /** Learn from a server event: who is around (completion), who wrote in private (/reply). */
  private observe(event: ServerEvent): void {
    this.roster.observe(event);
    const self = this.conn.alias;
    if (event.type === 'private' && !sameAlias(event.from, self)) this.replyTo = event.from;
    if (event.type === 'history') {
      for (const m of event.messages) {
        if (m.type === 'private' && !sameAlias(m.from, self)) this.replyTo = m.from;
      }
    }
  }

  /** Show an unsolicited event; a mention or private message rings first, unless --quiet. */
  private showEvent(event: ServerEvent): void {
    // The bell before the line: once the line is on screen, its bell has been sent.
    if (!this.settings.quiet && attentionFor(event, this.conn.alias)) this.repl?.bell();
    this.show(renderEvent(event, this.context()));
  }

  private context(): RenderContext {
    return { self: this.conn.alias, room: this.room, color: this.io.color };
  }

  private show(text: string | undefined): void {
    if (text === undefined) return;
    if (this.repl) this.repl.print(text);
    else this.io.stdout.write(text + '\n');
  }

  /** The prompt: a transfer's progress bar, if any, then the current room. */
  private prompt(): string {
    return this.status + promptFor(this.room);
  }

  private setRoom(room: string): void {
    this.room = room;
    this.repl?.setPrompt(this.prompt());
  }

  /** Follow the acks that move the user: /join makes a room current, /part of it picks another. */
  private applyAck(request: Request, ack: AckEvent): void {
    if (request.type === 'join') {
      const room = ack.room ?? request.room;
      this.roster.joined(room);
      this.setRoom(room);
      if (this.interactive) this.seedRoster(room);
    }
    if (request.type === 'part') this.roster.parted(ack.room ?? request.room ?? this.room);
    if (request.type === 'part' && (ack.room ?? request.room) === this.room) {
      // The server's part ack names the room that is current now (text mode says so too).
      this.setRoom(ack.text ?? this.conn.rooms[0] ?? DEFAULT_ROOM);
    }
  }

  /** Ask who is in a room just joined, quietly: the answer only feeds completion. */
  private seedRoster(room: string): void {
    this.conn.request({ type: 'who', room }).then(
      (reply) => this.roster.observe(reply),
      // Not worth a line: completion merely knows fewer names.
      () => undefined,
    );
  }

  private startRepl(welcome: WelcomeEvent): void {
    const terminal = this.io.stdout.isTTY === true;
    const completer = (line: string): [string[], string] =>
      this.files.complete(line) ??
      complete(line, {
        commands: COMMAND_NAMES,
        nicks: this.roster.nicks(this.room, this.conn.alias),
        rooms: this.roster.roomNames(),
      });
    const repl = new Repl(
      {
        input: this.io.stdin,
        output: this.io.stdout,
        terminal,
        completer,
        keepInHistory: (line) => !holdsPassword(line),
      },
      this.prompt(),
    );
    this.repl = repl;
    this.show(renderEvent(welcome, this.context()));
    // Lines are handled one after another so a /join takes effect before the next line.
    let queue = Promise.resolve();
    repl.on('line', (line) => {
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
      queue = queue.then(() => this.leave());
    });
    repl.start();
  }

  private async handleLine(line: string): Promise<void> {
    if (this.leaving) return;
    if (await this.files.handleLine(line)) return;
    const input = parseInput(line, this.room, this.replyTo);
    switch (input.kind) {
      case 'none':
        return;
      case 'quit':
        return this.leave(input.reason);
      case 'notice':
        this.show(renderNotice(input.text, this.context()));
        return;
      case 'invalid':
        this.show(renderError(input.message, undefined, this.context()));
        return;
      case 'send':
        return this.send(input.request);
    }
  }

  /**
   * `/passwd` alone (issue 18 §4): the answers to the three prompts without
   * echo become one `passwd` request; the ack shows `* Password changed for
   * NAME` and Connection keeps the new password for reconnects. `answers` is
   * undefined where nothing can be asked without echo.
   */
  private async changePassword(answers: Promise<string[] | undefined> | undefined): Promise<void> {
    if (answers === undefined) {
      this.show(renderError(PASSWD_NEEDS_TERMINAL, undefined, this.context()));
      return;
    }
    const outcome = passwdRequest(await answers);
    if (this.leaving) return;
    if (outcome.kind === 'send') return this.send(outcome.request);
    this.show(
      outcome.kind === 'notice'
        ? renderNotice(outcome.message, this.context())
        : renderError(outcome.message, undefined, this.context()),
    );
  }

  /**
   * Several lines pasted at once: one multi-line message to the current room
   * (§6), or as few as the server's limits allow. Pasted text is text: a
   * first line starting with `/` is not a command.
   */
  private async handlePaste(text: string): Promise<void> {
    if (this.leaving) return;
    const limits = this.conn.welcome?.limits;
    const parts = splitMessage(text, limits?.maxMessageLines ?? 20, limits?.maxLineBytes ?? 16384);
    for (const part of parts) await this.send({ type: 'say', room: this.room, text: part });
  }

  /**
   * Send a request; its outcome is shown when it comes (at once for a barrier
   * like /join). A chat line typed while the connection is down is shown as
   * pending until the server acknowledges it.
   */
  private async send(request: Request): Promise<void> {
    const line = pendingLine(request, this.conn.alias, this.io.color);
    const settle = this.offline.sent(request, line, this.conn.online);
    const { outcome } = await this.sender.submit(request);
    const shown = outcome.then((result) => {
      settle();
      this.showOutcome(request, result);
    });
    if (isBarrier(request)) await shown;
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
      this.roster.observe(reply);
      this.show(renderEvent(reply, this.context()));
    }
  }
}
