/**
 * docs/protocol.md §1 and §3: split horizon, join and leave announcements (also
 * when a client vanishes), framing (CRLF, blank lines, over-long lines) and
 * the sanitizing of everything one user can make another user's terminal show.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expectJsonError,
  expectTextError,
  jsonFence,
  jsonUser,
  raw,
  serve,
  stamped,
  textErrorCode,
  textFence,
  textUser,
  trio,
} from '../helpers/fixtures.js';

test('split horizon in text mode: everyone else sees the message, the sender does not', async (t) => {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  const carol = await textUser(t, port, 'Carol');
  await bob.waitFor((l) => l === '* Carol joined #lobby');
  bob.send('hello all');
  assert.match(await alice.waitFor((l) => l.includes('hello')), stamped('<Bob> hello all'));
  assert.match(await carol.waitFor((l) => l.includes('hello')), stamped('<Bob> hello all'));
  await textFence(bob);
});

test("split horizon within bursts: two senders pasting at once each get only the other one's lines", async (t) => {
  // Lines written at once reach the server in one turn, so the room's burst
  // holds both senders' lines; each sender's copy is cut from the burst's one
  // encoding without its own lines (docs/performance.md, fourth pass).
  const { alice, bob, carol } = await trio(t);
  const lines = (who: string): string[] => Array.from({ length: 20 }, (_, i) => `${who}${i} é`);
  alice.sendRaw(lines('a').join('\n') + '\n');
  bob.sendRaw(lines('b').join('\n') + '\n');
  const got = async (c: typeof alice, n: number): Promise<string[]> => {
    const out: string[] = [];
    while (out.length < n) out.push(await c.next());
    return out.map((l) => l.replace(/^\[\d\d:\d\d\] /u, ''));
  };
  assert.deepEqual(
    await got(alice, 20),
    lines('b').map((l) => `<Bob> ${l}`),
  );
  assert.deepEqual(
    await got(bob, 20),
    lines('a').map((l) => `<Alice> ${l}`),
  );
  const all = await got(carol, 40);
  assert.deepEqual(
    all.filter((l) => l.startsWith('<Alice>')),
    lines('a').map((l) => `<Alice> ${l}`),
  );
  assert.deepEqual(
    all.filter((l) => l.startsWith('<Bob>')),
    lines('b').map((l) => `<Bob> ${l}`),
  );
  await textFence(alice);
  await textFence(bob);
});

test('split horizon in JSON mode: the sender gets its ack, the others the message', async (t) => {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  const bot = await jsonUser(t, port, 'Bot');
  const watcher = await jsonUser(t, port, 'Watcher');
  await bot.waitForJson((o) => o.event === 'join' && o.user === 'Watcher');
  bot.sendJson({ type: 'say', id: 'a', text: 'beep' });
  const ack = await bot.nextJson();
  assert.equal(ack.type, 'ack');
  assert.equal(ack.id, 'a');
  assert.match(await alice.waitFor((l) => l.includes('beep')), stamped('<Bot> beep'));
  const msg = await watcher.nextJson();
  assert.equal(msg.type, 'message');
  assert.equal(msg.room, '#lobby');
  assert.equal(msg.from, 'Bot');
  assert.equal(msg.text, 'beep');
  assert.equal(msg.action, false);
  assert.equal(msg.seq, ack.seq);
  await jsonFence(bot);
});

test('join and leave are announced to the others in both modes; /quit carries its reason', async (t) => {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  const bot = await jsonUser(t, port, 'Bot');
  assert.equal(await alice.next(), '* Bot joined #lobby');

  const bob = await textUser(t, port, 'Bob');
  assert.equal(await alice.next(), '* Bob joined #lobby');
  const join = await bot.nextJson();
  assert.deepEqual(
    { type: join.type, event: join.event, user: join.user, room: join.room },
    { type: 'system', event: 'join', user: 'Bob', room: '#lobby' },
  );
  assert.equal(typeof join.ts, 'string');

  bob.send('/quit gone fishing');
  await bob.waitClosed();
  assert.equal(await alice.next(), '* Bob quit (gone fishing)');
  const quit = await bot.nextJson();
  assert.equal(quit.type, 'system');
  assert.equal(quit.event, 'quit');
  assert.equal(quit.user, 'Bob');
  assert.equal(quit.reason, 'gone fishing');
});

test('/quit without a reason, and a JSON quit', async (t) => {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  await alice.waitFor((l) => l === '* Bob joined #lobby');
  bob.send('/quit');
  await bob.waitClosed();
  assert.match(await alice.next(), /^\* Bob quit\b/u);

  const bot = await jsonUser(t, port, 'Bot');
  assert.equal(await alice.next(), '* Bot joined #lobby');
  bot.sendJson({ type: 'quit', id: 'q', reason: 'done' });
  const ack = await bot.nextJson();
  assert.equal(ack.type, 'ack');
  assert.equal(ack.id, 'q');
  await bot.waitClosed();
  assert.equal(await alice.next(), '* Bot quit (done)');
});

test('a client that vanishes (socket destroyed) is announced as quit, in both modes', async (t) => {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  const bot = await jsonUser(t, port, 'Bot');
  const bob = await textUser(t, port, 'Bob');
  await alice.waitFor((l) => l === '* Bob joined #lobby');
  await bot.waitForJson((o) => o.event === 'join' && o.user === 'Bob');

  bob.socket.destroy();
  assert.match(await alice.next(), /^\* Bob quit\b/u);
  const quit = await bot.nextJson();
  assert.equal(quit.event, 'quit');
  assert.equal(quit.user, 'Bob');

  bot.socket.destroy();
  assert.match(await alice.next(), /^\* Bot quit\b/u);
  // The alias is free again at once.
  await textUser(t, port, 'Bob');
  assert.equal(await alice.next(), '* Bob joined #lobby');
});

test('a client that sends RST is announced as quit', async (t) => {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  await alice.waitFor((l) => l === '* Bob joined #lobby');
  bob.socket.resetAndDestroy();
  assert.match(await alice.next(), /^\* Bob quit\b/u);
});

test('CRLF input (telnet) works and no CR reaches the others', async (t) => {
  const { port } = await serve(t);
  const watcher = await jsonUser(t, port, 'Watcher');
  const alice = await textUser(t, port, 'Alice');
  const telnet = await raw(t, port);
  telnet.sendRaw('Tel\r\n');
  await telnet.waitFor((l) => l.startsWith('* Welcome, Tel!'));
  const join = await watcher.waitForJson((o) => o.event === 'join' && o.user === 'Tel');
  assert.equal(join.user, 'Tel');
  telnet.sendRaw('hello there\r\n');
  const msg = await watcher.waitForJson((o) => o.type === 'message');
  assert.equal(msg.text, 'hello there');
  assert.match(await alice.waitFor((l) => l.includes('hello')), stamped('<Tel> hello there'));
  telnet.sendRaw('/who\r\n');
  assert.equal(await telnet.next(), '* 3 users in #lobby: Alice, Tel, Watcher');
});

test('empty and blank lines are ignored in both modes', async (t) => {
  const { port } = await serve(t);
  const watcher = await jsonUser(t, port, 'Watcher');
  const alice = await textUser(t, port, 'Alice');
  await watcher.waitForJson((o) => o.event === 'join' && o.user === 'Alice');
  alice.sendRaw('\n\r\n   \n\t\n');
  alice.send('real');
  assert.equal((await watcher.nextJson()).text, 'real');
  await textFence(alice);

  watcher.sendRaw('\n\r\n   \n');
  await jsonFence(watcher);
});

test('a line over maxLineBytes gets line_too_long and the connection keeps working', async (t) => {
  const { port } = await serve(t, { maxLineBytes: 100 });
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  await alice.waitFor((l) => l === '* Bob joined #lobby');

  bob.send('x'.repeat(101));
  await expectTextError(bob, 'line_too_long');
  // Exactly the limit is fine, with or without a CR before the LF.
  bob.send('y'.repeat(100));
  assert.match(await alice.next(), stamped(`<Bob> ${'y'.repeat(100)}`));
  bob.sendRaw('z'.repeat(100) + '\r\n');
  assert.match(await alice.next(), stamped(`<Bob> ${'z'.repeat(100)}`));
  // A long line sent in pieces is discarded up to its LF, nothing of it relayed.
  bob.sendRaw('a'.repeat(80));
  bob.sendRaw('b'.repeat(80));
  bob.sendRaw('c'.repeat(80) + '\nafter\n');
  await expectTextError(bob, 'line_too_long');
  assert.match(await alice.next(), stamped('<Bob> after'));
  await textFence(bob);
  await textFence(alice);
});

test('an over-long line sent right after the alias is refused after the welcome, not before it', async (t) => {
  const { port } = await serve(t, { maxLineBytes: 100 });
  const c = await raw(t, port);
  c.sendRaw(`Quick\n${'x'.repeat(500)}\nafter\n`);
  assert.match(await c.next(), /^\* chat-server /u);
  assert.match(await c.next(), /^\* Welcome, Quick!/u);
  assert.equal(textErrorCode(await c.waitFor((l) => l.startsWith('! '))), 'line_too_long');
  await textFence(c);
  // Held behind the login, good lines between long ones still break the run: no close.
  const d = await raw(t, port);
  const long = 'x'.repeat(500);
  d.sendRaw(`Quick2\n${long}\none\n${long}\ntwo\n${long}\nthree\n`);
  for (let i = 0; i < 3; i++) {
    assert.equal(textErrorCode(await d.waitFor((l) => l.startsWith('! '))), 'line_too_long');
  }
  await textFence(d);
});

test('an over-long JSON request is refused with its id when its first or last bytes name it, and only then', async (t) => {
  const { port } = await serve(t, { maxLineBytes: 1000 });
  const bot = await jsonUser(t, port, 'Bot', { history: 0 });
  const long = 'x'.repeat(5000);
  // Held whole (one write) and streamed (the overflow found before the LF), both.
  bot.sendRaw(JSON.stringify({ type: 'say', id: 'big1', text: long }) + '\n');
  assert.equal((await expectJsonError(bot, 'line_too_long')).id, 'big1');
  const streamed = JSON.stringify({ type: 'say', id: 'big2', text: long });
  bot.sendRaw(streamed.slice(0, 3000));
  bot.sendRaw(streamed.slice(3000) + '\n');
  assert.equal((await expectJsonError(bot, 'line_too_long')).id, 'big2');
  bot.sendJson({ type: 'ping', id: 'between' }); // three long lines in a row would close it
  assert.deepEqual(await bot.nextJson(), { type: 'pong', id: 'between' });
  // The id last, as JSON.stringify of {type, text, id} puts it: whole, and streamed in pieces.
  bot.sendRaw(JSON.stringify({ type: 'say', text: long, id: 'last1' }) + '\r\n');
  assert.equal((await expectJsonError(bot, 'line_too_long')).id, 'last1');
  const last = JSON.stringify({ type: 'say', text: long, id: 'last2' });
  for (let at = 0; at < last.length; at += 700) bot.sendRaw(last.slice(at, at + 700));
  bot.sendRaw('\n');
  assert.equal((await expectJsonError(bot, 'line_too_long')).id, 'last2');
  bot.sendJson({ type: 'ping', id: 'between2' });
  assert.deepEqual(await bot.nextJson(), { type: 'pong', id: 'between2' });
  // An "id" in the text or in an inner object is not the request's.
  const decoy = JSON.stringify({ type: 'say', text: '","id":"decoy" {"id":"x"}' + long });
  bot.sendRaw(decoy + '\n');
  assert.equal((await expectJsonError(bot, 'line_too_long')).id, undefined);
  bot.sendJson({ type: 'ping', id: 'after' });
  assert.deepEqual(await bot.nextJson(), { type: 'pong', id: 'after' });
});

test('three over-long lines in a row close the connection with a final error', async (t) => {
  const { port } = await serve(t, { maxLineBytes: 100 });
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  await alice.waitFor((l) => l === '* Bob joined #lobby');
  const long = 'x'.repeat(500);
  // Not in a row: a good line in between resets the count.
  bob.send(long);
  bob.send(long);
  bob.send('ok');
  bob.send(long);
  bob.send(long);
  await expectTextError(bob, 'line_too_long');
  await expectTextError(bob, 'line_too_long');
  await expectTextError(bob, 'line_too_long');
  await expectTextError(bob, 'line_too_long');
  assert.match(await alice.next(), stamped('<Bob> ok'));
  // The fence's /who was a good line too: three more in a row are needed.
  await textFence(bob);

  // Blank lines between them are ignored (§1), so they do not break the run.
  bob.send(long);
  bob.sendRaw('\n \r\n');
  bob.send(long);
  bob.sendRaw('\t\n');
  bob.send(long);
  await expectTextError(bob, 'line_too_long');
  await expectTextError(bob, 'line_too_long');
  await expectTextError(bob, 'line_too_long');
  await bob.waitClosed();
  assert.deepEqual(bob.unread(), []);
  assert.match(await alice.next(), /^\* Bob quit\b/u);
});

test('JSON mode: an over-long line is line_too_long and the connection keeps working', async (t) => {
  const { port } = await serve(t, { maxLineBytes: 100 });
  const bot = await jsonUser(t, port, 'Bot');
  bot.sendJson({ type: 'say', id: 'long', text: 'x'.repeat(200) });
  await expectJsonError(bot, 'line_too_long');
  await jsonFence(bot);
});

test('a line over maxLineBytes before the handshake is refused too', async (t) => {
  const { port } = await serve(t, { maxLineBytes: 100 });
  const c = await raw(t, port);
  c.send('A'.repeat(200));
  assert.equal(textErrorCode(await c.waitFor((l) => l.startsWith('! '))), 'line_too_long');
  c.send('Alice');
  await c.waitFor((l) => l.startsWith('* Welcome, Alice!'));
});

const HOSTILE =
  'a\x1b[31mb\x1b[0m c\x1b]0;pwned\x07d e\x1b]8;;http://x\x1b\\f g\u202eh\u2066i\u2069 ' +
  'j\u009b2Jk l\u0085m n\x00\x08\x7fo p\x1bcq r\x1bPdcs\x1b\\s t\tu';
const CLEAN = 'ab cd ef ghi jk lm no pq rs t\tu';

test('escapes, OSC, C0/C1 controls and bidi overrides are stripped from what others see', async (t) => {
  const { port } = await serve(t);
  const watcher = await jsonUser(t, port, 'Watcher');
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  await alice.waitFor((l) => l === '* Bob joined #lobby');
  await watcher.waitForJson((o) => o.event === 'join' && o.user === 'Bob');

  bob.send(HOSTILE);
  assert.equal((await watcher.waitForJson((o) => o.type === 'message')).text, CLEAN);
  assert.match(await alice.next(), stamped(`<Bob> ${CLEAN}`));

  // The same from a JSON sender, whose text may also hold CR and other line breaks.
  watcher.sendJson({ type: 'say', id: 'h', text: HOSTILE });
  assert.equal((await watcher.nextJson()).type, 'ack');
  assert.match(await alice.next(), stamped(`<Watcher> ${CLEAN}`));

  // Topics, away texts and quit reasons are user text too.
  bob.send('/topic \x1b[2Jtopic\u202e!');
  await bob.next();
  assert.equal(await alice.next(), '* Bob set the topic of #lobby: topic!');
  bob.send('/quit \x1b]0;x\x07bye\x1b[5m');
  await bob.waitClosed();
  assert.equal(await alice.next(), '* Bob quit (bye)');
  const quit = await watcher.waitForJson((o) => o.event === 'quit');
  assert.equal(quit.reason, 'bye');
});

test('invalid UTF-8 becomes U+FFFD', async (t) => {
  const { port } = await serve(t);
  const watcher = await jsonUser(t, port, 'Watcher');
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  await alice.waitFor((l) => l === '* Bob joined #lobby');
  await watcher.waitForJson((o) => o.event === 'join' && o.user === 'Bob');
  bob.sendRaw(
    Buffer.concat([
      Buffer.from('a'),
      Buffer.from([0x80]),
      Buffer.from('b'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('c'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('é\n'),
    ]),
  );
  const msg = await watcher.waitForJson((o) => o.type === 'message');
  assert.match(msg.text as string, /^a\uFFFDb\uFFFD\(c\uFFFD+é$/u);
  assert.match(await alice.next(), new RegExp(`<Bob> a\uFFFDb\uFFFD\\(c\uFFFD+é$`, 'u'));
});

test('telnet IAC negotiation bytes are dropped, during the handshake and after', async (t) => {
  const { port } = await serve(t);
  const watcher = await jsonUser(t, port, 'Watcher');
  const telnet = await raw(t, port);
  // What a telnet client sends on connect (WILL ECHO, DO SGA, a subnegotiation) before the alias.
  telnet.sendRaw(
    Buffer.concat([
      Buffer.from([0xff, 0xfb, 0x01, 0xff, 0xfd, 0x03]),
      Buffer.from([0xff, 0xfa, 0x18, 0x00, 0x41, 0x4e, 0x53, 0x49, 0xff, 0xf0]),
      Buffer.from('Tel\r\n'),
    ]),
  );
  await telnet.waitFor((l) => l.startsWith('* Welcome, Tel!'));
  telnet.sendRaw(
    Buffer.concat([
      Buffer.from('he'),
      Buffer.from([0xff, 0xfd, 0x03]),
      Buffer.from('llo'),
      Buffer.from([0xff, 0xf1]),
      Buffer.from('!\r\n'),
    ]),
  );
  const msg = await watcher.waitForJson((o) => o.type === 'message');
  assert.equal(msg.from, 'Tel');
  assert.equal(msg.text, 'hello!');
});
