/**
 * IRC replies as lines (docs/protocol.md "IRC"): numerics, server notices,
 * the welcome burst, topics, NAMES, and the numeric a core error becomes for
 * the IRC command that asked. Pure: every function returns lines (without
 * CRLF) from what it is given, and knows no socket or session, so an IRC
 * codec can use it as it is. Lines that do not depend on the reader (room
 * messages, joins, quits…) are the shared encoder's (src/protocol/irc-codec.ts).
 */
import type { Room } from '../core/model.js';
import { userMask } from '../protocol/irc-codec.js';
import { formatIrc, IRC_LINE_BYTES, splitUtf8 } from '../protocol/irc-message.js';
import { MAX_NAME_CHARS } from '../protocol/names.js';
import type { BanInfo } from '../protocol/messages.js';

/** Who a reply comes from (the server) and whom it names first (the reader's nick, `*` before one). */
export interface IrcReplyContext {
  readonly server: string;
  readonly nick: string;
}

/** TOPIC text that fits one 332 line whatever the nick and channel (IRC has no multi-line topic). */
export const IRC_TOPIC_LEN = 300;
const CHANNEL_LEN = MAX_NAME_CHARS + 1;

/** A numeric reply: `:server NNN nick params…`, the last parameter trailing. */
export function numericLine(ctx: IrcReplyContext, code: string, ...params: string[]): string {
  return formatIrc(
    { tags: {}, prefix: ctx.server, command: code, params: [ctx.nick, ...params] },
    true,
  );
}

/** A reply from the server that is not a numeric (CAP, PONG): the last parameter trailing. */
export function serverLine(server: string, command: string, params: string[]): string {
  return formatIrc({ tags: {}, prefix: server, command, params }, true);
}

/** A server NOTICE to `target`: one line per line of `text`, each cut to fit. */
export function noticeLines(server: string, target: string, text: string): string[] {
  const prefix = { tags: {}, prefix: server, command: 'NOTICE', params: [target] };
  const out: string[] = [];
  for (const line of text.split('\n'))
    for (const piece of splitUtf8(line, 400))
      out.push(formatIrc({ ...prefix, params: [target, piece] }, true));
  return out;
}

/** A line from `nick` as its own client sees it (JOIN, PART, NICK, TOPIC echoes). */
export function selfLine(
  server: string,
  nick: string,
  command: string,
  params: string[],
  trailing = false,
): string {
  return formatIrc({ tags: {}, prefix: userMask(nick, server), command, params }, trailing);
}

/** The last line to a closing connection; the core's close reasons in IRC's words. */
export function closingLine(nick: string, address: string, reason: string): string {
  const text =
    reason === 'quit'
      ? 'Quit'
      : reason === 'kicked'
        ? 'Kicked'
        : reason === 'replaced'
          ? 'Signed in from another connection'
          : reason === 'shutdown'
            ? 'Server shutting down'
            : reason;
  return `ERROR :Closing link: ${nick}[${address}] (${text})`;
}

/** 001–005: the welcome, the server's version and what it supports (ISUPPORT). */
export function welcomeLines(ctx: IrcReplyContext, version: string): string[] {
  const s = ctx.server;
  const me = ctx.nick;
  const isupport = [
    'CHANTYPES=#',
    'PREFIX=(o)@',
    'CHANMODES=b,,,n',
    `NICKLEN=${MAX_NAME_CHARS}`,
    `CHANNELLEN=${CHANNEL_LEN}`,
    `TOPICLEN=${IRC_TOPIC_LEN}`,
    // Nicks and channels fold as native aliases do (NFKC, Unicode case folding):
    // rfc8265 (PRECIS, what ergo advertises for Unicode names) says so; clients
    // that do not know it fall back to ascii, exact for ASCII names.
    'CASEMAPPING=rfc8265',
    `NETWORK=${s}`,
  ];
  return [
    numericLine(ctx, '001', `Welcome to ${s}, ${userMask(me, s)}`),
    numericLine(ctx, '002', `Your host is ${s}, running chat-server ${version}`),
    numericLine(ctx, '003', 'This server speaks IRC and a plain line protocol over one chat'),
    formatIrc({ tags: {}, prefix: s, command: '004', params: [me, s, version, 'i', 'bn'] }),
    numericLine(ctx, '005', ...isupport, 'are supported by this server'),
  ];
}

/** 375/372/376, or 422 when there is no MOTD. */
export function motdLines(ctx: IrcReplyContext, motd: readonly string[]): string[] {
  if (motd.length === 0) return [numericLine(ctx, '422', 'MOTD File is missing')];
  return [
    numericLine(ctx, '375', `- ${ctx.server} Message of the day -`),
    ...motd.map((l) => numericLine(ctx, '372', `- ${l}`)),
    numericLine(ctx, '376', 'End of /MOTD command'),
  ];
}

type TopicOf = Pick<Room, 'name' | 'topic' | 'topicBy' | 'topicAt'>;

