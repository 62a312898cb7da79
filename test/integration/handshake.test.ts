/**
 * docs/protocol.md §2: the first line chooses the mode, the alias rules, refusals
 * with a retry on the same connection, three strikes, and the handshake timeout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expectJsonError,
  jsonFence,
  jsonUser,
  raw,
  serve,
  stamped,
  textErrorCode,
  textFence,
  textUser,
} from '../helpers/fixtures.js';
import type { LineClient } from '../helpers/line-client.js';
import { createAccount } from '../helpers/security.js';

/** The next reply to a text-mode alias attempt (skipping the optional banner). */
async function aliasReply(c: LineClient): Promise<string> {
  return c.waitFor((l) => l.startsWith('! ') || l.startsWith('* Welcome'));
}

test('text mode: the first line is the alias; welcome names the room and who is there', async (t) => {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  const bob = await raw(t, port);
  bob.send('  Bob  ');
  const welcome = await aliasReply(bob);
  assert.match(welcome, /^\* Welcome, Bob! You are in #lobby with Alice\b/u);
  assert.equal(await alice.next(), '* Bob joined #lobby');
  await textFence(bob);
});

test('JSON mode: hello → welcome, then the lobby history', async (t) => {
  const { port } = await serve(t);
  const alice = await jsonUser(t, port, 'Alice');
  alice.sendJson({ type: 'say', id: 's1', text: 'before you came' });
  assert.equal((await alice.nextJson()).type, 'ack');
  const bot = await raw(t, port);
  // Banner lines that do not start with "{" are not part of JSON mode.
  bot.sendJson({ type: 'hello', version: 1, name: 'Bot' });
  const welcome = await bot.nextJson();
  assert.equal(welcome.type, 'welcome');
  assert.equal(welcome.name, 'Bot');
  assert.deepEqual(welcome.rooms, ['#lobby']);
  assert.equal(typeof welcome.heartbeat, 'number');
  assert.equal(typeof welcome.limits, 'object');
  assert.equal(typeof welcome.server, 'object');
  const history = await bot.nextJson();
  assert.equal(history.type, 'history');
  assert.equal(history.room, '#lobby');
  const messages = history.messages as Array<Record<string, unknown>>;
  assert.equal(messages.length, 1);
  assert.equal(messages[0]?.from, 'Alice');
  assert.equal(messages[0]?.text, 'before you came');
  const join = await alice.nextJson();
  assert.equal(join.type, 'system');
  assert.equal(join.event, 'join');
  assert.equal(join.user, 'Bot');
  assert.equal(join.room, '#lobby');
  await jsonFence(bot);
});

test('aliases that follow the rules are accepted', async (t) => {
  const { port } = await serve(t);
  for (const alias of ['a', '7of9', 'x.y-z_w', 'Алиса', 'a'.repeat(32), 'Zoë']) {
    const c = await raw(t, port);
    c.send(alias);
    assert.match(await aliasReply(c), /^\* Welcome, /u, alias);
    c.close();
  }
});

const BAD_ALIASES: Array<[string, string]> = [
  ['\x1b[31m\x1b[0m', 'nothing left after sanitizing'],
  ['a'.repeat(33), '33 characters'],
  ['Al ice', 'a space'],
  ['_alice', "starts with '_'"],
  ['-alice', "starts with '-'"],
  ['.alice', "starts with '.'"],
  ['al!ce', 'punctuation'],
  ['\u0410lice', 'Cyrillic А with Latin lice'],
  ['admin', 'reserved'],
  ['Server', 'reserved, any case'],
  ['ＡＤＭＩＮ', 'reserved after NFKC'],
  ['nobody', 'reserved'],
];

test('text mode: aliases that break the rules get bad_alias, and a retry works', async (t) => {
  const { port } = await serve(t);
  for (const [alias, why] of BAD_ALIASES) {
    const c = await raw(t, port);
    c.send(alias);
    assert.equal(textErrorCode(await aliasReply(c)), 'bad_alias', why);
    c.send('/nick Fine');
    assert.match(await aliasReply(c), /^\* Welcome, Fine!/u, why);
    c.close();
    // Wait until the alias is free again before the next round takes it.
    await c.waitClosed();
  }
});

test('JSON mode: bad names get bad_alias (an all-blank name too), and a retry works', async (t) => {
  const { port } = await serve(t);
  for (const [name, why] of [...BAD_ALIASES, ['   ', 'empty after trim'] as [string, string]]) {
    const c = await raw(t, port);
    c.sendJson({ type: 'hello', version: 1, name });
    await expectJsonError(c, 'bad_alias');
    c.sendJson({ type: 'hello', version: 1, name: 'Fine' });
    const welcome = await c.nextJson();
    assert.equal(welcome.type, 'welcome', why);
    assert.equal(welcome.name, 'Fine');
    c.close();
    await c.waitClosed();
  }
});

test('a blank line before the alias is ignored, not refused', async (t) => {
  const { port } = await serve(t);
  const c = await raw(t, port);
  c.send('');
  c.send('   \t ');
  c.send('Alice');
  assert.match(await aliasReply(c), /^\* Welcome, Alice!/u);
});

test('alias_taken compares case-insensitively and after NFKC, in both modes', async (t) => {
  const { port } = await serve(t);
  await textUser(t, port, 'Alice');
  for (const alias of ['alice', 'ALICE', 'Ａlice']) {
    const c = await raw(t, port);
    c.send(alias);
    assert.equal(textErrorCode(await aliasReply(c)), 'alias_taken', alias);
    c.send('/nick Alicia');
    assert.match(await aliasReply(c), /^\* Welcome, Alicia!/u);
    c.close();
    await c.waitClosed();

    const j = await raw(t, port);
    j.sendJson({ type: 'hello', version: 1, name: alias });
    await expectJsonError(j, 'alias_taken');
    j.close();
  }
});

test('NFKC: a fullwidth alias is shown in its normal form', async (t) => {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  const c = await raw(t, port);
  c.send('Ｂｏｂ');
  assert.match(await aliasReply(c), /^\* Welcome, Bob!/u);
  assert.equal(await alice.next(), '* Bob joined #lobby');
  c.send('hi');
  assert.match(await alice.next(), stamped('<Bob> hi'));
});

test('text mode: the third refusal is final: an error line, then the connection closes', async (t) => {
  const { port } = await serve(t);
  const c = await raw(t, port);
  c.send('admin');
  assert.equal(textErrorCode(await aliasReply(c)), 'bad_alias');
  c.send('_x');
  assert.equal(textErrorCode(await c.next()), 'bad_alias');
  c.send('a b');
  assert.equal(textErrorCode(await c.next()), 'bad_alias');
  await c.waitClosed();
  assert.deepEqual(c.unread(), []);
});

test('JSON mode: the third refusal is final too', async (t) => {
  const { port } = await serve(t);
  await textUser(t, port, 'Alice');
  const c = await raw(t, port);
  c.sendJson({ type: 'hello', version: 1, name: 'alice' });
  await expectJsonError(c, 'alias_taken');
  c.sendJson({ type: 'hello', version: 1, name: 'root' });
  await expectJsonError(c, 'bad_alias');
  c.sendJson({ type: 'hello', version: 1, name: '' });
  await expectJsonError(c, 'bad_alias');
  await c.waitClosed();
});

test('JSON mode: a malformed hello is bad_request and may be retried', async (t) => {
  const { port } = await serve(t);
  const c = await raw(t, port);
  c.send('{"type":"hello",');
  await expectJsonError(c, 'bad_request');
  c.sendJson({ type: 'say', text: 'hi' });
  await expectJsonError(c, 'bad_request');
  c.sendJson({ type: 'hello', version: 1, name: 'Bot' });
  assert.equal((await c.nextJson()).type, 'welcome');
});

test('JSON mode: a hello with name of the wrong type or an unknown version is bad_request', async (t) => {
  const { port } = await serve(t);
  const c = await raw(t, port);
  c.sendJson({ type: 'hello', version: 1, name: 42 });
  await expectJsonError(c, 'bad_request');
  c.sendJson({ type: 'hello', version: 2, name: 'Bot' });
  await expectJsonError(c, 'bad_request');
});

test('handshake timeout: no alias in time → a final timeout error, then close', async (t) => {
  const { port } = await serve(t, { handshakeTimeout: 1 });
  const c = await raw(t, port);
  const line = await c.waitFor((l) => l.startsWith('! '), 3000);
  assert.equal(textErrorCode(line), 'timeout');
  await c.waitClosed();
});

test('handshake timeout also ends a connection that only sent refused aliases', async (t) => {
  const { port } = await serve(t, { handshakeTimeout: 1 });
  const c = await raw(t, port);
  c.send('admin');
  assert.equal(textErrorCode(await aliasReply(c)), 'bad_alias');
  assert.equal(textErrorCode(await c.next(3000)), 'timeout');
  await c.waitClosed();
});

test('a connection that completed its handshake is not timed out', async (t) => {
  const { port } = await serve(t, { handshakeTimeout: 1 });
  const alice = await textUser(t, port, 'Alice');
  // A connection opened after Alice's handshake times out after hers would have.
  const idle = await raw(t, port);
  assert.equal(textErrorCode(await idle.waitFor((l) => l.startsWith('! '), 3000)), 'timeout');
  await textFence(alice);
  const bob = await textUser(t, port, 'Bob');
  assert.equal(await alice.next(), '* Bob joined #lobby');
  bob.send('still here?');
  assert.match(await alice.next(), stamped('<Bob> still here?'));
});

test('/quit before login (at the alias or the password prompt) leaves: "* Bye", no wrong password counted', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Alice', 'alices long password');
  const atPassword = await raw(t, server.port);
  atPassword.send('Alice');
  await atPassword.waitFor((l) => l.startsWith('* Alice is registered'));
  atPassword.send('/quit');
  assert.equal(await atPassword.waitFor((l) => l.startsWith('* ') || l.startsWith('! ')), '* Bye');
  await atPassword.waitClosed();
  assert.equal(
    atPassword.lines.some((l) => l.includes('auth_failed')),
    false,
    atPassword.lines.join('\n'),
  );

  const atAlias = await raw(t, server.port);
  atAlias.send('/QUIT see you');
  assert.equal(await atAlias.waitFor((l) => l === '* Bye' || l.startsWith('! ')), '* Bye');
  await atAlias.waitClosed();
});
