/**
 * IRC commands from the client (docs/protocol.md "IRC"): each becomes the
 * core's Requests (JOIN #a,#b is two), a registration step, or a query
 * answered from the core's state (irc-queries.ts). The core makes every
 * chat decision; a request's ack or error comes back as an event, and the
 * Pending each command sends with it (irc-requests.ts) says which IRC reply
 * it becomes.
 */
import type { Chat } from '../core/chat.js';
import type { User } from '../core/model.js';
import { ChatError } from '../protocol/errors.js';
import { ircTextIn } from '../protocol/irc-codec.js';
import { splitUtf8, type IrcMessage } from '../protocol/irc-message.js';
import type { Request } from '../protocol/messages.js';
import { foldKey, parseAlias, parseRoom } from '../protocol/names.js';
import * as query from './irc-queries.js';
import type { IrcRegistration } from './irc-registration.js';
import type { Pending } from './irc-requests.js';
import { IRC_TOPIC_LEN, serverLine, topicLines, type IrcReplyContext } from './irc-render.js';

/** What the commands need of their connection. */
export interface CommandHost {
  readonly deps: { readonly chat: Chat; readonly serverName: string };
  readonly ctx: IrcReplyContext;
  /** Set once registered; commands past registration run only then. */
  readonly user: User | undefined;
  readonly registration: IrcRegistration;
  /** Channels this client was told it is in. */
  readonly channels: ReadonlySet<string>;
  reply(lines: readonly string[]): void;
  numeric(code: string, ...params: string[]): void;
  /** A NOTICE from the server to this client. */
  serverNotice(text: string): void;
  /** Send a request to the core, remembering how to answer its ack or error. */
  request(req: Request, pending: Pending): void;
  close(reason: string): void;
  /** A QUIT's message, for the ERROR line that ends the link. */
  quitting(message: string): void;
}

/**
 * WHOIS of one or more nicks. In cluster mode a nick not here may be on
 * another node, which the core asks; then every nick of the command goes
 * through the core, so the answers keep the order asked.
 */
function whois(h: CommandHost, nicks: readonly string[]): void {
  const chat = h.deps.chat;
  if (!chat.options.solo && nicks.some((n) => !chat.users.has(foldKey(n)))) {
    for (const n of nicks) h.request({ type: 'whois', name: n }, { command: 'WHOIS', target: n });
    return;
  }
  for (const n of nicks) h.reply(query.whois(h.ctx, chat, n));
}

/** True when `msg` has `n` non-empty parameters; else 461 is sent. */
function need(h: CommandHost, msg: IrcMessage, n: number): boolean {
  if (msg.params.length >= n && msg.params.slice(0, n).every((p) => p !== '')) return true;
  h.numeric('461', msg.command, 'Not enough parameters');
  return false;
}

/** Carry out one command (registration has already let it through). */
export function runIrcCommand(h: CommandHost, msg: IrcMessage): void {
  const p = msg.params;
  const chat = h.deps.chat;
  switch (msg.command) {
    case 'CAP':
      if (!need(h, msg, 1)) return;
      return h.registration.cap(p);
    case 'AUTHENTICATE':
      return h.registration.authenticate(p[0]);
    case 'PASS':
      if (h.user) return h.numeric('462', 'You may not reregister');
      // A password with spaces may come unquoted (`PASS a b`): every word is part of it.
      if (need(h, msg, 1)) h.registration.setPass(p.join(' '));
      return;
    case 'USER':
      if (h.user) return h.numeric('462', 'You may not reregister');
      if (!need(h, msg, 4)) return;
      return h.registration.setUser(p[0]!, p[3] ?? '');
    case 'NICK':
      return nick(h, msg);
    case 'PING':
      // RFC 2812 3.7.2: a PING without a token is 409, as ergo and solanum answer it.
      if (p[0] === undefined || p[0] === '') return h.numeric('409', 'No origin specified');
      return h.reply([serverLine(h.deps.serverName, 'PONG', [h.deps.serverName, p[0]!])]);
    case 'PONG':
      return;
    case 'QUIT':
      if (p[0]) h.quitting(p[0]);
      if (!h.user) return h.close('quit');
      chat.handle(h.user, { type: 'quit', ...(p[0] && { reason: p[0] }) });
      return;
    case 'JOIN':
      return join(h, msg);
    case 'PART':
      if (!need(h, msg, 1)) return;
      for (const chan of p[0]!.split(',').filter((c) => c !== ''))
        h.request(
          { type: 'part', room: chan, ...(p[1] && { reason: p[1] }) },
          { command: 'PART', target: chan, ...(p[1] && { reason: p[1] }) },
        );
      return;
    case 'PRIVMSG':
    case 'NOTICE':
      return privmsg(h, msg);
    case 'TAGMSG':
      return;
    case 'TOPIC':
      return topic(h, msg);
    case 'NAMES':
      if (p[0] === undefined) return h.numeric('366', '*', 'End of /NAMES list');
      for (const chan of p[0].split(',')) {
        // Other nodes' members are known to the core's presence, not to this node's rooms.
        if (!chat.options.solo)
          h.request({ type: 'who', room: chan }, { command: 'NAMES', target: chan });
        else h.reply(query.names(h.ctx, chat, chan));
      }
      return;
    case 'LIST':
      return h.reply(query.list(h.ctx, chat));
    case 'WHO':
      if (!chat.options.solo && p[0]?.startsWith('#'))
        return h.request({ type: 'who', room: p[0] }, { command: 'WHO', target: p[0] });
      return h.reply(query.who(h.ctx, chat, p[0] ?? '*'));
    case 'WHOIS':
      if (!need(h, msg, 1)) return;
      whois(h, p[p.length - 1]!.split(','));
      return;
    case 'MODE':
      if (!need(h, msg, 1)) return;
      if (banMode(h, p)) return;
      return h.reply([query.mode(h.ctx, chat, p)]);
    case 'KICK':
      return kick(h, msg);
    case 'USERHOST':
      if (!need(h, msg, 1)) return;
      return h.reply([query.userhost(h.ctx, chat, p)]);
    case 'ISON':
      if (!need(h, msg, 1)) return;
      return h.reply([query.ison(h.ctx, chat, p)]);
    case 'AWAY':
      return h.request({ type: 'away', text: p[0] ?? '' }, { command: 'AWAY', target: '' });
    case 'MOTD':
      return h.registration.motd();
    default:
      h.numeric('421', msg.command, 'Unknown command');
  }
}