/**
 * 331, or 332 and (when known) 333 with who set it and when. The setter is a
 * full mask, as ergo and solanum send it: irssi shows a bare nick as `nick []`.
 */
export function topicLines(ctx: IrcReplyContext, room: TopicOf): string[] {
  const chan = room.name.display;
  if (room.topic === '') return [numericLine(ctx, '331', chan, 'No topic is set')];
  const out = [numericLine(ctx, '332', chan, fitTopic(ctx, chan, room.topic))];
  if (room.topicBy !== '')
    out.push(
      numericLine(
        ctx,
        '333',
        chan,
        userMask(room.topicBy, ctx.server),
        String(Math.floor(room.topicAt / 1000)),
      ),
    );
  return out;
}

/** A topic set natively may be longer than one IRC line: it is shortened with a visible `…`. */
export function fitTopic(ctx: IrcReplyContext, chan: string, topic: string): string {
  const flat = topic.replace(/\n/gu, ' ');
  const budget = IRC_LINE_BYTES - Buffer.byteLength(numericLine(ctx, '332', chan, '')) - 2;
  const [first = '', ...rest] = splitUtf8(flat, Math.max(16, budget - 3));
  return rest.length > 0 ? first + '…' : first;
}

/** 353 lines holding as many nicks as fit 512 bytes, then 366; no 353 for an unknown channel. */
export function namesLines(
  ctx: IrcReplyContext,
  chan: string,
  nicks: readonly string[] | undefined,
): string[] {
  const out: string[] = [];
  if (nicks) {
    const head = numericLine(ctx, '353', '=', chan, '');
    const budget = IRC_LINE_BYTES - Buffer.byteLength(head) - 2;
    let line = '';
    for (const n of nicks) {
      if (line !== '' && Buffer.byteLength(line) + 1 + Buffer.byteLength(n) > budget) {
        out.push(numericLine(ctx, '353', '=', chan, line));
        line = '';
      }
      line = line === '' ? n : `${line} ${n}`;
    }
    if (line !== '') out.push(numericLine(ctx, '353', '=', chan, line));
  }
  out.push(numericLine(ctx, '366', chan, 'End of /NAMES list'));
  return out;
}

/** What the kicked user's own client sees: a KICK from each channel it was in. */
export function kickedLines(
  server: string,
  by: string | undefined,
  nick: string,
  channels: readonly string[],
  reason: string | undefined,
): string[] {
  const prefix = userMask(by ?? server, server);
  return channels.map((chan) =>
    formatIrc(
      { tags: {}, prefix, command: 'KICK', params: [chan, nick, reason ?? 'Kicked'] },
      true,
    ),
  );
}

/**
 * The reply to a core error, by the IRC command that sent the request and the
 * error's code (`not_member` is 404 for PRIVMSG, 442 for PART); a server
 * NOTICE where IRC has no numeric. `roomExists` tells 404 and 442 from 403.
 */
export function errorLines(
  ctx: IrcReplyContext,
  command: string,
  target: string,
  code: string,
  message: string,
  roomExists: boolean,
): string[] {
  const t = target;
  const n = (c: string, ...params: string[]): string[] => [numericLine(ctx, c, ...params)];
  switch (`${command}:${code}`) {
    case 'PRIVMSG:not_found':
    case 'KICK:not_found':
      return n('401', t, 'No such nick/channel');
    case 'PRIVMSG:not_member':
      // A channel that does not exist is 403 (ergo's answer), one you are not in 404.
      return roomExists
        ? n('404', t, 'Cannot send to channel (join it first)')
        : n('403', t, 'No such channel');
    case 'PRIVMSG:bad_request':
      return t.startsWith('#') ? n('403', t, message) : noticeLines(ctx.server, ctx.nick, message);
    case 'PART:not_member':
    case 'TOPIC:not_member':
      return roomExists
        ? n('442', t, "You're not on that channel")
        : n('403', t, 'No such channel');
    case 'PART:bad_request':
      return noticeLines(
        ctx.server,
        ctx.nick,
        roomExists ? `${t} is your last channel: join another first, or QUIT` : message,
      );
    case 'JOIN:bad_request':
      return n('403', t, message);
    case 'NICK:bad_alias':
      return n('432', t, message);
    case 'NICK:alias_taken':
      return n('433', t, 'Nickname is already in use');
    case 'NICK:auth_required':
      return n('433', t, 'Nickname is registered: log in with SASL to use it');
    case 'KICK:forbidden':
      return n('482', t, "You're not channel operator");
    default:
      return noticeLines(ctx.server, ctx.nick, message);
  }
}

/** A ban as a ban-list mask: a name's as `name!*@*`, an address's as `*!*@address`. */
export function banMask(ban: Pick<BanInfo, 'kind' | 'name'>): string {
  return ban.kind === 'address' ? `*!*@${ban.name}` : `${ban.name}!*@*`;
}
