/**
 * chat-client's session: one run from connect to how it ended. It wires the
 * Connection's events to the screen, to the file transfers and to where the
 * user is (place.ts), hands input to the terminal (interactive.ts) or to the
 * script's lines (piped.ts), sends requests and shows their outcome, and
 * reports how the session ended. main.ts turns that into an exit code;
 * nothing here exits.
 */
import type { Request, ServerEvent, WelcomeEvent } from '../protocol/messages.js';
import { foldKey } from '../protocol/names.js';
import { attentionFor } from './attention.js';
import { parseInput } from './commands.js';
import { ConnectError, Connection, type ConnectionOptions } from './connection.js';
import { HELD_GIVE_UP_MS } from './held.js';
import { Typing } from './interactive.js';
import { PasswordSource } from './password.js';
import { asksForPasswords, PASSWD_NEEDS_TERMINAL } from './passwd.js';
import { joinBeforeScript, runPiped } from './piped.js';
import { Place } from './place.js';
import { renderAck, renderError, renderEvent, renderNotice, type RenderContext } from './render.js';
import type { Repl } from './repl.js';
import { defaultDownloadDir } from './transfer-files.js';
import { TransferUi } from './transfer-ui.js';
import { isBarrier, Sender, type Outcome } from './sender.js';
import { asksPassword } from './wire.js';
import { OfflineStatus, pendingLine, reconnectLine, refusalOf, undeliveredLine } from './status.js';

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
  /** Ask the user a question, answered with echo (tty/line.ts); undefined: no answer. */
  readLine?: (prompt: string) => Promise<string | undefined>;
}

