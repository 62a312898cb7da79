/**
 * IRC registration's decisions (docs/protocol.md "IRC"): CAP negotiation,
 * the SASL PLAIN exchange and how a refused login is told. Pure state
 * machines: each step says what to answer and what to do next, and the
 * registration (irc-registration.ts) does it.
 */
import { IRC_CAPS, isIrcCap, type IrcCap } from '../protocol/irc-codec.js';
import { ChatError, PasswordNeeded } from '../protocol/errors.js';

/** Commands answered before registration; everything else gets 451. */
export const PRE_REGISTRATION: ReadonlySet<string> = new Set([
  'CAP',
  'NICK',
  'USER',
  'PASS',
  'AUTHENTICATE',
  'PING',
  'PONG',
  'QUIT',
]);

/** A numeric to send: its code, then its parameters after the reader's nick. */
export type Numeric = [code: string, ...params: string[]];

export type CapOutcome =
  /** Send `CAP <nick|*> …params`. */
  | { kind: 'reply'; params: string[] }
  /** CAP END: registration may go on. */
  | { kind: 'end' }
  | { kind: 'numeric'; numeric: Numeric };

/** The capabilities a connection asked for, and whether it is still negotiating them. */
export class CapNegotiation {
  readonly caps = new Set<IrcCap>();
  /** CAP LS or REQ before registration holds it until CAP END. */
  negotiating = false;

  has(cap: IrcCap): boolean {
    return this.caps.has(cap);
  }

  /** One CAP command (its parameters); `registered` once the connection is logged in. */
  handle(params: readonly string[], registered: boolean): CapOutcome {
    const sub = (params[0] ?? '').toUpperCase();
    switch (sub) {
      case 'LS': {
        if (!registered) this.negotiating = true;
        const v302 = Number(params[1] ?? '0') >= 302;
        const offer = IRC_CAPS.map((c) => (c === 'sasl' && v302 ? 'sasl=PLAIN' : c)).join(' ');
        return { kind: 'reply', params: ['LS', offer] };
      }
      case 'LIST':
        return { kind: 'reply', params: ['LIST', [...this.caps].join(' ')] };
      case 'REQ': {
        if (!registered) this.negotiating = true;
        const asked = (params[1] ?? '').split(' ').filter((c) => c !== '');
        const ok = asked.every((c) => isIrcCap(c.replace(/^-/u, '')));
        if (!ok || asked.length === 0) return { kind: 'reply', params: ['NAK', asked.join(' ')] };
        for (const c of asked) {
          if (c.startsWith('-')) this.caps.delete(c.slice(1) as IrcCap);
          else this.caps.add(c as IrcCap);
        }
        return { kind: 'reply', params: ['ACK', asked.join(' ')] };
      }
      case 'END':
        this.negotiating = false;
        return { kind: 'end' };
      default:
        return { kind: 'numeric', numeric: ['410', sub || '*', 'Invalid CAP command'] };
    }
  }
}

/** SASL sends its payload in chunks of 400 base64 characters; a full one means more follow. */
const SASL_CHUNK = 400;
const SASL_MAX = 4096;

export type SaslStep =
  | { kind: 'numerics'; numerics: Numeric[] }
  /** `AUTHENTICATE +`: the mechanism is accepted, send the payload. */
  | { kind: 'continue' }
  /** Nothing to say: more chunks follow, or a check is under way. */
  | { kind: 'wait' }
  /** The whole payload came: check these credentials, then call `checked()`. */
  | { kind: 'check'; authcid: string; password: string };

/** The AUTHENTICATE exchange for PLAIN, the one mechanism offered. */
export class SaslPlain {
  private state: 'mechanism' | 'checking' | undefined;
  private buffer = '';

  /** True from the mechanism to the end of the check: registration waits for it. */
  get busy(): boolean {
    return this.state !== undefined;
  }

  /**
   * One AUTHENTICATE parameter. `done`: this connection is already logged in
   * or authenticated; `offered`: it asked for the sasl capability.
   */
  step(arg: string | undefined, done: boolean, offered: boolean): SaslStep {
    const say = (...numerics: Numeric[]): SaslStep => ({ kind: 'numerics', numerics });
    if (done) return say(['907', 'You have already authenticated using SASL']);
    if (!offered)
      return say(['904', 'SASL authentication failed: request the sasl capability first']);
    if (arg === undefined) return say(['461', 'AUTHENTICATE', 'Not enough parameters']);
    if (arg === '*') {
      this.state = undefined;
      this.buffer = '';
      return say(['906', 'SASL authentication aborted']);
    }
    if (this.state === undefined) {
      if (arg.toUpperCase() !== 'PLAIN')
        return say(
          ['908', 'PLAIN', 'are available SASL mechanisms'],
          ['904', 'SASL authentication failed'],
        );
      this.state = 'mechanism';
      return { kind: 'continue' };
    }
    if (this.state !== 'mechanism') return { kind: 'wait' };
    if (arg !== '+') this.buffer += arg;
    if (this.buffer.length > SASL_MAX) {
      this.state = undefined;
      this.buffer = '';
      return say(['905', 'SASL message too long']);
    }
    if (arg.length === SASL_CHUNK) return { kind: 'wait' };
    const payload = Buffer.from(this.buffer, 'base64').toString('utf8');
    this.buffer = '';
    // PLAIN is `authzid NUL authcid NUL password`; the authzid is not used.
    const [, authcid = '', password = ''] = payload.split('\0');
    this.state = 'checking';
    return { kind: 'check', authcid, password };
  }

  /** The check is over (either way): a new exchange may start. */
  checked(): void {
    this.state = undefined;
  }
}

/** How a refused login is told: a numeric, and whether the nick is forgotten or the link closed. */
export interface Refusal {
  numeric: Numeric;
  /** The nick cannot be had: the client must send another NICK. */
  forgetNick?: boolean;
  /** The reason the connection is closed with. */
  close?: string;
}

/** The answer to a login the core refused; undefined for an error that is not the core's. */
export function loginRefusal(err: unknown, nick: string): Refusal | { close: string } | undefined {
  if (err instanceof PasswordNeeded)
    return {
      forgetNick: true,
      numeric: ['433', nick, `Nickname is registered: log in with SASL (or PASS) to use it`],
    };
  if (!(err instanceof ChatError)) return undefined;
  switch (err.code) {
    case 'bad_alias':
      return { forgetNick: true, numeric: ['432', nick, err.message] };
    case 'alias_taken':
      return { forgetNick: true, numeric: ['433', nick, 'Nickname is already in use'] };
    case 'auth_failed':
      return { numeric: ['464', 'Password incorrect'], close: 'Bad password' };
    case 'auth_required':
      return { numeric: ['464', err.message], close: 'Account required' };
    case 'banned':
      // Until when and why (§4 error codes: `banned`), as the native port says it.
      return { numeric: ['465', err.message], close: 'Banned' };
    default:
      return { close: err.message };
  }
}
