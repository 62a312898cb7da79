/**
 * Issue 16 item 7 (docs/protocol.md §6): small requests must not buy big
 * replies or unbounded state. A topic holds at most `--max-topic-bytes`
 * (every /rooms reply carries every topic), and one connection is in at most
 * `--max-rooms-per-user` rooms, also when one `hello.resume` names a thousand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectJsonError, jsonUser, raw, serve } from '../helpers/fixtures.js';

test('a topic over --max-topic-bytes is too_large and not set', async (t) => {
  const { port } = await serve(t, { maxTopicBytes: 10 });
  const c = await jsonUser(t, port, 'Topper', { history: 0 });
  c.sendJson({ type: 'topic', id: 't1', text: 'é'.repeat(6) }); // 12 bytes
  await expectJsonError(c, 'too_large', 't1');
  c.sendJson({ type: 'topic', id: 't2', text: 'é'.repeat(5) });
  const ack = await c.waitForJson((o) => o.id === 't2');
  assert.equal(ack.text, 'ééééé');
});

test('joins past --max-rooms-per-user are refused, and a hello cannot create a thousand rooms', async (t) => {
  const server = await serve(t, { maxRoomsPerUser: 3 });
  const { port } = server;
  const c = await jsonUser(t, port, 'Joiner', { history: 0 });
  c.sendJson({ type: 'join', id: 'j1', room: '#a' });
  c.sendJson({ type: 'join', id: 'j2', room: '#b' });
  await c.waitForJson((o) => o.id === 'j2');
  c.sendJson({ type: 'join', id: 'j3', room: '#c' });
  const refused = await c.waitForJson((o) => o.id === 'j3');
  assert.equal(refused.code, 'too_large', JSON.stringify(refused));

  const resume: Record<string, number> = {};
  for (let i = 0; i < 1000; i++) resume[`#r${i}`] = 0;
  const r = await raw(t, port);
  r.sendJson({ type: 'hello', version: 1, name: 'Resumer', resume, history: 0 });
  const welcome = await r.waitForJson((o) => o.type === 'welcome');
  assert.equal((welcome.rooms as string[]).length, 3);
  // #lobby, #a, #b and three resumed rooms: nowhere near a thousand.
  assert.equal(server.app.chat.rooms.size, 6);
});