/** Where to connect and how to behave: the Connection's settings plus the client's own. */
export interface ClientSettings extends Omit<
  ConnectionOptions,
  'history' | 'password' | 'askPassword' | 'askAlias'
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
  /** The current room, who /reply answers, who is around for completion. */
  private readonly place: Place;
  /** File transfers (§5): commands, events and the progress bar shown in the prompt. */
  private readonly files: TransferUi;
  private status = '';
  private readonly passwords: PasswordSource;
  private repl?: Repl;
  /** Events that arrived with the welcome, before the screen was set up. */
  private early: ServerEvent[] | undefined = [];
  private leaving = false;
  /** The alias question was answered with nothing: the refusal was already shown above it. */
  private aliasGivenUp = false;
  /** The server could not store a line (`held`) and none has been acked since: told once. */
  private holding = false;
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
      // At a terminal a taken alias asks for another, as nc's prompt does,
      // rather than ending the program (a new user had to start it again).
      ...(this.interactive && io.readLine && { askAlias: (refusal) => this.askAlias(refusal) }),
    });
    this.sender = new Sender(this.conn);
    this.place = new Place({
      self: () => this.conn.alias,
      rooms: () => this.conn.rooms,
      moved: () => this.repl?.setPrompt(this.prompt()),
      // Only at a terminal are names completed.
      ...(this.interactive && { who: (room: string) => this.conn.request({ type: 'who', room }) }),
    });
    this.files = new TransferUi(this.conn, downloadDir ?? defaultDownloadDir(), {
      notice: (text, error) => (error ? this.error(text) : this.notice(text)),
      status: (text) => {
        this.status = text === undefined ? '' : `${text} `;
        this.repl?.setPrompt(this.prompt());
      },
    });
    this.conn.on('event', (event) => {
      if (this.files.onEvent(event)) return;
      this.place.observe(event);
      // A script's stdout is the room's traffic and the answers to its lines,
      // not the server's greeting to a person.
      if (!this.interactive && event.type === 'system' && event.event === 'motd') return;
      if (this.early) this.early.push(event);
      else this.showEvent(event);
    });
    this.conn.on('closed', ({ reason, code }) => {
      // Read before online() forgets them: lines typed while the server was
      // down that the end of the connection leaves unsent, shown, not lost.
      const lost = this.offline.undelivered();
      this.offline.online();
      this.repl?.close();
      this.reportUndelivered(lost);
      const message = code === 'displaced' ? reason : `connection lost: ${reason}`;
      this.finish({ kind: 'lost', message });
    });
    this.conn.on('reconnecting', ({ attempt, delayMs, reason, server }) => {
      this.offline.reconnecting(attempt, delayMs, reason, server);
      // No place to redraw: one plain line per attempt.
      if (!this.repl?.terminal) this.show(reconnectLine(attempt, delayMs, reason));
    });
    this.conn.on('answered', (request, reply, { replayed }) => {
      // One's own line where the server stored it: through the request's
      // promise it came after the others' lines read in the same chunk.
      if (reply.type !== 'ack') return;
      this.holding = false;
      if (!this.interactive || !ownLine(request) || replayed) return;
      this.show(renderAck(reply, request, this.context()));
    });
    this.conn.on('held', ({ message, delayMs }) => {
      // Once until a line gets through again, not once per line and retry.
      if (this.holding) return;
      this.holding = true;
      this.error(
        `${message.replace(/[;.] *(?:nothing was sent|try again|reconnect).*$/iu, '')}: your lines are kept and sent again every ${Math.ceil(delayMs / 1000)} s for up to ${HELD_GIVE_UP_MS / 1000} s`,
      );
    });
    this.conn.on('reconnected', (welcome) => {
      this.offline.online();
      this.place.reconnected(welcome);
      this.notice(`Reconnected to ${this.conn.server}`);
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
    this.place.welcomed(welcome);
    const home = this.place.room;
    if (this.interactive && this.settings.room !== undefined) this.place.goTo(this.settings.room);
    if (this.interactive) this.startRepl(welcome);
    // A guest's welcome (it has a session token) to a login with a password:
    // the alias is not an account here, so the password did nothing. Said,
    // or a mistyped --name or another server's database passes unnoticed.
    if (this.passwords.preset && welcome.session !== undefined) {
      const warning = `${welcome.name} is not a registered account on this server: you are signed in as a guest and the password was not used (check --name and --host; /register makes this alias yours)`;
      // Piped, on stderr: a script's stdout is the chat.
      if (this.interactive) this.error(warning);
      else this.io.stderr.write(`chat-client: ${warning}\n`);
    }
    const early = this.early ?? [];
    this.early = undefined;
    for (const event of early) this.showEvent(event);
    if (this.interactive) {
      // Shown like a typed /join (the ack, the topic, the history); lines typed
      // meanwhile go where the user sees they go.
      const asked = this.settings.room;
      if (asked !== undefined) {
        void this.send({ type: 'join', room: asked }).then(() => {
          // Refused: back where the server has the user.
          if (!this.conn.rooms.some((r) => foldKey(r) === foldKey(asked))) this.place.goTo(home);
        });
      }
      return this.ended;
    }
    if (
      this.settings.room !== undefined &&
      !(await joinBeforeScript(this.settings.room, this.sender, this.io.stderr, (request, ack) =>
        this.place.acked(request, ack),
      ))
    ) {
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
          : parseInput(line, this.place.room, this.place.replyTo),
      notice: (text) => this.notice(text),
      acked: (request, ack) => this.place.acked(request, ack),
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
   * Leave cleanly (exit, Ctrl-C, Ctrl-D, SIGTERM): send quit and end the run,
   * with success unless lines typed while the server was down are left
   * undelivered (exit code 6, as a refused line: a wrapper sees the loss).
   */
  async leave(reason?: string): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    // Read before quit() fails them: lines still pending (server down or stalled).
    const lost = this.offline.undelivered();
    this.repl?.close();
    this.files.close();
    this.reportUndelivered(lost);
    await this.conn.quit(reason);
    this.finish({ kind: lost.length > 0 ? 'line_refused' : 'ok' });
  }

  /** Left on screen below the chat, so nothing typed is lost from sight. */
  private reportUndelivered(lost: readonly Request[]): void {
    for (const request of lost) {
      // Not "not delivered": a line sent just before the server stopped answering may be stored.
      this.io.stderr.write(`chat-client: not confirmed: ${undeliveredLine(request)}\n`);
    }
  }

  /** Another alias after the first was refused; undefined (Enter alone, Ctrl-C) gives up. */
  private async askAlias(refusal: ConnectError): Promise<string | undefined> {
    if (this.leaving || !this.io.readLine) return undefined;
    this.io.stderr.write(`chat-client: ${refusal.message} [${refusal.code}]\n`);
    const name = await this.io.readLine('Another alias (Enter alone to quit): ');
    if (this.leaving) return undefined;
    if (!name) {
      this.aliasGivenUp = true;
      return undefined;
    }
    this.passwords.otherAlias();
    return name;
  }

  /** The one line that says why connecting failed. */
  private refusal(err: ConnectError): string {
    if (err.kind !== 'refused') return err.message;
    if (this.aliasGivenUp) return `no other alias given [${err.code}]`;
    // The code last, short, for a script reading stderr (docs/protocol.md "chat-client").
    const line = `the server refused ${this.conn.alias}: ${err.message}`;
    if (asksPassword(err) && this.passwords.unavailable) {
      return `${line}; set CHAT_PASSWORD, or run chat-client in a terminal to be asked for it [${err.code}]`;
    }
    return `${line} [${err.code}]`;
  }

  /** Show an unsolicited event; a mention or private message rings first, unless --quiet. */
  private showEvent(event: ServerEvent): void {
    // The bell before the line: once the line is on screen, its bell has been sent.
    if (!this.settings.quiet && attentionFor(event, this.conn.alias)) this.repl?.bell();
    this.show(renderEvent(event, this.context()));
  }

  private context(): RenderContext {
    return { self: this.conn.alias, room: this.place.room, color: this.io.color };
  }

  private notice(text: string): void {
    this.show(renderNotice(text, this.context()));
  }

  private error(text: string, code?: string): void {
    this.show(renderError(text, code, this.context()));
  }

  private show(text: string | undefined): void {
    if (text === undefined) return;
    if (this.repl) this.repl.print(text);
    else this.io.stdout.write(text + '\n');
  }

  /** The prompt: a transfer's progress bar, if any, then the current room. */
  private prompt(): string {
    return `${this.status}${this.place.room}> `;
  }

  /** The terminal's Repl, set up before the welcome (and the events behind it) are shown. */
  private startRepl(welcome: WelcomeEvent): void {
    const repl = new Typing({
      stdin: this.io.stdin,
      stdout: this.io.stdout,
      conn: this.conn,
      files: this.files,
      place: this.place,
      leaving: () => this.leaving,
      prompt: () => this.prompt(),
      notice: (text) => this.notice(text),
      error: (text) => this.error(text),
      send: (request) => this.send(request),
      leave: (reason) => this.leave(reason),
      undelivered: () => this.offline.undelivered(),
    }).open();
    this.repl = repl;
    this.show(renderEvent(welcome, this.context()));
    repl.start();
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
        this.error(refusalOf(request, result.error.message), result.error.code);
      }
      return;
    }
    const reply = result.reply;
    if (reply.type === 'ack') {
      this.place.acked(request, reply);
      // One's own lines were shown as their acks were read (`answered`).
      if (!ownLine(request)) this.show(renderAck(reply, request, this.context()));
    } else {
      this.place.roster.observe(reply);
      this.show(renderEvent(reply, this.context()));
    }
  }
}

/** A say or dm: acked with the line itself, shown where the server stored it. */
function ownLine(request: Request): boolean {
  return request.type === 'say' || request.type === 'dm';
}