function nick(h: CommandHost, msg: IrcMessage): void {
  const wanted = msg.params[0];
  if (wanted === undefined || wanted === '') return h.numeric('431', 'No nickname given');
  let name: string;
  try {
    name = parseAlias(wanted).display;
  } catch (err) {
    if (!(err instanceof ChatError)) throw err;
    return h.numeric('432', wanted, err.message);
  }
  if (!h.user) return h.registration.setNick(name);
  h.request({ type: 'nick', name }, { command: 'NICK', target: name, oldNick: h.ctx.nick });
}

function join(h: CommandHost, msg: IrcMessage): void {
  if (!need(h, msg, 1)) return;
  const user = h.user!;
  if (msg.params[0] === '0') {
    // JOIN 0 leaves every channel; the core keeps a user in one room (§3), so the last one stays.
    for (const room of [...user.rooms.values()])
      h.request(
        { type: 'part', room: room.name.display },
        { command: 'PART', target: room.name.display },
      );
    return;
  }
  for (const chan of msg.params[0]!.split(',').filter((c) => c !== '')) {
    let key: string;
    try {
      key = parseRoom(chan).key;
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      h.numeric('403', chan, err.message);
      continue;
    }
    if (h.channels.has(key)) continue;
    h.request({ type: 'join', room: chan }, { command: 'JOIN', target: chan });
  }
}

function privmsg(h: CommandHost, msg: IrcMessage): void {
  const quiet = msg.command === 'NOTICE';
  const [targets, raw] = msg.params;
  if (targets === undefined || targets === '') {
    if (!quiet) h.numeric('411', `No recipient given (${msg.command})`);
    return;
  }
  if (raw === undefined || raw === '') {
    if (!quiet) h.numeric('412', 'No text to send');
    return;
  }
  const parsed = ircTextIn(raw);
  if (parsed === undefined || parsed.text.trim() === '') return;
  for (const target of targets.split(',').filter((t) => t !== '')) {
    const pending: Pending = {
      from: h.ctx.nick,
      command: msg.command,
      target,
      text: parsed.text,
      action: parsed.action,
      quiet,
    };
    if (target.startsWith('#'))
      h.request({ type: 'say', room: target, text: parsed.text, action: parsed.action }, pending);
    else h.request({ type: 'dm', to: target, text: parsed.text, action: parsed.action }, pending);
  }
}

function topic(h: CommandHost, msg: IrcMessage): void {
  if (!need(h, msg, 1)) return;
  const chan = msg.params[0]!;
  if (msg.params.length >= 2) {
    // TOPICLEN counts bytes, as the core's topic limit does: a cut by
    // characters let 300 non-ASCII ones through to a refusal for length.
    const [text = ''] = splitUtf8(msg.params[1]!, IRC_TOPIC_LEN);
    h.request(
      { type: 'topic', room: chan, text: ircTextIn(text)?.text ?? '' },
      { command: 'TOPIC', target: chan },
    );
    return;
  }
  const room = query.findRoom(h.deps.chat, chan);
  if (!room) return h.numeric('403', chan, 'No such channel');
  h.reply(topicLines(h.ctx, room));
}

