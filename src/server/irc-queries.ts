/**
 * The IRC queries answered from the core's state without a request (docs/
 * protocol.md "IRC"): NAMES, LIST, WHO, WHOIS, MODE, USERHOST and ISON. Pure
 * reads: each takes the rooms and users as they are and returns the reply
 * lines; the core makes no decision here and nothing is changed.
 */
import type { Room, User } from '../core/model.js';
import type { WhoEntry, WhoEvent, WhoisEvent } from '../protocol/messages.js';
import { foldKey, parseRoom } from '../protocol/names.js';
import { fitTopic, namesLines, numericLine, type IrcReplyContext } from './irc-render.js';

/** The part of the chat the queries read (the Chat itself, in the server). */
export interface IrcWorld {
  readonly rooms: ReadonlyMap<string, Room>;
  readonly users: ReadonlyMap<string, User>;
  nowMs(): number;
}

/** The room a channel name means, or undefined (also for a name that is not a valid room). */
export function findRoom(world: IrcWorld, raw: string): Room | undefined {
  try {
    return world.rooms.get(parseRoom(raw).key);
  } catch {
    return undefined;
  }
}

/** Operators are channel operators everywhere (`@`): they can kick. */
function memberNick(u: User): string {
  return (u.account?.operator ? '@' : '') + u.name.display;
}

/** NAMES for one channel; `extra` is listed even before the core has added it (a join's ack). */
export function names(ctx: IrcReplyContext, world: IrcWorld, chan: string, extra?: User): string[] {
  const room = findRoom(world, chan);
  if (!room) return namesLines(ctx, chan, undefined);
  const nicks = [...room.members].map(memberNick);
  if (extra && !room.members.has(extra)) nicks.unshift(memberNick(extra));
  return namesLines(ctx, room.name.display, nicks);
}

export function list(ctx: IrcReplyContext, world: IrcWorld): string[] {
  const out = [numericLine(ctx, '321', 'Channel', 'Users  Name')];
  for (const room of world.rooms.values()) {
    out.push(
      numericLine(
        ctx,
        '322',
        room.name.display,
        String(room.members.size),
        fitTopic(ctx, room.name.display, room.topic),
      ),
    );
  }
  out.push(numericLine(ctx, '323', 'End of /LIST'));
  return out;
}

function whoLine(ctx: IrcReplyContext, chan: string, u: User): string {
  return whoEntryLine(ctx, chan, {
    name: u.name.display,
    ...(u.away && { away: u.away }),
    ...(u.account?.operator && { operator: true }),
  });
}

/** One 352 line of a member as the core's `who` lists it (on any node). */
function whoEntryLine(ctx: IrcReplyContext, chan: string, u: WhoEntry): string {
  const s = ctx.server;
  // `@` in a channel, as NAMES shows operators (RFC 2812 WHO flags: H|G, *, @).
  const flags = (u.away ? 'G' : 'H') + (u.operator ? (chan === '*' ? '*' : '*@') : '');
  return numericLine(ctx, '352', chan, u.name, s, s, u.name, flags, `0 ${u.name}`);
}

/**
 * A channel's NAMES or WHO from the core's `who` reply: in cluster mode the
 * members on every node (presence), where the local queries know only this
 * node's (irc-commands.ts asks the core then).
 */
export function whoReplyLines(
  ctx: IrcReplyContext,
  command: 'NAMES' | 'WHO',
  e: WhoEvent,
): string[] {
  if (command === 'NAMES')
    return namesLines(
      ctx,
      e.room,
      e.users.map((u) => (u.operator ? '@' : '') + u.name),
    );
  return [
    ...e.users.map((u) => whoEntryLine(ctx, e.room, u)),
    numericLine(ctx, '315', e.room, 'End of /WHO list'),
  ];
}

/** Most users one `WHO` mask lists: a mask of everyone on a big server stays one screen of replies. */
const WHO_MAX = 200;

/**
 * `WHO #chan`, `WHO nick`, or a nick mask with `*` and `?` (`0` and `*`:
 * everyone online here), as IRC clients send it; at most WHO_MAX lines.
 */
