/**
 * The IRC listener over real sockets (docs/protocol.md "IRC"): registration,
 * commands and numerics, IRC and native users in the same rooms, history,
 * long and multi-line messages, accounts, and the same protections.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join as joinPath } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/env.js';
import { jsonFence, jsonUser, serve, stamped, stopReading, textUser } from '../helpers/fixtures.js';
import { IrcClient, ircPort } from '../helpers/irc.js';
import { LineClient } from '../helpers/line-client.js';
import { createAccount, textLogin } from '../helpers/security.js';
import { parseIrcLine } from '../../src/protocol/irc-message.js';

const IRC = { ircPort: 0, serverName: 'irc.test' };

test('registration: CAP, NICK, USER, 001-005 with ISUPPORT, MOTD, and #lobby joined', async (t) => {
  const motd = joinPath(tempDir(t, 'chat-irc-'), 'motd.txt');
  writeFileSync(motd, 'Office hours: Tuesday\n');
  const server = await serve(t, { ...IRC, motd });
  const irc = await IrcClient.connect(t, ircPort(server));
  irc.send('CAP LS 302');
  const ls = await irc.expect((m) => m.command === 'CAP');
  assert.deepEqual(ls.params.slice(0, 2), ['*', 'LS']);
  for (const cap of ['server-time', 'echo-message', 'message-tags', 'sasl=PLAIN'])
    assert.ok(ls.params[2]!.split(' ').includes(cap), cap);
  irc.send('JOIN #lobby');
  assert.equal((await irc.numeric('451')).params[0], '*');
  irc.send('CAP REQ :server-time bogus-cap');
  assert.equal((await irc.expect((m) => m.command === 'CAP')).params[1], 'NAK');
  irc.send('CAP REQ :server-time');
  assert.equal((await irc.expect((m) => m.command === 'CAP')).params[1], 'ACK');
  irc.send('NICK Zed');
  irc.send('USER zed 0 * :Zed Z');
  await irc.fence(); // no welcome while CAP negotiation is open
  irc.send('CAP END');
  const welcome = await irc.numeric('001');
  assert.equal(welcome.prefix, 'irc.test');
  assert.equal(welcome.params[0], 'Zed');
  await irc.numeric('004');
  const isupport = (await irc.numeric('005')).params.join(' ');
  for (const token of [
    'CHANTYPES=#',
    'NICKLEN=32',
    'CHANNELLEN=33',
    'TOPICLEN=',
    'CASEMAPPING=',
    'NETWORK=irc.test',
  ])
    assert.ok(isupport.includes(token), token);
  await irc.numeric('375');
  assert.match((await irc.numeric('372')).params[1]!, /Office hours: Tuesday/u);
  await irc.numeric('376');
  const join = await irc.expect((m) => m.command === 'JOIN');
  assert.equal(join.prefix, 'Zed!Zed@irc.test');
  assert.deepEqual(join.params, ['#lobby']);
  assert.match((await irc.numeric('353')).params[3]!, /\bZed\b/u);
  await irc.numeric('366');
  irc.send('USER again 0 * :x');
  await irc.numeric('462');
  irc.send('FROB');
  assert.deepEqual((await irc.numeric('421')).params.slice(0, 2), ['Zed', 'FROB']);
  // chat_bytes_in_total counts IRC input too: this client's lines, the only input so far.
  const sent = [
    'CAP LS 302',
    'JOIN #lobby',
    'CAP REQ :server-time bogus-cap',
    'CAP REQ :server-time',
    'NICK Zed',
    'USER zed 0 * :Zed Z',
    'CAP END',
    'USER again 0 * :x',
    'FROB',
  ];
  assert.ok(server.app.tally.bytesIn >= sent.join('\n').length + sent.length);
});

test('nick errors at registration: 431, 432, 433 (taken by a native user), then success', async (t) => {
  const server = await serve(t, IRC);
  await textUser(t, server.port, 'alice');
  const irc = await IrcClient.connect(t, ircPort(server));
  irc.send('NICK');
  await irc.numeric('431');
  irc.send('NICK bad[nick]');
  await irc.numeric('432');
  irc.send('USER u 0 *');
  await irc.numeric('461');
  irc.send('USER u 0 * :real');
  irc.send('NICK ALICE');
  assert.equal((await irc.numeric('433')).params[1], 'ALICE');
  irc.send('NICK alice2');
  await irc.numeric('001');
});

test('IRC and native users share #lobby: messages, actions, joins, parts, nicks and quits both ways', async (t) => {
  const server = await serve(t, IRC);
  const port = ircPort(server);
  const nat = await textUser(t, server.port, 'nat');
  const bob = await IrcClient.register(t, port, 'bob', { caps: ['server-time'] });
  await nat.waitFor((l) => l.includes('bob') && l.includes('joined'));

  bob.send('PRIVMSG #lobby :hello from irc');
  assert.match(
    await nat.waitFor((l) => l.includes('hello from irc')),
    stamped('<bob> hello from irc'),
  );
  bob.send('PRIVMSG #lobby :\x01ACTION waves\x01');
  assert.match(await nat.waitFor((l) => l.includes('waves')), /\* bob waves$/u);

  nat.send('hi from nc');
  const m = await bob.expect((x) => x.command === 'PRIVMSG');
  assert.equal(m.prefix, 'nat!nat@irc.test');
  assert.deepEqual(m.params, ['#lobby', 'hi from nc']);
  assert.match(m.tags.time!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/u);
  nat.send('/me nods');
  assert.equal((await bob.expect((x) => x.command === 'PRIVMSG')).params[1], '\x01ACTION nods\x01');

  // Private messages both ways.
  nat.send('/msg bob psst');
  const dm = await bob.expect((x) => x.command === 'PRIVMSG');
  assert.deepEqual(dm.params, ['bob', 'psst']);
  bob.send('PRIVMSG nat :back at you');
  assert.ok((await nat.waitFor((l) => l.includes('back at you'))).includes('bob'));

  // Native join, nick change, part and quit as IRC commands.
  nat.send('/join #dev');
  bob.send('JOIN #dev');
  await bob.expect((x) => x.command === '366' && x.params[1] === '#dev');
  nat.send('/nick natalie');
  const nick = await bob.expect((x) => x.command === 'NICK');
  assert.equal(nick.prefix, 'nat!nat@irc.test');
  assert.deepEqual(nick.params, ['natalie']);
  nat.send('/part #dev');
  assert.deepEqual((await bob.expect((x) => x.command === 'PART')).params, ['#dev']);
  nat.send('/quit gone fishing');
  const quit = await bob.expect((x) => x.command === 'QUIT');
  assert.equal(quit.prefix, 'natalie!natalie@irc.test');
  assert.deepEqual(quit.params, ['gone fishing']);
});

test('JOIN: echo, 332/333 topic, NAMES; several channels; PART and JOIN 0; QUIT gives ERROR and QUIT to others', async (t) => {
  const server = await serve(t, IRC);
  const port = ircPort(server);
  const nat = await textUser(t, server.port, 'nat');
  nat.send('/join #dev');
  nat.send('/topic all about dev');
  await nat.waitFor((l) => l.includes('all about dev'));
  const bob = await IrcClient.register(t, port, 'bob');
  bob.send('JOIN #dev,#ops');
  assert.deepEqual((await bob.expect((m) => m.command === 'JOIN')).params, ['#dev']);
  assert.deepEqual((await bob.numeric('332')).params.slice(1), ['#dev', 'all about dev']);
  const who = await bob.numeric('333');
  assert.equal(who.params[2], 'nat!nat@irc.test');
  assert.match(who.params[3]!, /^\d+$/u);
  const names = await bob.numeric('353');
  assert.deepEqual(names.params[3]!.split(' ').sort(), ['bob', 'nat']);
  await bob.numeric('366');
  assert.deepEqual((await bob.expect((m) => m.command === 'JOIN')).params, ['#ops']);
  await bob.expect((m) => m.command === '366' && m.params[1] === '#ops');
  bob.send('PART #ops :done here');
  assert.deepEqual((await bob.expect((m) => m.command === 'PART')).params, ['#ops', 'done here']);
  bob.send('JOIN 0');
  // #lobby and #dev: one is left, the last one stays (the core keeps a user in one room).
  await bob.expect((m) => m.command === 'PART');
  await bob.expect((m) => m.command === 'NOTICE' && /last channel/u.test(m.params[1]!));
  bob.send('JOIN #lobby');
  await bob.expect((m) => m.command === '366' && m.params[1] === '#lobby');
  bob.send('QUIT :see you\x1b[2J');
  // Its own message echoed, as other servers do, and cleaned as everywhere.
  const closing = await bob.expect((m) => m.command === 'ERROR');
  assert.match(closing.params[0]!, /^Closing link: bob\[127\.0\.0\.1\] \(Quit: see you\)$/u);
  await bob.c.waitClosed();
  assert.match(await nat.waitFor((l) => l.includes('see you')), /bob/u);
});

test('error numerics: 401 403 404 409 411 412 441 442 461 482', async (t) => {
  const server = await serve(t, IRC);
  const port = ircPort(server);
  const nat = await textUser(t, server.port, 'nat');
  nat.send('/join #side');
  await nat.waitFor((l) => l.includes('#side'));
  const bob = await IrcClient.register(t, port, 'bob');
  bob.send('PRIVMSG nobody :hi');
  assert.equal((await bob.numeric('401')).params[1], 'nobody');
  bob.send('JOIN bad');
  await bob.numeric('403');
  bob.send('PRIVMSG #elsewhere :hi');
  assert.equal((await bob.numeric('403')).params[1], '#elsewhere');
  bob.send('PRIVMSG #side :hi');
  assert.equal((await bob.numeric('404')).params[1], '#side');
  bob.send('PING');
  await bob.numeric('409');
  for (const cmd of ['USERHOST', 'ISON', 'CAP', 'WHOIS', 'MODE', 'PART', 'TOPIC', 'KICK #lobby']) {
    bob.send(cmd);
    assert.equal((await bob.numeric('461')).params[1], cmd.split(' ')[0], cmd);
  }
  bob.send('PRIVMSG');
  await bob.numeric('411');
  bob.send('PRIVMSG #lobby');
  await bob.numeric('412');
  bob.send('PRIVMSG #lobby :');
  await bob.numeric('412');
  bob.send('NOTICE nobody :quietly');
  bob.send('JOIN');
  await bob.numeric('461');
  bob.send('TOPIC #nowhere');
  await bob.numeric('403');
  bob.send('JOIN #dev');
  await bob.expect((m) => m.command === '366' && m.params[1] === '#dev');
  bob.send('KICK #dev nat');
  assert.deepEqual((await bob.numeric('441')).params.slice(1, 3), ['nat', '#dev']);
  bob.send('KICK #dev nobodyx');
  assert.equal((await bob.numeric('401')).params[1], 'nobodyx');
  bob.send('KICK #lobby nat :out');
  await bob.numeric('482');
  bob.send('PART #lobby');
  await bob.expect((m) => m.command === 'PART');
  bob.send('PART #lobby');
  await bob.numeric('442');
  bob.send('TOPIC #lobby :from outside');
  await bob.numeric('442');
  bob.send('KICK #lobby nat');
  await bob.numeric('442');
  await bob.fence();
});

test('queries: TOPIC, NAMES, LIST, WHO, WHOIS, MODE, USERHOST, ISON, AWAY with 301/305/306', async (t) => {
  const server = await serve(t, IRC);
  const port = ircPort(server);
  const nat = await textUser(t, server.port, 'nat');
  const bob = await IrcClient.register(t, port, 'bob');
  bob.send('TOPIC #lobby');
  await bob.numeric('331');
  bob.send('TOPIC #lobby :welcome all');
  assert.deepEqual((await bob.expect((m) => m.command === 'TOPIC')).params, [
    '#lobby',
    'welcome all',
  ]);
  assert.ok((await nat.waitFor((l) => l.includes('welcome all'))).includes('bob'));
  bob.send('TOPIC #lobby');
  assert.equal((await bob.numeric('332')).params[2], 'welcome all');
  // TOPICLEN counts bytes: 200 three-byte characters are cut to 100, not refused.
  bob.send(`TOPIC #lobby :${'€'.repeat(200)}`);
  const long = await bob.expect((m) => m.command === 'TOPIC');
  assert.equal(long.params[1], '€'.repeat(100));
  bob.send('TOPIC #lobby :welcome all');
  await bob.expect((m) => m.command === 'TOPIC' && m.params[1] === 'welcome all');
  bob.send('NAMES #lobby');
  assert.deepEqual((await bob.numeric('353')).params[3]!.split(' ').sort(), ['bob', 'nat']);
  await bob.numeric('366');
  bob.send('LIST');
  await bob.numeric('321');
  assert.deepEqual((await bob.numeric('322')).params.slice(1), ['#lobby', '2', 'welcome all']);
  await bob.numeric('323');
  bob.send('WHO #lobby');
  const w = [await bob.numeric('352'), await bob.numeric('352')].map((m) => m.params[5]).sort();
  assert.deepEqual(w, ['bob', 'nat']);
  await bob.numeric('315');
  // Masks as clients send them: everyone (`*`, `0`), or nicks matching `*` and `?`.
  for (const [mask, nicks] of [
    ['*', ['bob', 'nat']],
    ['0', ['bob', 'nat']],
    ['N?T', ['nat']],
    ['z*', []],
  ] as const) {
    bob.send(`WHO ${mask}`);
    const seen: string[] = [];
    for (;;) {
      const m = await bob.expect((x) => x.command === '352' || x.command === '315');
      if (m.command === '315') break;
      seen.push(m.params[5]!);
    }
    assert.deepEqual(seen.sort(), [...nicks], mask);
  }
  // 319 lists the channels bob shares with nat, not nat's others (as the native /whois).
  nat.send('/join #hidden');
  await nat.waitFor((l) => l.includes('#hidden'));
  bob.send('WHOIS nat');
  assert.equal((await bob.numeric('311')).params[1], 'nat');
  assert.equal((await bob.numeric('319')).params[2], '#lobby');
  await bob.numeric('312');
  // A native user's idle time and sign-on come from the core, as /whois's do.
  const idle = (await bob.numeric('317')).params;
  assert.equal(idle[1], 'nat');
  assert.ok(Number(idle[2]) >= 0 && Number(idle[2]) < 60, `idle ${idle[2]}`);
  assert.ok(Math.abs(Number(idle[3]) - Date.now() / 1000) < 60, `signon ${idle[3]}`);
  await bob.numeric('318');
  bob.send('WHOIS bob');
  await bob.numeric('311');
  await bob.numeric('317');
  await bob.numeric('318');
  bob.send('WHOIS ghost');
  await bob.numeric('401');
  await bob.numeric('318');
  bob.send('MODE #lobby');
  assert.equal((await bob.numeric('324')).params[1], '#lobby');
  bob.send('MODE #lobby b');
  await bob.numeric('368');
  bob.send('MODE bob');
  await bob.numeric('221');
  bob.send('USERHOST nat ghost');
  assert.equal((await bob.numeric('302')).params[1], 'nat=+nat@irc.test');
  bob.send('ISON nat ghost NAT');
  assert.equal((await bob.numeric('303')).params[1], 'nat nat');
  nat.send('/away lunch');
  await nat.waitFor((l) => l.includes('away'));
  bob.send('PRIVMSG nat :are you there');
  assert.deepEqual((await bob.numeric('301')).params.slice(1), ['nat', 'lunch']);
  bob.send('AWAY :busy');
  await bob.numeric('306');
  bob.send('WHOIS bob');
  assert.equal((await bob.numeric('301')).params[2], 'busy');
  bob.send('AWAY');
  await bob.numeric('305');
});

test('history on JOIN: framed by notices; PRIVMSGs carry the time they were sent with server-time', async (t) => {
  const server = await serve(t, IRC);
  const port = ircPort(server);
  const nat = await LineClient.json(server.port, 'nat');
  t.after(() => nat.close());
  nat.sendJson({ type: 'say', id: 'a', text: 'first' });
  const sent = await nat.waitForJson((o) => o.type === 'ack' && o.id === 'a');
  nat.sendJson({ type: 'say', id: 'b', text: 'two\nlines' });
  await nat.waitForJson((o) => o.type === 'ack' && o.id === 'b');
  const timed = await IrcClient.connect(t, port);
  timed.send('CAP LS 302');
  timed.send('CAP REQ :server-time');
  timed.send('NICK timed');
  timed.send('USER t 0 * :t');
  timed.send('CAP END');
  await timed.numeric('366');
  // Framed even with server-time: irssi asks for it but shows arrival times by default.
  assert.match(
    await timed.c.next(),
    /NOTICE #lobby :\*\*\* Recent history of #lobby \(2 messages\)/u,
  );
  const h1 = parseIrcLine(await timed.c.next());
  assert.deepEqual(h1.params, ['#lobby', 'first']);
  assert.equal(h1.tags.time, sent.ts, 'the time the message was stored, not now');
  assert.deepEqual(parseIrcLine(await timed.c.next()).params, ['#lobby', 'two']);
  assert.deepEqual(parseIrcLine(await timed.c.next()).params, ['#lobby', 'lines']);
  assert.match(await timed.c.next(), /NOTICE #lobby :\*\*\* End of history of #lobby/u);

  const plain = await IrcClient.connect(t, port);
  plain.send('NICK plain');
  plain.send('USER p 0 * :p');
  await plain.numeric('366');
  const before = await plain.c.next();
  assert.match(before, /NOTICE #lobby :.*history/iu);
  const msgs = [await plain.c.next(), await plain.c.next(), await plain.c.next()];
  for (const l of msgs) assert.ok(!l.startsWith('@'), l);
  assert.match(await plain.c.next(), /NOTICE #lobby :.*End of history/iu);
});

test('long native messages are split within 512 bytes, nothing lost; multi-line is one PRIVMSG per line', async (t) => {
  const server = await serve(t, IRC);
  const port = ircPort(server);
  const nat = await LineClient.json(server.port, 'nat');
  t.after(() => nat.close());
  const bob = await IrcClient.register(t, port, 'bob', { caps: ['server-time'] });
  const long = Array.from({ length: 400 }, (_, i) => `w${i}é`).join(' ');
  nat.sendJson({ type: 'say', text: long });
  const got: string[] = [];
  while (got.join('').length < long.length) {
    const line = await bob.c.waitFor((l) => l.includes(' PRIVMSG '));
    const body = line.replace(/^@\S+ /u, '');
    assert.ok(Buffer.byteLength(body) + 2 <= 512, `${Buffer.byteLength(body)} bytes`);
    got.push(parseIrcLine(line).params[1]!);
  }
  assert.equal(got.join(''), long);
  nat.sendJson({ type: 'say', text: 'a\nb\nc' });
  for (const want of ['a', 'b', 'c'])
    assert.deepEqual((await bob.expect((m) => m.command === 'PRIVMSG')).params, ['#lobby', want]);
});

test('echo-message echoes own messages with server-time; NICK change echoed', async (t) => {
  const server = await serve(t, IRC);
  const bob = await IrcClient.register(t, ircPort(server), 'bob', {
    caps: ['echo-message', 'server-time', 'message-tags'],
  });
  bob.send('@+draft/reply=x PRIVMSG #lobby :echo me');
  const echo = await bob.expect((m) => m.command === 'PRIVMSG');
  assert.equal(echo.prefix, 'bob!bob@irc.test');
  assert.deepEqual(echo.params, ['#lobby', 'echo me']);
  assert.ok(echo.tags.time);
  bob.send('NICK robert');
  const nick = await bob.expect((m) => m.command === 'NICK');
  assert.equal(nick.prefix, 'bob!bob@irc.test');
  assert.deepEqual(nick.params, ['robert']);
});

test('bad input: NUL bytes and 10 kB lines are refused with a reply, the connection lives on', async (t) => {
  const server = await serve(t, IRC);
  const bob = await IrcClient.register(t, ircPort(server), 'bob');
  bob.c.sendRaw('PRIVMSG #lobby :a\0b\r\n');
  await bob.expect((m) => m.command === 'NOTICE' && /NUL/u.test(m.params[1]!));
  bob.send(`PRIVMSG #lobby :${'x'.repeat(10_000)}`);
  await bob.numeric('417');
  bob.c.sendRaw('\r\n\r\n');
  await bob.fence();
});

test('SASL PLAIN and PASS log in to accounts; --require-account refuses guests; wrong passwords fail', async (t) => {
  const server = await serve(t, { ...IRC, requireAccount: 'true' });
  await createAccount(server, 'Ann', 'ann secret');
  await createAccount(server, 'Pat', 'pat secret');
  const port = ircPort(server);

  const guest = await IrcClient.connect(t, port);
  guest.send('NICK guest');
  guest.send('USER g 0 * :g');
  await guest.numeric('464');
  await guest.expect((m) => m.command === 'ERROR');
  await guest.c.waitClosed();

  const ann = await IrcClient.register(t, port, 'whatever', { sasl: ['ann', 'ann secret'] });
  assert.ok(ann.c.lines.some((l) => / 900 /u.test(l)));
  ann.send('WHOIS Ann');
  assert.deepEqual((await ann.numeric('330')).params.slice(1, 3), ['Ann', 'Ann']);

  const bad = await IrcClient.connect(t, port);
  bad.send('CAP REQ :sasl');
  bad.send('AUTHENTICATE PLAIN');
  await bad.expect((m) => m.command === 'AUTHENTICATE');
  bad.send(`AUTHENTICATE ${Buffer.from('\0Ann\0wrong').toString('base64')}`);
  await bad.numeric('904');

  await IrcClient.register(t, port, 'Pat', { pass: 'pat secret' });
  const wrong = await IrcClient.connect(t, port);
  wrong.send('PASS nope');
  wrong.send('NICK Pat');
  wrong.send('USER p 0 * :p');
  await wrong.numeric('464');
  await wrong.c.waitClosed();
});

test('a registered nick without SASL gets 433 and may take another', async (t) => {
  const server = await serve(t, IRC);
  await createAccount(server, 'Ann', 'ann secret');
  const irc = await IrcClient.connect(t, ircPort(server));
  irc.send('NICK Ann');
  irc.send('USER a 0 * :a');
  assert.match((await irc.numeric('433')).params[2]!, /registered/u);
  irc.send('NICK Ann_');
  await irc.numeric('001');
});

test('operators KICK (the core disconnects the user); a ban keeps an IRC user out', async (t) => {
  const server = await serve(t, IRC);
  await createAccount(server, 'Op', 'op secret', true);
  const port = ircPort(server);
  const op = await IrcClient.register(t, port, 'Op', { sasl: ['Op', 'op secret'] });
  const victim = await IrcClient.register(t, port, 'victim');
  const nat = await textUser(t, server.port, 'nat');
  op.send('NAMES #lobby');
  assert.ok((await op.numeric('353')).params[3]!.split(' ').includes('@Op'));
  await op.numeric('366');
  // WHO agrees with NAMES: the operator is @ in the channel (and * on the server).
  op.send('WHO #lobby');
  const flags = new Map<string, string>();
  for (;;) {
    const m = await op.expect((x) => x.command === '352' || x.command === '315');
    if (m.command === '315') break;
    flags.set(m.params[5]!, m.params[6]!);
  }
  assert.deepEqual(Object.fromEntries(flags), { Op: 'H*@', victim: 'H', nat: 'H' });
  op.send('KICK #lobby victim :behave');
  const kick = await victim.expect((m) => m.command === 'KICK');
  assert.deepEqual(kick.params, ['#lobby', 'victim', 'behave']);
  assert.equal(kick.prefix, 'Op!Op@irc.test');
  await victim.expect((m) => m.command === 'ERROR');
  await victim.c.waitClosed();
  // The others see the server-wide kick once: a QUIT worded as native users read it.
  const quit = await op.expect((m) => m.command === 'QUIT' || m.command === 'KICK');
  assert.equal(quit.command, 'QUIT');
  assert.equal(quit.prefix, 'victim!victim@irc.test');
  assert.deepEqual(quit.params, ['victim was kicked by Op (behave)']);
  await op.fence();
  assert.match(await nat.waitFor((l) => l.includes('victim')), /victim was kicked by Op/u);
});

test('a ban by a native operator ejects an IRC user and keeps its alias out (465)', async (t) => {
  const server = await serve(t, IRC);
  await createAccount(server, 'Op', 'op secret', true);
  const port = ircPort(server);
  const op = await textLogin(t, server.port, 'Op', 'op secret');
  const victim = await IrcClient.register(t, port, 'victim');
  op.send('/ban victim 1h trolling');
  await victim.expect((m) => m.command === 'KICK');
  await victim.c.waitClosed();
  // A guest's ban names its alias, not the shared address (docs/protocol.md §3 /ban).
  const again = await IrcClient.connect(t, port);
  again.send('NICK victim');
  again.send('USER o 0 * :o');
  // Until when and why, as the native port says (§4 `banned`).
  const refused = await again.numeric('465');
  assert.match(
    refused.params.at(-1)!,
    /^You are banned from this server until \d{4}-.* \(trolling\)$/u,
  );
  await again.c.waitClosed();
});

test('an operator who joins after an IRC user is shown as @ there: MODE +o after the JOIN', async (t) => {
  const server = await serve(t, IRC);
  await createAccount(server, 'Op', 'op secret', true);
  const alice = await IrcClient.register(t, ircPort(server), 'alice');
  await textLogin(t, server.port, 'Op', 'op secret');
  const join = await alice.expect((m) => m.command === 'JOIN');
  assert.equal(join.prefix?.split('!')[0], 'Op');
  const mode = await alice.expect((m) => m.command === 'MODE');
  assert.deepEqual(mode.params, ['#lobby', '+o', 'Op']);
  // A guest's join gives no mode change.
  await textUser(t, server.port, 'Gus');
  await alice.expect((m) => m.command === 'JOIN' && m.prefix?.startsWith('Gus!') === true);
  await alice.fence();
  assert.equal(alice.c.lines.filter((l) => / MODE #lobby \+o /u.test(l)).length, 1);
});

test('a grant or demotion while online is a MODE ±o in every channel shared with it, its own too', async (t) => {
  const server = await serve(t, IRC);
  await createAccount(server, 'Kim', 'kim secret');
  const alice = await IrcClient.register(t, ircPort(server), 'alice');
  const kim = await IrcClient.register(t, ircPort(server), 'Kim', { sasl: ['Kim', 'kim secret'] });
  kim.send('JOIN #dev');
  await kim.expect((m) => m.command === 'JOIN' && m.params[0] === '#dev');
  // `chat-server accounts operator Kim` writes the store behind the server's back.
  await server.app.store.updateAccount('kim', { operator: true });
  await server.app.chat.checkAccounts();
  const seen = await alice.expect((m) => m.command === 'MODE');
  assert.deepEqual(seen.params, ['#lobby', '+o', 'Kim']);
  assert.equal(seen.prefix, 'irc.test');
  const own = [await kim.expect((m) => m.command === 'MODE')];
  own.push(await kim.expect((m) => m.command === 'MODE'));
  assert.deepEqual(own.map((m) => m.params).sort(), [
    ['#dev', '+o', 'Kim'],
    ['#lobby', '+o', 'Kim'],
  ]);
  // Nothing changed on the next read: nothing told.
  await server.app.chat.checkAccounts();
  await server.app.store.updateAccount('kim', { operator: false });
  await server.app.chat.checkAccounts();
  const demoted = await alice.expect((m) => m.command === 'MODE');
  assert.deepEqual(demoted.params, ['#lobby', '-o', 'Kim']);
  await alice.fence();
  assert.equal(alice.c.lines.filter((l) => / MODE /u.test(l)).length, 2);
  alice.send('NAMES #lobby');
  assert.ok((await alice.numeric('353')).params[3]!.split(' ').includes('Kim'));
});

test("an IRC operator's MODE +b nick (irssi's /ban) bans the nick, -b lifts it; other modes are 472", async (t) => {
  const server = await serve(t, IRC);
  await createAccount(server, 'Op', 'op secret', true);
  const port = ircPort(server);
  const op = await IrcClient.register(t, port, 'Op', { sasl: ['Op', 'op secret'] });
  const carla = await IrcClient.register(t, port, 'Carla');
  // Not an operator: 482, as IRC servers say it.
  carla.send('MODE #lobby +b Op!*@*');
  await carla.numeric('482');
  // irssi's default mask: *!*user@host, and the user part is the nick here.
  op.send('MODE #lobby +b *!*Carla@irc.test');
  const echoed = await op.expect((m) => m.command === 'MODE');
  assert.deepEqual(echoed.params, ['#lobby', '+b', '*!*Carla@irc.test']);
  await carla.c.waitClosed();
  const back = await IrcClient.connect(t, port);
  back.send('NICK Carla');
  back.send('USER c 0 * :c');
  await back.numeric('465');
  op.send('MODE #lobby -b Carla');
  assert.deepEqual((await op.expect((m) => m.command === 'MODE')).params, [
    '#lobby',
    '-b',
    'Carla',
  ]);
  await IrcClient.register(t, port, 'Carla');
  // An address is banned as the native /ban -addr does; the ban list shows both kinds.
  op.send('MODE #lobby +b *!*@10.9.0.0/16');
  assert.deepEqual((await op.expect((m) => m.command === 'MODE')).params, [
    '#lobby',
    '+b',
    '*!*@10.9.0.0/16',
  ]);
  op.send('MODE #lobby +b Zed');
  await op.expect((m) => m.command === 'MODE' && m.params[2] === 'Zed');
  op.send('MODE #lobby b');
  const listed = [await op.numeric('367'), await op.numeric('367')].map((m) => m.params[2]);
  assert.deepEqual(listed.sort(), ['*!*@10.9.0.0/16', 'Zed!*@*']);
  await op.numeric('368');
  // Several in one command, as irssi's /unban * sends them.
  op.send('MODE #lobby -b-b Zed!*@* *!*@10.9.0.0/16');
  const lifted = [
    await op.expect((m) => m.command === 'MODE'),
    await op.expect((m) => m.command === 'MODE'),
  ];
  assert.deepEqual(
    lifted.map((m) => m.params.slice(1)),
    [
      ['-b', 'Zed!*@*'],
      ['-b', '*!*@10.9.0.0/16'],
    ],
  );
  op.send('MODE #lobby b');
  await op.numeric('368');
  // Two b's and no mask ask for the list too, not an unknown mode.
  op.send('MODE #lobby +bb');
  await op.numeric('368');
  // Other masks are no bans here; nor is +o or +m a mode this server changes.
  op.send('MODE #lobby +b *!*@*.example.org');
  assert.match((await op.expect((m) => m.command === 'NOTICE')).params[1]!, /no other masks/u);
  op.send('MODE #lobby +o Carla');
  const o = await op.numeric('472');
  assert.match(o.params.at(-1)!, /chat-server accounts operator/u);
  op.send('MODE #lobby +m');
  assert.equal((await op.numeric('472')).params[1], 'm');
});

test('a mute and an unmute are told to the IRC user at once, as a server NOTICE', async (t) => {
  const server = await serve(t, IRC);
  await createAccount(server, 'Op', 'op secret', true);
  const op = await textLogin(t, server.port, 'Op', 'op secret');
  const alicia = await IrcClient.register(t, ircPort(server), 'Alicia');
  op.send('/mute Alicia 5m stop shouting');
  const muted = await alicia.expect((m) => m.command === 'NOTICE');
  assert.match(muted.params[1]!, /^You were muted by Op until .* \(stop shouting\)/u);
  op.send('/unmute Alicia');
  const unmuted = await alicia.expect((m) => m.command === 'NOTICE');
  assert.match(unmuted.params[1]!, /You may speak in rooms again/u);
});

test('fakelag: past the burst, commands wait their turn and run in order, none refused', async (t) => {
  const server = await serve(t, { ...IRC, rateBurst: 2, ratePerSecond: 10, rateQueue: 3 });
  const watch = await jsonUser(t, server.port, 'watch');
  const bob = await IrcClient.register(t, ircPort(server), 'bob');
  const start = Date.now();
  bob.c.sendRaw([0, 1, 2, 3, 4].map((i) => `PRIVMSG #lobby :lag ${i}\r\n`).join(''));
  for (let i = 0; i < 5; i++) {
    const o = await watch.waitForJson((x) => x.type === 'message');
    assert.equal(o.text, `lag ${i}`);
  }
  // Two at once, then one per 100 ms: the last cannot come before 300 ms (a slow machine is only later).
  assert.ok(Date.now() - start >= 250, `all five within ${Date.now() - start} ms`);
  await bob.fence();
});

test('flood control: past the burst and queue, commands are refused, then the flooder is closed', async (t) => {
  const server = await serve(t, { ...IRC, rateBurst: 2, ratePerSecond: 1, rateQueue: 2 });
  const bob = await IrcClient.register(t, ircPort(server), 'bob');
  for (let i = 0; i < 10; i++) bob.send(`PRIVMSG #lobby :spam ${i}`);
  await bob.expect((m) => m.command === 'NOTICE' && /Too many commands/u.test(m.params[1]!));
  for (let i = 0; i < 60; i++) bob.send(`PRIVMSG #lobby :more ${i}`);
  await bob.expect((m) => m.command === 'ERROR' && /flood/iu.test(m.params[0]!));
  await bob.c.waitClosed();
});

test('a flooder is closed only after the lines it had been let send are delivered, in order', async (t) => {
  const server = await serve(t, { ...IRC, rateBurst: 3, ratePerSecond: 20, rateQueue: 4 });
  const watch = await jsonUser(t, server.port, 'watch');
  const bob = await IrcClient.register(t, ircPort(server), 'bob');
  bob.c.sendRaw(
    Array.from(
      { length: 80 },
      (_, i) => `PRIVMSG #lobby :run ${String(i).padStart(2, '0')}\r\n`,
    ).join(''),
  );
  await bob.expect((m) => m.command === 'ERROR' && /flood/iu.test(m.params[0]!));
  await bob.c.waitClosed();
  await watch.waitForJson((o) => o.type === 'system' && o.event === 'quit' && o.user === 'bob');
  const got = watch.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.type === 'message')
    .map((o) => o.text);
  // The burst and the queue: 7 lines, the first ones sent, none lost.
  assert.deepEqual(got, ['run 00', 'run 01', 'run 02', 'run 03', 'run 04', 'run 05', 'run 06']);
});

test('a reload (SIGHUP) paces open IRC connections with the new limits and caps new ones', async (t) => {
  const server = await serve(t, IRC);
  const watch = await jsonUser(t, server.port, 'watch');
  const bob = await IrcClient.register(t, ircPort(server), 'bob');
  const burst = (tag: string): void =>
    bob.c.sendRaw([0, 1, 2].map((i) => `PRIVMSG #lobby :${tag} ${i}\r\n`).join(''));
  // Under the generous limits three at once all pass.
  burst('before');
  await watch.waitForJson((o) => o.type === 'message' && o.text === 'before 2');
  await bob.fence();

  await server.app.reconfigure({
    ...server.app.config,
    rateBurst: 1,
    ratePerSecond: 1,
    rateQueue: 0,
    maxConnectionsPerAddress: 2,
  });
  // The same connection, not reconnected: one passes, two are refused.
  burst('after');
  for (const i of [1, 2]) {
    const notice = await bob.expect((m) => m.command === 'NOTICE');
    // Which line went, by its first words, as text mode says it.
    assert.match(
      notice.params[1]!,
      new RegExp(`Too many commands.*PRIVMSG #lobby "after ${i}" dropped`, 'u'),
      `refusal ${i}`,
    );
  }
  const o = await watch.waitForJson((x) => x.type === 'message' && x.from === 'bob');
  assert.equal(o.text, 'after 0');
  await bob.fence();
  // The reloaded per-address cap counts IRC and native connections alike.
  const third = await IrcClient.connect(t, ircPort(server));
  const err = await third.expect((m) => m.command === 'ERROR');
  assert.match(err.params[0]!, /Too many connections/u);
});

test('connection caps are shared with the native port', async (t) => {
  const server = await serve(t, { ...IRC, maxConnectionsPerAddress: 1 });
  await textUser(t, server.port, 'nat');
  const irc = await IrcClient.connect(t, ircPort(server));
  const err = await irc.expect((m) => m.command === 'ERROR');
  assert.match(err.params[0]!, /^Closing link: \*\[127\.0\.0\.1\] \(Too many connections/u);
  await irc.c.waitClosed();
  // One ERROR line, in words (no second one with the internal code).
  assert.equal(irc.c.lines.filter((l) => l.startsWith('ERROR')).length, 1, irc.c.lines.join('\n'));
});

test('big rooms: aggregated joins become JOINs, never a second JOIN of oneself', async (t) => {
  // nat and nia make the limit; bob's join and noa's are aggregated.
  const server = await serve(t, { ...IRC, announceLimit: 2 });
  const port = ircPort(server);
  await textUser(t, server.port, 'nat');
  await textUser(t, server.port, 'nia');
  const bob = await IrcClient.register(t, port, 'bob');
  const joins: string[] = [];
  await textUser(t, server.port, 'noa');
  const m = await bob.expect((x) => x.command === 'JOIN');
  joins.push(m.prefix!);
  assert.deepEqual(joins, ['noa!noa@irc.test']);
  await bob.fence();
});

test('a slow IRC reader is disconnected at --max-queued-bytes; the others read on', async (t) => {
  // A MOTD near the 16 kB limit makes each MOTD command a big reply to pile up.
  const motd = joinPath(tempDir(t, 'chat-irc-'), 'motd.txt');
  writeFileSync(motd, `${'m'.repeat(75)}\n`.repeat(200));
  const server = await serve(t, { ...IRC, motd, maxQueuedBytes: 65_536 });
  const watch = await jsonUser(t, server.port, 'watch');
  const sloth = await IrcClient.register(t, ircPort(server), 'sloth');
  stopReading(sloth.c);
  const gone = (o: Record<string, unknown>): boolean =>
    o.type === 'system' && o.event === 'quit' && o.user === 'sloth';
  // Each round asks for 100 MOTDs (about 1.7 MB) it never reads, then says a line
  // the watcher waits for: the server has written that round once it arrives.
  // Kernel buffers take a few MB first; the flood is bounded either way.
  for (let round = 0; round < 60; round++) {
    sloth.c.sendRaw(`${'MOTD\r\n'.repeat(100)}PRIVMSG #lobby :round ${round}\r\n`);
    const o = await watch.waitForJson(
      (x) => gone(x) || (x.type === 'message' && x.text === `round ${round}`),
      15_000,
    );
    if (gone(o)) {
      assert.equal(o.reason, 'connection lost');
      await jsonFence(watch);
      return;
    }
  }
  assert.fail('the slow reader was never disconnected');
});

test('--server-name defaults to the host name; --irc-host binds the IRC port alone', async (t) => {
  const server = await serve(t, { ircPort: 0, ircHost: '127.0.0.2' });
  const addr = server.app.irc?.address();
  assert.equal(addr?.address, '127.0.0.2');
  const c = await LineClient.connect(addr.port, '127.0.0.2');
  t.after(() => c.close());
  const irc = new IrcClient(c);
  irc.send('NICK host');
  irc.send('USER h 0 * :h');
  const welcome = await irc.numeric('001');
  assert.equal(welcome.prefix, hostname());
  assert.match(
    (await irc.numeric('005')).params.join(' '),
    new RegExp(`NETWORK=${hostname()}`, 'u'),
  );
  // The native port stays on --host.
  await textUser(t, server.port, 'nat');
});

test('NOTICE reaches channels and users like PRIVMSG, and is never answered with an error', async (t) => {
  const server = await serve(t, IRC);
  const port = ircPort(server);
  const nat = await textUser(t, server.port, 'nat');
  const bob = await IrcClient.register(t, port, 'bob');
  const ann = await IrcClient.register(t, port, 'ann');
  await bob.expect((m) => m.command === 'JOIN' && m.prefix === 'ann!ann@irc.test');
  bob.send('NOTICE #lobby :notice to all');
  assert.match(await nat.waitFor((l) => l.includes('notice to all')), /<bob> notice to all$/u);
  assert.deepEqual((await ann.expect((m) => /notice to all/u.test(m.params[1] ?? ''))).params, [
    '#lobby',
    'notice to all',
  ]);
  bob.send('NOTICE nat :for nat only');
  assert.ok((await nat.waitFor((l) => l.includes('for nat only'))).includes('bob'));
  bob.send('NOTICE ann,nobody,#nowhere :for ann');
  assert.deepEqual((await ann.expect((m) => /for ann/u.test(m.params[1] ?? ''))).params, [
    'ann',
    'for ann',
  ]);
  bob.send('NOTICE');
  bob.send('NOTICE ann');
  await bob.fence();
});

test('case mapping is the native folding: Unicode nicks and channels in any case are the same', async (t) => {
  const server = await serve(t, IRC);
  const port = ircPort(server);
  const nat = await textUser(t, server.port, 'Ärger');
  nat.send('/join #Über');
  await nat.waitFor((l) => l.includes('#Über'));
  const bob = await IrcClient.register(t, port, 'bob');
  bob.send('ISON äRGER');
  assert.equal((await bob.numeric('303')).params[1], 'Ärger');
  bob.send('PRIVMSG ÄRGER :hallo');
  assert.ok((await nat.waitFor((l) => l.includes('hallo'))).includes('bob'));
  bob.send('JOIN #üBER');
  const join = await bob.expect((m) => m.command === 'JOIN');
  assert.deepEqual(join.params, ['#Über'], 'the room as it is named');
  assert.deepEqual((await bob.numeric('353')).params[3]!.split(' ').sort(), ['bob', 'Ärger']);
  bob.send('JOIN #LOBBY');
  bob.send('NICK ärger');
  assert.equal((await bob.numeric('433')).params[1], 'ärger');
  await bob.fence();
});

test('replies come in the order the commands were sent, also when the core answers later', async (t) => {
  const server = await serve(t, IRC);
  const bob = await IrcClient.register(t, ircPort(server), 'bob');
  bob.c.sendRaw(
    [
      'NICK bobby',
      'WHOIS bobby',
      'TOPIC #lobby :set first',
      'TOPIC #lobby',
      'AWAY :out',
      'WHOIS bobby',
      'PING last',
    ]
      .map((l) => `${l}\r\n`)
      .join(''),
  );
  const seen: string[] = [];
  for (;;) {
    const m = parseIrcLine(await bob.c.next());
    if (['NICK', 'TOPIC', '311', '332', '301', '306', 'PONG'].includes(m.command))
      seen.push(m.command === '311' ? `311 ${m.params[1]}` : m.command);
    if (m.command === 'PONG') break;
  }
  assert.deepEqual(seen, ['NICK', '311 bobby', 'TOPIC', '332', '306', '311 bobby', '301', 'PONG']);
});
