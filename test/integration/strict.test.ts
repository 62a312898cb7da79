/**
 * Issue 17 item 3 (docs/protocol.md §4): requests are strict and
 * predictable. An unknown key is `bad_request` naming the key (a typo such as
 * `histroy` must not silently mean "the default"), and `join` takes
 * `history` like `hello` (0 for bots).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectJsonError, jsonUser, raw, serve } from '../helpers/fixtures.js';

test('an unknown key is bad_request naming it, in hello and in requests', async (t) => {
  const { port } = await serve(t);
  const c = await raw(t, port);
  c.sendJson({ type: 'hello', version: 1, name: 'Typo', histroy: 0 });
  const e = await expectJsonError(c, 'bad_request');
  assert.match(String(e.message), /histroy/u);
  const bot = await jsonUser(t, port, 'Bot', { history: 0 });
  bot.sendJson({ type: 'join', id: 'j', room: '#x', histroy: 0 });
  const j = await expectJsonError(bot, 'bad_request', 'j');
  assert.match(String(j.message), /histroy/u);
  bot.sendJson({ type: 'say', id: 's', text: 'hi', romo: '#x' });
  assert.match(String((await expectJsonError(bot, 'bad_request', 's')).message), /romo/u);
});

test('join with history: 0 replays nothing; without it, the recent messages', async (t) => {
  const { port } = await serve(t);
  const alice = await jsonUser(t, port, 'Alice', { history: 0 });
  alice.sendJson({ type: 'join', id: 'j0', room: '#builds' });
  await alice.waitForJson((o) => o.type === 'history' && o.room === '#builds');
  for (let i = 1; i <= 3; i++)
    alice.sendJson({ type: 'say', id: `s${i}`, room: '#builds', text: `m${i}` });
  await alice.waitForJson((o) => o.type === 'ack' && o.id === 's3');

  const bot = await jsonUser(t, port, 'Bot', { history: 0 });
  bot.sendJson({ type: 'join', id: 'j1', room: '#builds', history: 0 });
  const none = await bot.waitForJson((o) => o.type === 'history' && o.room === '#builds');
  assert.deepEqual(none.messages, []);
  const person = await jsonUser(t, port, 'Person', { history: 0 });
  person.sendJson({ type: 'join', id: 'j2', room: '#builds', history: 2 });
  const two = await person.waitForJson((o) => o.type === 'history' && o.room === '#builds');
  assert.deepEqual(
    (two.messages as Array<{ text: string }>).map((m) => m.text),
    ['m2', 'm3'],
  );
});
