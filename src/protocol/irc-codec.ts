/**
 * The IRC codec's stateless half (docs/protocol.md "IRC"): the core's events as
 * IRC lines, and IRC message text as the core's text. What a line looks like
 * depends only on the event and the recipient's capabilities, so an event
 * sent to many IRC users is encoded once per capability set, not once per
 * recipient. Conversation state (registration, pending requests, numerics)
 * lives in src/server/irc-session.ts and the irc-*.ts modules beside it.
 */
import { formatIrc, formatTextLines, type IrcMessage } from './irc-message.js';
import type { MessageEvent, PrivateEvent, ServerEvent, SystemEvent } from './messages.js';
import { plain, systemPhrase } from './phrases.js';
import { sanitizeText } from './sanitize.js';

/** IRCv3 capabilities this server offers (`sasl` lists its one mechanism under CAP 302). */
export const IRC_CAPS = ['server-time', 'echo-message', 'message-tags', 'sasl'] as const;
export type IrcCap = (typeof IRC_CAPS)[number];

export function isIrcCap(name: string): name is IrcCap {
  return (IRC_CAPS as readonly string[]).includes(name);
}

const CTCP = '\x01';
const ACTION_WRAP = [`${CTCP}ACTION `, CTCP] as const;
const NO_WRAP = ['', ''] as const;

/** mIRC formatting: bold, colour (with its digits), reset, reverse, italics, strike, underline, monospace. */
const FORMATTING =
  // eslint-disable-next-line no-control-regex -- these control characters are what is matched
  /\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/gu;

/**
 * The text of a PRIVMSG or NOTICE as the core takes it: CTCP ACTION becomes
 * an action, formatting codes go (native terminals would show them as
 * garbage), then the usual sanitizing. Other CTCP (VERSION, PING…) is a
 * client-to-client query native users cannot answer: undefined, dropped.
 */
export function ircTextIn(raw: string): { text: string; action: boolean } | undefined {
  let text = raw;
  let action = false;
  if (text.startsWith(CTCP)) {
    const body = text.endsWith(CTCP) ? text.slice(1, -1) : text.slice(1);
    if (!/^ACTION(?: |$)/u.test(body)) return undefined;
    text = body.slice(7);
    action = true;
  }
  return { text: sanitizeText(text.replace(FORMATTING, '')), action };
}

/** `nick!nick@host`: native users have no ident, and their address is never shown (privacy). */
export function userMask(nick: string, host: string): string {
  return `${nick}!${nick}@${host}`;
}

/** What the encoding of an event depends on besides the event. */
export interface IrcView {
  /** The recipient's nick (private messages are addressed to it). */
  nick: string;
  /** The recipient asked for server-time: every message carries `@time=`. */
  serverTime: boolean;
}

function lines(list: readonly string[], time: string | undefined): Buffer {
  const tag = time === undefined ? '' : `@time=${time} `;
  let out = '';
  for (const l of list) out += tag + l + '\r\n';
  return Buffer.from(out);
}

/**
 * Encodes the core's broadcast events (room messages, joins, parts, quits,
 * nick and topic changes). Events are objects shared by every recipient, so
 * their bytes are kept per event object (weakly: they go with the event).
 */
export class IrcEventEncoder {
  private readonly withTime = new WeakMap<ServerEvent, Buffer>();
  private readonly plain = new WeakMap<ServerEvent, Buffer>();

  constructor(readonly host: string) {}

  /** Bytes for a room message, a join/part/quit/nick/topic, or undefined for other events. */
  shared(event: ServerEvent, serverTime: boolean): Buffer | undefined {
    const cache = serverTime ? this.withTime : this.plain;
    const hit = cache.get(event);
    if (hit) return hit;
    if (event.type !== 'message' && event.type !== 'system') return undefined;
    const list = event.type === 'message' ? this.roomMessageLines(event) : this.systemLines(event);
    if (list === undefined) return undefined;
    const bytes = lines(list, serverTime ? event.ts : undefined);
    cache.set(event, bytes);
    return bytes;
  }

  /** PRIVMSG lines of one room message: one per line of a multi-line message, none over 512 bytes. */
  roomMessageLines(e: MessageEvent): string[] {
    return this.textLines(e.from, e.room, e.text, e.action);
  }

  /** PRIVMSG lines of a private message, addressed to the recipient. */
  privateBytes(e: PrivateEvent, view: IrcView): Buffer {
    return lines(
      this.textLines(e.from, view.nick, e.text, e.action),
      view.serverTime ? e.ts : undefined,
    );
  }

  /** PRIVMSG lines from `from` to `target`. */
  textLines(
    from: string,
    target: string,
    text: string,
    action: boolean,
    command = 'PRIVMSG',
  ): string[] {
    const msg: IrcMessage = {
      tags: {},
      prefix: userMask(from, this.host),
      command,
      params: [target],
    };
    return formatTextLines(msg, text, action ? ACTION_WRAP : NO_WRAP);
  }

  /** Tag a list of lines with server-time when the view asked for it. */
  stamp(list: readonly string[], ts: string, view: IrcView): Buffer {
    return lines(list, view.serverTime ? ts : undefined);
  }

  private from(nick: string, command: string, params: string[], trailing = false): string {
    return formatIrc({ tags: {}, prefix: userMask(nick, this.host), command, params }, trailing);
  }

  /**
   * The recipient-independent system events; away, reset and shutdown are
   * the session's. A kick removes the user from the whole server (§3), which
   * IRC words as one QUIT rather than a KICK per shared channel; the reason is
   * the phrasebook's sentence, as native users read it. (The kicked user's own
   * KICKs are the session's.)
   */
  private systemLines(e: SystemEvent): string[] | undefined {
    const user = e.user ?? '';
    switch (e.event) {
      case 'join':
        return e.room === undefined ? undefined : [this.from(user, 'JOIN', [e.room])];
      case 'part':
        if (e.room === undefined) return undefined;
        return [this.from(user, 'PART', e.reason ? [e.room, e.reason] : [e.room], !!e.reason)];
      case 'quit':
        return [this.from(user, 'QUIT', [e.reason ?? 'Quit'], true)];
      case 'kick':
        return [this.from(user, 'QUIT', [plain(systemPhrase(e))], true)];
      case 'nick':
        return [this.from(user, 'NICK', [e.name ?? user])];
      case 'topic':
        if (e.room === undefined) return undefined;
        return [this.from(user, 'TOPIC', [e.room, e.text ?? ''], true)];
      case 'presence':
        // Big rooms announce in aggregate (§6); IRC clients keep member lists, so they get each one.
        if (e.room === undefined) return undefined;
        return [
          ...(e.joined ?? []).map((n) => this.from(n, 'JOIN', [e.room!])),
          ...(e.left ?? []).map((n) => this.from(n, 'PART', [e.room!])),
        ];
      default:
        return undefined;
    }
  }
}
