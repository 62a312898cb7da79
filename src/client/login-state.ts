/**
 * Who this client is to the server, kept so that a reconnect logs in again as
 * the same user (docs/protocol.md §2, §4, §8): the alias, its password, the
 * rooms joined, a guest's session, and what was seen of each stream. It
 * builds each hello from that and follows the welcome and the acks of the
 * requests that change it (/nick, /join, /part, /register, /passwd). Pure:
 * no sockets, no timers.
 */
import { randomBytes } from 'node:crypto';
import {
  PROTOCOL_VERSION,
  type Hello,
  type Request,
  type ServerEvent,
  type WelcomeEvent,
} from '../protocol/messages.js';
import { foldKey } from '../protocol/names.js';
import { ResumeState } from './resume.js';
import { asksPassword } from './wire.js';

/** What a hello says besides who we are; fixed for the Connection's life. */
export interface HelloExtras {
  history?: number;
  bot?: boolean;
}

/** See the module comment. */
export class LoginState {
  /** The alias in use (it follows /nick and the welcome). */
  name: string;
  /** Sent in hello; follows /register so a reconnect can log in again. */
  password?: string;
  /**
   * The account signed in to, once a welcome says it is one (it carries no
   * guest session): a `/nick` to a free alias keeps it, so a reconnect signs
   * in to it under that alias (hello `account`), not as a guest of that name.
   */
  private account?: string;
  /** What was seen of each stream (room or `@`): what to resume from, and what is a duplicate. */
  readonly seen = new ResumeState();
  private joined = new Set<string>();
  /** The streams the last hello resumed. */
  private resumed = new Set<string>();
  /**
   * This program's id in every hello (§2 `instance`): if another login takes
   * our session over while we are away, our reconnect is refused instead
   * of taking it back.
   */
  private readonly instance = randomBytes(12).toString('base64url');
  /** The last welcome's guest session: a guest's identity comes back with it. */
  private session?: string;
  /**
   * The away message set (`/away text`): the server forgets it with the
   * connection, so a reconnect sets it again (a hands-on trial: after a
   * restart nobody saw Ben away, while his screen still said he was).
   */
  private away?: string;

  constructor(
    name: string,
    password: string | undefined,
    private readonly extras: HelloExtras,
  ) {
    this.name = name;
    this.password = password;
  }

  /** The rooms the user is in, as far as acks and the last welcome tell. */
  get rooms(): string[] {
    return [...this.joined];
  }

  /** Whether a refusal of our hello asks for a (new) password: none was sent, or a wrong one (§2). */
  wantsPassword(refusal: { kind: string; code?: string; detail?: string }): boolean {
    if (refusal.kind !== 'refused') return false;
    return (asksPassword(refusal) && this.password === undefined) || refusal.code === 'auth_failed';
  }

  hello(): Hello {
    const hello: Hello = { type: 'hello', version: PROTOCOL_VERSION, name: this.name };
    if (this.password !== undefined) hello.password = this.password;
    if (this.account !== undefined && this.password !== undefined && this.renamed()) {
      hello.account = this.account;
    }
    if (this.extras.history !== undefined) hello.history = this.extras.history;
    if (this.extras.bot === true) hello.bot = true;
    // A guest's identity (its private messages, ignores, request ids) comes back with it.
    if (this.session !== undefined) hello.session = this.session;
    hello.instance = this.instance;
    const resume = this.seen.resumeMap(this.joined);
    if (resume) hello.resume = resume;
    this.resumed = new Set(Object.keys(resume ?? {}));
    return hello;
  }

  /** Signed in as a guest: a guest session and no account (not since /register or a /nick into one). */
  get guest(): boolean {
    return this.session !== undefined && this.account === undefined;
  }

  /** A session opened: the server says who we are and where. */
  welcomed(welcome: WelcomeEvent): void {
    this.session = welcome.session;
    // Signed in with a password and no guest session: an account, under its own name or the one we asked for.
    if (welcome.session === undefined && this.password !== undefined && !this.renamed()) {
      this.account = welcome.name;
    }
    this.name = welcome.name;
    this.joined = new Set(welcome.rooms);
    for (const [stream, epoch] of Object.entries(welcome.epochs ?? {})) {
      this.seen.setEpoch(stream, epoch);
    }
    // A stream this login did not resume starts at its top now: a later
    // reconnect must not replay what was said before this client came
    // (up to 500 old messages shown as new). A resumed one is replayed from
    // our point; its top would skip that replay if we dropped again first.
    for (const [stream, seq] of Object.entries(welcome.seqs ?? {})) {
      if (!this.resumed.has(stream)) this.seen.joinedAt(stream, seq);
    }
  }

  /** Keep the state a reconnect needs (alias, rooms) in step with acknowledged requests. */
  acked(request: Request, reply: ServerEvent): void {
    if (reply.type !== 'ack') return;
    // Our own message's seq: a resume starts after it, and a replay of it is not shown again.
    if (request.type === 'say' && reply.seq !== undefined) {
      this.seen.ownMessage(reply.room ?? request.room ?? '', reply.seq);
    }
    if (request.type === 'join') this.joined.add(reply.room ?? request.room);
    if (request.type === 'part') this.joined.delete(reply.room ?? request.room ?? '');
    if (request.type === 'nick') {
      this.name = reply.name ?? request.name;
      if (request.password !== undefined) {
        // Into another registered alias: its account, and its password, from now on.
        this.account = this.name;
        this.password = request.password;
      } else if (this.account === undefined) {
        // A guest's alias takes no password.
        this.password = undefined;
      }
    }
    if (request.type === 'away') this.away = request.text?.trim() ? request.text : undefined;
    if (request.type === 'register') this.account = this.name;
    // The new password is what a reconnect must send (§2 /passwd).
    if (request.type === 'register' || request.type === 'passwd') this.password = request.password;
  }

  /**
   * What a reconnect's session must be told again, sent right after its
   * welcome: without an id, so only a refusal is answered.
   */
  restoring(): Request[] {
    return this.away === undefined ? [] : [{ type: 'away', text: this.away }];
  }

  /** Whether the alias in use is not the account's own name. */
  private renamed(): boolean {
    return this.account !== undefined && foldKey(this.account) !== foldKey(this.name);
  }
}
