/**
 * The IRC side's pure parts (docs/protocol.md "IRC"): reply lines
 * (irc-render), queries answered from the chat's state (irc-queries) and
 * registration's decisions (irc-negotiation), without a socket.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Room, User, type Peer } from '../../src/core/model.js';
import { ChatError, PasswordNeeded } from '../../src/protocol/errors.js';
import { IRC_LINE_BYTES, parseIrcLine } from '../../src/protocol/irc-message.js';
import { parseAlias, parseRoom } from '../../src/protocol/names.js';
import {
  CapNegotiation,
  loginRefusal,
  SaslPlain,
  type SaslStep,
} from '../../src/server/irc-negotiation.js';
import * as query from '../../src/server/irc-queries.js';
import { nickOfMask } from '../../src/server/irc-commands.js';
import {
  closingLine,
  errorLines,
  fitTopic,
  kickedLines,
  motdLines,
  namesLines,
  numericLine,
  topicLines,
  welcomeLines,
} from '../../src/server/irc-render.js';

const ctx = { server: 'irc.test', nick: 'ann' };

function peer(mode: string): Peer {
  return { id: '1', address: '127.0.0.1', mode, send() {}, sendAll() {}, close() {} };
}

/** A chat of two rooms and three users; bob is an operator and away. */
function world(): query.IrcWorld & { users: Map<string, User>; rooms: Map<string, Room> } {
  const lobby = new Room(parseRoom('#lobby'));
  const dev = new Room(parseRoom('#dev'));
  dev.topic = 'ship it';
  const users = new Map<string, User>();
  const add = (name: string, mode: string, since: number): User => {
    const u = new User(parseAlias(name), lobby, peer(mode), since);
    users.set(u.name.key, u);
    for (const r of [lobby, dev]) {
      r.members.add(u);
      u.rooms.set(r.name.key, r);
    }
    return u;
  };
  add('ann', 'irc', 1_000);
  const bob = add('Bob', 'json', 2_000);
  bob.away = 'lunch';
  bob.account = { key: 'bob', name: 'Bob', hash: '', operator: true, createdAt: 0 };
  add('cy', 'text', 3_000);
  const rooms = new Map([
    [lobby.name.key, lobby],
    [dev.name.key, dev],
  ]);
  return { rooms, users, nowMs: () => 63_500 };
}

const codes = (lines: readonly string[]): string[] => lines.map((l) => parseIrcLine(l).command);

test('a numeric names the reader first and is from the server', () => {
  const m = parseIrcLine(numericLine(ctx, '401', 'zed', 'No such nick/channel'));
  assert.equal(m.prefix, 'irc.test');
  assert.deepEqual(m.params, ['ann', 'zed', 'No such nick/channel']);
});