/**
 * `MODE #chan +b mask` / `-b mask` from an operator (what irssi's and
 * weechat's /ban and /unban send): a ban or unban of the nick the mask
 * names (`nick`, `nick!*@*`), server-wide and without an end, as the native
 * `/ban nick`. Host masks are not bans here: addresses are banned with the
 * native `/ban -addr`. False for any other MODE (irc-queries answers it).
 */
function banMode(h: CommandHost, params: readonly string[]): boolean {
  const [chan = '', modes = '', ...masks] = params;
  // Only b changes: `+b`, `-bbb`, `-b-b-b` (irssi sends up to three in one command).
  if (!chan.startsWith('#') || !/^(?:[+-]?b)+$/u.test(modes)) return false;
  const room = query.findRoom(h.deps.chat, chan);
  if (!room) {
    h.numeric('403', chan, 'No such channel');
    return true;
  }
  const operator = h.user!.account?.operator === true;
  if (masks.length === 0) {
    // The ban list (clients ask for it on join, and /unban * reads it): an
    // operator's is the server's bans; others see it empty, as /bans refuses them.
    // `+bb` without masks asks the same: there is nothing to change.
    if (operator)
      h.request({ type: 'bans' }, { command: 'MODE', target: room.name.display, banList: true });
    else h.numeric('368', room.name.display, 'End of channel ban list');
    return true;
  }
  if (!operator) {
    h.numeric('482', room.name.display, "You're not channel operator");
    return true;
  }
  let sign = '+';
  let next = 0;
  for (const c of modes) {
    if (c === '+' || c === '-') sign = c;
    else if (next < masks.length) banOne(h, room.name.display, sign === '+', masks[next++]!);
  }
  return true;
}

/** One `+b mask` or `-b mask` of an operator's MODE (banMode). */
function banOne(h: CommandHost, chan: string, add: boolean, mask: string): void {
  const pending = { command: 'MODE', target: chan, mask };
  const nick = nickOfMask(mask);
  const address = nick === undefined ? addressOfMask(mask) : undefined;
  if (address !== undefined) {
    // `*!*@203.0.113.7`: the address, as the native /ban -addr and /unban (the core checks it).
    h.request(add ? { type: 'ban', address } : { type: 'unban', address }, pending);
    return;
  }
  if (nick === undefined) {
    h.serverNotice(
      `A ban names a nick (MODE ${chan} +b nick, nick!*@* or *!nick@*) ` +
        'or an address (*!*@203.0.113.7, *!*@203.0.113.0/24); no other masks',
    );
    return;
  }
  h.request(add ? { type: 'ban', name: nick } : { type: 'unban', name: nick }, pending);
}

/**
 * The nick a ban mask names: `nick`, `nick!*@*`, or, since every user here
 * is `nick!nick@server`, the user part of `*!nick@host` and `*!*nick@host`
 * (what irssi's and weechat's /ban make). The host part is never an
 * address here, so it is not read. Undefined for anything with wildcards
 * where the nick would be.
 */
export function nickOfMask(mask: string): string | undefined {
  const bang = mask.indexOf('!');
  const at = mask.indexOf('@', bang + 1);
  const nickPart = bang < 0 ? (at < 0 ? mask : mask.slice(0, at)) : mask.slice(0, bang);
  const userPart = bang < 0 ? '' : mask.slice(bang + 1, at < 0 ? undefined : at);
  const plain = (s: string): boolean => s !== '' && !/[*?!@]/u.test(s);
  if (plain(nickPart)) return nickPart;
  if (nickPart !== '*' && nickPart !== '') return undefined;
  const user = userPart.replace(/^\*?~?/u, '');
  return plain(user) ? user : undefined;
}

/** The address of `*!*@address` (an IP or CIDR block, as the ban list shows one); else undefined. */
export function addressOfMask(mask: string): string | undefined {
  const m = /^\*!\*@([0-9a-fA-F.:/]+)$/u.exec(mask);
  return m && /[.:]/u.test(m[1]!) ? m[1] : undefined;
}

function kick(h: CommandHost, msg: IrcMessage): void {
  if (!need(h, msg, 2)) return;
  const [chan, nick, reason] = msg.params as [string, string, string | undefined];
  const room = query.findRoom(h.deps.chat, chan);
  if (!room) return h.numeric('403', chan, 'No such channel');
  const me = h.user!;
  if (!room.members.has(me))
    return h.numeric('442', room.name.display, "You're not on that channel");
  const target = h.deps.chat.users.get(foldKey(nick));
  if (!target) return h.numeric('401', nick, 'No such nick/channel');
  if (!room.members.has(target))
    return h.numeric('441', nick, room.name.display, "They aren't on that channel");
  if (!me.account?.operator)
    return h.numeric('482', room.name.display, "You're not channel operator");
  h.request(
    { type: 'kick', name: target.name.display, ...(reason && { reason }) },
    { command: 'KICK', target: room.name.display },
  );
}