export function who(ctx: IrcReplyContext, world: IrcWorld, mask: string): string[] {
  const out: string[] = [];
  if (mask.startsWith('#')) {
    const room = findRoom(world, mask);
    if (room) for (const u of room.members) out.push(whoLine(ctx, room.name.display, u));
  } else if (/[*?]/u.test(mask) || mask === '0') {
    const glob = mask === '0' ? '*' : foldKey(mask);
    const pattern = new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/gu, '\\$&')
        .replaceAll('*', '.*')
        .replaceAll('?', '.')}$`,
      'u',
    );
    for (const [key, u] of world.users) {
      if (out.length >= WHO_MAX) break;
      if (pattern.test(key)) out.push(whoLine(ctx, '*', u));
    }
  } else {
    const u = world.users.get(foldKey(mask));
    if (u) out.push(whoLine(ctx, '*', u));
  }
  out.push(numericLine(ctx, '315', mask, 'End of /WHO list'));
  return out;
}

/** How WHOIS's real-name field names a session's client, by its codec's mode. */
const CLIENT_KINDS: Readonly<Record<string, string>> = { irc: 'IRC' };

/** WHOIS of a nick nobody holds: 401, then the end of the list. */
export function noSuchNick(ctx: IrcReplyContext, nick: string): string[] {
  return [
    numericLine(ctx, '401', nick, 'No such nick/channel'),
    numericLine(ctx, '318', nick, 'End of /WHOIS list'),
  ];
}

export function whois(ctx: IrcReplyContext, world: IrcWorld, nick: string): string[] {
  const u = world.users.get(foldKey(nick));
  if (!u) return noSuchNick(ctx, nick);
  const n = u.name.display;
  const kind = CLIENT_KINDS[u.peer.mode ?? ''] ?? 'native';
  // The channels the asker shares with the user, as the native /whois lists
  // them (every one of them listed rooms the asker could not see).
  const asker = world.users.get(foldKey(ctx.nick));
  const rooms = [...u.rooms.values()]
    .filter((r) => asker === u || (asker !== undefined && r.members.has(asker)))
    .map((r) => r.name.display);
  return whoisLines(ctx, {
    name: n,
    realName: `${n} (${kind} client)`,
    rooms,
    operator: u.account?.operator === true,
    ...(u.away && { away: u.away }),
    ...(u.account && { accountName: u.account.name }),
    // The core keeps idle time for every user (the same clock as /whois): last request but pings.
    idle: Math.max(0, Math.floor((world.nowMs() - u.lastActive) / 1000)),
    signOn: Math.floor(u.since / 1000),
  });
}

/**
 * WHOIS of a user on another node (cluster mode), from the core's `whois`
 * answer: the lines the local whois gives, from what that node published.
 */
export function remoteWhois(ctx: IrcReplyContext, e: WhoisEvent): string[] {
  return whoisLines(ctx, {
    name: e.name,
    realName: e.name,
    rooms: e.rooms,
    operator: e.operator,
    ...(e.away && { away: e.away }),
    ...(e.account && { accountName: e.accountName ?? e.name }),
    idle: e.idle,
    signOn: Math.floor(Date.parse(e.since) / 1000),
  });
}

/** What a WHOIS answer says of a user, wherever it was read. */
interface WhoisFacts {
  name: string;
  realName: string;
  /** The channels shared with the asker. */
  rooms: readonly string[];
  operator: boolean;
  away?: string;
  /** Signed in to this account. */
  accountName?: string;
  /** Seconds idle, and the sign-on time in seconds since the epoch. */
  idle: number;
  signOn: number;
}

/** 311, 319 (none when no channel is shared: a bare `319 nick :` read as an error), 312, 301, 313, 330, 317, 318. */
function whoisLines(ctx: IrcReplyContext, f: WhoisFacts): string[] {
  const s = ctx.server;
  const n = f.name;
  const out = [numericLine(ctx, '311', n, n, s, '*', f.realName)];
  if (f.rooms.length > 0) {
    const prefix = f.operator ? '@' : '';
    out.push(numericLine(ctx, '319', n, f.rooms.map((r) => prefix + r).join(' ')));
  }
  out.push(numericLine(ctx, '312', n, s, 'chat-server'));
  if (f.away) out.push(numericLine(ctx, '301', n, f.away));
  if (f.operator) out.push(numericLine(ctx, '313', n, 'is a server operator'));
  if (f.accountName) out.push(numericLine(ctx, '330', n, f.accountName, 'is logged in as'));
  out.push(
    numericLine(ctx, '317', n, String(f.idle), String(f.signOn), 'seconds idle, signon time'),
  );
  out.push(numericLine(ctx, '318', n, 'End of /WHOIS list'));
  return out;
}

/** MODE with at least a target: channel modes are shown, never changed; user modes are none. */
export function mode(ctx: IrcReplyContext, world: IrcWorld, params: readonly string[]): string {
  const [target = '', modes] = params;
  if (target.startsWith('#')) {
    const room = findRoom(world, target);
    if (!room) return numericLine(ctx, '403', target, 'No such channel');
    const chan = room.name.display;
    if (modes === undefined) return numericLine(ctx, '324', chan, '+n');
    if (/^[+-]?b$/u.test(modes) && params.length === 2)
      return numericLine(ctx, '368', chan, 'End of channel ban list');
    // 482 says "not channel operator", which misled operators shown as @.
    const char = /[a-zA-Z]/u.exec(modes)?.[0] ?? modes;
    return numericLine(
      ctx,
      '472',
      char,
      char === 'o'
        ? 'is not changed here: operators are made with chat-server accounts operator NAME'
        : 'is unknown mode char to me (only +b nick bans here)',
    );
  }
  if (foldKey(target) !== foldKey(ctx.nick))
    return numericLine(ctx, '502', "Can't change mode for other users");
  // User modes are accepted and ignored: there are none to change.
  return numericLine(ctx, '221', '+');
}

export function userhost(ctx: IrcReplyContext, world: IrcWorld, nicks: readonly string[]): string {
  const s = ctx.server;
  const found = nicks.slice(0, 5).flatMap((n) => {
    const u = world.users.get(foldKey(n));
    if (!u) return [];
    return [
      `${u.name.display}${u.account?.operator ? '*' : ''}=${u.away ? '-' : '+'}${u.name.display}@${s}`,
    ];
  });
  return numericLine(ctx, '302', found.join(' '));
}

export function ison(ctx: IrcReplyContext, world: IrcWorld, nicks: readonly string[]): string {
  const online = nicks
    .flatMap((p) => p.split(' '))
    .filter((n) => n !== '')
    .flatMap((n) => {
      const u = world.users.get(foldKey(n));
      return u ? [u.name.display] : [];
    });
  return numericLine(ctx, '303', online.join(' '));
}