test('the welcome burst is 001 to 005 and says what the server supports', () => {
  const lines = welcomeLines(ctx, '9.9.9');
  assert.deepEqual(codes(lines), ['001', '002', '003', '004', '005']);
  assert.match(lines[0]!, /ann!ann@irc\.test/u);
  assert.match(lines[4]!, /CHANTYPES=# .*NETWORK=irc\.test :are supported/u);
  // The native folding is Unicode's, not ASCII's: the token must say so.
  assert.ok(parseIrcLine(lines[4]!).params.includes('CASEMAPPING=rfc8265'));
});

test('MOTD: 375, one 372 a line, 376; 422 without one', () => {
  assert.deepEqual(codes(motdLines(ctx, ['a', 'b'])), ['375', '372', '372', '376']);
  assert.deepEqual(codes(motdLines(ctx, [])), ['422']);
});

test('NAMES lines stay within 512 bytes and list every nick once', () => {
  const nicks = Array.from({ length: 200 }, (_, i) => `user${i}`);
  const lines = namesLines(ctx, '#big', nicks);
  assert.ok(lines.length > 2);
  assert.equal(codes(lines).at(-1), '366');
  for (const l of lines) assert.ok(Buffer.byteLength(l) + 2 <= IRC_LINE_BYTES, l);
  const listed = lines.slice(0, -1).flatMap((l) => parseIrcLine(l).params.at(-1)!.split(' '));
  assert.deepEqual(listed, nicks);
  assert.deepEqual(codes(namesLines(ctx, '#none', undefined)), ['366']);
});

test('a long topic is cut to one line with a visible ellipsis; a short one is kept', () => {
  const long = 'word '.repeat(200);
  const fitted = fitTopic(ctx, '#dev', long);
  assert.ok(fitted.endsWith('…'));
  assert.ok(Buffer.byteLength(numericLine(ctx, '332', '#dev', fitted)) + 2 <= IRC_LINE_BYTES);
  assert.equal(fitTopic(ctx, '#dev', 'two\nlines'), 'two lines');
  const room = { name: parseRoom('#dev'), topic: 'hi', topicBy: 'bob', topicAt: 5_000 };
  assert.deepEqual(codes(topicLines(ctx, room)), ['332', '333']);
  assert.deepEqual(parseIrcLine(topicLines(ctx, room)[1]!).params.slice(1), [
    '#dev',
    `bob!bob@${ctx.server}`,
    '5',
  ]);
  assert.deepEqual(codes(topicLines(ctx, { ...room, topic: '' })), ['331']);
});

test('a core error becomes the numeric of the command that asked', () => {
  const reply = (command: string, target: string, code: string, exists = true): string =>
    parseIrcLine(errorLines(ctx, command, target, code, 'why', exists)[0]!).command;
  assert.equal(reply('PRIVMSG', '#dev', 'not_member'), '404');
  assert.equal(reply('PRIVMSG', '#gone', 'not_member', false), '403');
  assert.equal(reply('PRIVMSG', 'zed', 'not_found'), '401');
  assert.equal(reply('PRIVMSG', '#x y', 'bad_request'), '403');
  assert.equal(reply('PRIVMSG', 'zed', 'bad_request'), 'NOTICE');
  assert.equal(reply('PART', '#dev', 'not_member'), '442');
  assert.equal(reply('PART', '#gone', 'not_member', false), '403');
  assert.equal(reply('NICK', 'bob', 'alias_taken'), '433');
  assert.equal(reply('KICK', '#dev', 'forbidden'), '482');
  assert.equal(reply('AWAY', '', 'internal'), 'NOTICE');
});

test('the closing line words the core reasons; a kicked user gets a KICK per channel', () => {
  assert.equal(closingLine('ann', '::1', 'kicked'), 'ERROR :Closing link: ann[::1] (Kicked)');
  assert.equal(
    closingLine('*', '::1', 'Ping timeout'),
    'ERROR :Closing link: *[::1] (Ping timeout)',
  );
  const kicks = kickedLines('irc.test', 'bob', 'ann', ['#a', '#b'], undefined).map(parseIrcLine);
  assert.deepEqual(
    kicks.map((k) => [k.prefix, ...k.params]),
    [
      ['bob!bob@irc.test', '#a', 'ann', 'Kicked'],
      ['bob!bob@irc.test', '#b', 'ann', 'Kicked'],
    ],
  );
});

test('queries read rooms and users: NAMES, LIST, WHO, WHOIS', () => {
  const w = world();
  const names = query.names(ctx, w, '#DEV');
  assert.equal(parseIrcLine(names[0]!).params.at(-1), 'ann @Bob cy');
  const list = query.list(ctx, w).map(parseIrcLine);
  assert.deepEqual(
    list.filter((m) => m.command === '322').map((m) => m.params.slice(1)),
    [
      ['#lobby', '3', ''],
      ['#dev', '3', 'ship it'],
    ],
  );
  const who = query.who(ctx, w, '#dev').map(parseIrcLine);
  assert.deepEqual(
    who.map((m) => m.params[6] ?? m.command),
    ['H', 'G*@', 'H', '315'],
  );
  const whois = query.whois(ctx, w, 'bob').map(parseIrcLine);
  assert.deepEqual(
    whois.map((m) => m.command),
    ['311', '319', '312', '301', '313', '330', '317', '318'],
  );
  assert.equal(whois[0]!.params.at(-1), 'Bob (native client)');
  assert.deepEqual(whois[6]!.params.slice(2, 4), ['61', '2']);
  assert.equal(query.whois(ctx, w, 'ann').map(parseIrcLine)[0]!.params.at(-1), 'ann (IRC client)');
  assert.deepEqual(codes(query.whois(ctx, w, 'zed')), ['401', '318']);
});

test('MODE, USERHOST and ISON answer without changing anything', () => {
  const w = world();
  const mode = (...params: string[]): string => parseIrcLine(query.mode(ctx, w, params)).command;
  assert.equal(mode('#dev'), '324');
  assert.equal(mode('#dev', '+b'), '368');
  assert.equal(mode('#dev', '+m'), '472');
  assert.equal(mode('#nowhere'), '403');
  assert.equal(mode('ANN', '+i'), '221');
  assert.equal(mode('bob', '+i'), '502');
  const uh = parseIrcLine(query.userhost(ctx, w, ['bob', 'zed', 'cy']));
  assert.equal(uh.params.at(-1), 'Bob*=-Bob@irc.test cy=+cy@irc.test');
  assert.equal(parseIrcLine(query.ison(ctx, w, ['zed BOB', 'cy'])).params.at(-1), 'Bob cy');
});

test('CAP: LS offers sasl=PLAIN under 302, REQ is all or nothing, END ends negotiation', () => {
  const cap = new CapNegotiation();
  const ls = cap.handle(['LS', '302'], false);
  assert.ok(ls.kind === 'reply' && ls.params[1]!.split(' ').includes('sasl=PLAIN'));
  assert.equal(cap.negotiating, true);
  assert.deepEqual(cap.handle(['REQ', 'server-time bogus'], false), {
    kind: 'reply',
    params: ['NAK', 'server-time bogus'],
  });
  assert.equal(cap.has('server-time'), false);
  assert.deepEqual(cap.handle(['REQ', 'server-time sasl'], false), {
    kind: 'reply',
    params: ['ACK', 'server-time sasl'],
  });
  cap.handle(['REQ', '-server-time'], false);
  assert.deepEqual(cap.handle(['LIST'], false), { kind: 'reply', params: ['LIST', 'sasl'] });
  assert.deepEqual(cap.handle(['END'], false), { kind: 'end' });
  assert.equal(cap.negotiating, false);
  cap.handle(['LS'], true);
  assert.equal(cap.negotiating, false, 'after registration CAP LS holds nothing');
  assert.deepEqual(cap.handle(['NOPE'], true), {
    kind: 'numeric',
    numeric: ['410', 'NOPE', 'Invalid CAP command'],
  });
});

test('SASL PLAIN: mechanism, payload in 400-byte chunks, then a check', () => {
  const sasl = new SaslPlain();
  const first = (s: SaslStep): string | undefined =>
    s.kind === 'numerics' ? s.numerics[0]![0] : undefined;
  assert.equal(first(sasl.step('PLAIN', false, false)), '904');
  assert.equal(first(sasl.step('PLAIN', true, true)), '907');
  assert.equal(first(sasl.step(undefined, false, true)), '461');
  assert.equal(first(sasl.step('SCRAM-SHA-256', false, true)), '908');
  assert.deepEqual(sasl.step('PLAIN', false, true), { kind: 'continue' });
  assert.equal(sasl.busy, true);
  const password = 'p'.repeat(400);
  const b64 = Buffer.from(`\0bob\0${password}`).toString('base64');
  assert.ok(b64.length > 400);
  assert.deepEqual(sasl.step(b64.slice(0, 400), false, true), { kind: 'wait' });
  assert.deepEqual(sasl.step(b64.slice(400), false, true), {
    kind: 'check',
    authcid: 'bob',
    password,
  });
  assert.deepEqual(sasl.step('PLAIN', false, true), { kind: 'wait' }, 'nothing during a check');
  sasl.checked();
  assert.equal(sasl.busy, false);
  sasl.step('PLAIN', false, true);
  assert.equal(first(sasl.step('*', false, true)), '906');
  sasl.step('PLAIN', false, true);
  let tooLong: SaslStep = { kind: 'wait' };
  for (let i = 0; i < 12 && tooLong.kind === 'wait'; i++)
    tooLong = sasl.step('A'.repeat(400), false, true);
  assert.equal(first(tooLong), '905');
  assert.equal(sasl.busy, false);
});

test('a refused login: which numeric, and whether the nick goes or the link closes', () => {
  assert.deepEqual(loginRefusal(new ChatError('alias_taken', 'x'), 'bob'), {
    forgetNick: true,
    numeric: ['433', 'bob', 'Nickname is already in use'],
  });
  const needed = loginRefusal(new PasswordNeeded('bob'), 'bob');
  assert.ok(needed && 'numeric' in needed && needed.forgetNick && needed.numeric[0] === '433');
  const until = 'You are banned from this server until 2026-12-02T08:00:00.000Z (spam)';
  assert.deepEqual(loginRefusal(new ChatError('banned', until), 'bob'), {
    numeric: ['465', until],
    close: 'Banned',
  });
  assert.deepEqual(
    loginRefusal(new ChatError('internal', 'Try later', undefined, 'unavailable'), 'bob'),
    {
      close: 'Try later',
    },
  );
  assert.equal(loginRefusal(new Error('boom'), 'bob'), undefined);
});

test('a ban mask names a nick: nick, nick!*@*, *!nick@host, *!*nick@host; wildcards there name none', () => {
  const cases: Array<[string, string | undefined]> = [
    ['Carlo', 'Carlo'],
    ['Carlo!*@*', 'Carlo'],
    ['*!*Carlo@vm', 'Carlo'],
    ['*!~Carlo@*', 'Carlo'],
    ['*!*@10.0.0.1', undefined],
    ['Car*', undefined],
    ['*!C?rlo@vm', undefined],
  ];
  for (const [mask, nick] of cases) assert.equal(nickOfMask(mask), nick, mask);
});
