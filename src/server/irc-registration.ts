/**
 * One IRC connection's registration (docs/protocol.md "IRC"): CAP, SASL
 * PLAIN, PASS, NICK and USER until the core's login, then the welcome burst
 * (001–005, MOTD). The decisions are irc-negotiation.ts's; this keeps the
 * state between lines and does what they say through its host, the session.
 */
import type { Logger } from 'pino';
import type { Chat } from '../core/chat.js';
import type { Peer, User } from '../core/model.js';
import { userMask } from '../protocol/irc-codec.js';
import { ChatError, PasswordNeeded } from '../protocol/errors.js';
import { foldKey } from '../protocol/names.js';
import { CapNegotiation, loginRefusal, SaslPlain } from './irc-negotiation.js';
import { motdLines, serverLine, welcomeLines, type IrcReplyContext } from './irc-render.js';

/** What registration needs of its connection (the Peer the core logs in). */
export interface RegistrationHost extends Peer {
  readonly deps: {
    readonly chat: Chat;
    readonly log: Logger;
    readonly serverName: string;
    readonly version: string;
    motd(): readonly string[];
  };
  readonly address: string;
  /** Set once the core logged the connection in. */
  readonly user: User | undefined;
  readonly isClosing: boolean;
  /** Closing, or the socket is already gone. */
  readonly finished: boolean;
  /** Input is held (a login or SASL check is under way). */
  readonly holding: boolean;
  readonly ctx: IrcReplyContext;
  reply(lines: readonly string[]): void;
  numeric(code: string, ...params: string[]): void;
  holdInput(): void;
  releaseInput(): void;
  close(reason: string): void;
  note(level: 'info' | 'error', fields: object, msg: string): void;
  /** The core accepted the login. */
  admitted(user: User): void;
}

export class IrcRegistration {
  nick: string | undefined;
  private userName: string | undefined;
  private realName = '';
  private pass: string | undefined;
  readonly caps = new CapNegotiation();
  private readonly saslExchange = new SaslPlain();
  private sasl: { account: string; password: string } | undefined;

  constructor(private readonly host: RegistrationHost) {}

  cap(params: readonly string[]): void {
    const h = this.host;
    const outcome = this.caps.handle(params, h.user !== undefined);
    switch (outcome.kind) {
      case 'reply': {
        const star = h.user ? h.ctx.nick : '*';
        h.reply([serverLine(h.deps.serverName, 'CAP', [star, ...outcome.params])]);
        return;
      }
      case 'end':
        this.tryRegister();
        return;
      case 'numeric':
        h.numeric(...outcome.numeric);
    }
  }

  authenticate(arg: string | undefined): void {
    const h = this.host;
    const step = this.saslExchange.step(
      arg,
      h.user !== undefined || this.sasl !== undefined,
      this.caps.has('sasl'),
    );
    switch (step.kind) {
      case 'numerics':
        for (const n of step.numerics) h.numeric(...n);
        return;
      case 'continue':
        h.reply(['AUTHENTICATE +']);
        return;
      case 'wait':
        return;
      case 'check':
        break;
    }
    const { password } = step;
    h.holdInput();
    void this.checkSasl(step.authcid, password).then((account) => {
      this.saslExchange.checked();
      if (account) {
        this.sasl = { account, password };
        const mask = userMask(this.nick ?? account, h.deps.serverName);
        h.numeric('900', mask, account, `You are now logged in as ${account}`);
        h.numeric('903', 'SASL authentication successful');
      }
      h.releaseInput();
      this.tryRegister();
    });
  }

  /** The account name for a right password, or undefined after saying why not (904). */
  private async checkSasl(authcid: string, password: string): Promise<string | undefined> {
    const h = this.host;
    const chat = h.deps.chat;
    try {
      const account = await chat.options.store.getAccount(foldKey(authcid.trim()));
      if (!account) throw new ChatError('auth_failed', 'No such account');
      await chat.checkPassword(h, account, password);
      h.note('info', { account: true }, 'irc sasl login');
      return account.name;
    } catch (err) {
      if (h.isClosing) return undefined;
      const e = err instanceof ChatError ? err : undefined;
      if (!e) h.note('error', { err }, 'unexpected error during sasl');
      h.numeric('904', `SASL authentication failed${e ? `: ${e.message}` : ''}`);
      return undefined;
    }
  }

  /** PASS: a password for a registered nick, when the client does not speak SASL. */
  setPass(password: string): void {
    this.pass = password;
  }

  /** USER: the last of NICK and USER starts the login. */
  setUser(userName: string, realName: string): void {
    this.userName = userName;
    this.realName = realName;
    this.tryRegister();
  }

  /** NICK before registration (a valid alias already). */
  setNick(name: string): void {
    this.nick = name;
    this.tryRegister();
  }

  tryRegister(): void {
    const h = this.host;
    if (h.user || h.holding || h.isClosing) return;
    if (this.nick === undefined || this.userName === undefined) return;
    if (this.caps.negotiating || this.saslExchange.busy) return;
    const name = this.sasl?.account ?? this.nick;
    const password = this.sasl?.password ?? this.pass;
    h.holdInput();
    h.deps.chat.login(h, { name, ...(password !== undefined && { password }) }).then(
      (user) => this.admitted(user),
      (err: unknown) => {
        this.loginRefused(err);
        if (!h.isClosing) h.releaseInput();
      },
    );
  }

  private loginRefused(err: unknown): void {
    const h = this.host;
    if (h.isClosing) return;
    const refusal = loginRefusal(err, this.nick ?? '*');
    if (!refusal) {
      h.note('error', { err }, 'unexpected error during irc login');
      h.close('Internal server error during login');
      return;
    }
    if (err instanceof ChatError && !(err instanceof PasswordNeeded))
      h.note('info', { code: err.code }, 'irc registration refused');
    if ('numeric' in refusal) {
      if (refusal.forgetNick) this.nick = undefined;
      h.numeric(...refusal.numeric);
    }
    if (refusal.close !== undefined) h.close(refusal.close);
  }

  private admitted(user: User): void {
    const h = this.host;
    this.forget();
    if (h.finished) {
      h.deps.chat.disconnect(user, 'connection closed');
      return;
    }
    h.admitted(user);
    h.note(
      'info',
      { alias: user.name.display, account: user.account !== undefined },
      'irc registered',
    );
    // Input stays held until the welcome arrives, so replies never come before 001.
  }

  /** The password was needed once, by the login: it is not kept. */
  private forget(): void {
    this.pass = undefined;
    if (this.sasl) this.sasl.password = '';
  }

  /** The connection is gone: nothing secret stays behind. */
  clear(): void {
    this.pass = undefined;
    this.sasl = undefined;
  }

  /** 001–005 and the MOTD. With SASL the account's name is the nick; clients take it from 001. */
  welcome(): void {
    const h = this.host;
    this.nick = h.ctx.nick;
    h.reply(welcomeLines(h.ctx, h.deps.version));
    this.motd();
  }

  motd(): void {
    this.host.reply(motdLines(this.host.ctx, this.host.deps.motd()));
  }
}
