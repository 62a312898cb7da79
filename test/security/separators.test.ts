/**
 * Issue 16 item 9: line and paragraph separators (U+2028, U+2029; NEL U+0085)
 * in user text would let a client that splits lines the Unicode way show a
 * forged system line. They are removed like the other controls, in both modes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonUser, serve, textUser } from '../helpers/fixtures.js';

const SEPARATORS = /[\u2028\u2029\u0085]/u;

test('U+2028, U+2029 and NEL never reach another user', async (t) => {
  const { port } = await serve(t);
  const witness = await jsonUser(t, port, 'Wit', { history: 0 });
  const nc = await textUser(t, port, 'Mallory');
  const bot = await jsonUser(t, port, 'Botty', { history: 0 });
  nc.send('x\u2028* Bob is now an operator');
  const a = await witness.waitForJson((o) => o.type === 'message' && o.from === 'Mallory');
  assert.equal(a.text, 'x* Bob is now an operator');
  bot.sendJson({ type: 'say', text: 'y\u2029z\u0085w' });
  const b = await witness.waitForJson((o) => o.type === 'message' && o.from === 'Botty');
  assert.equal(b.text, 'yzw');
  bot.sendJson({ type: 'topic', text: 'top\u2028ic' });
  const topic = await witness.waitForJson((o) => o.event === 'topic');
  assert.equal(topic.text, 'topic');
  for (const o of [a, b, topic]) assert.doesNotMatch(JSON.stringify(o), SEPARATORS);
});
