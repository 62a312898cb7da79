/**
 * Heartbeat (docs/protocol.md §4): the server pings a silent JSON client after
 * `heartbeat` seconds and closes it after two more intervals of silence;
 * a client that answers stays. Real time, with a 1 s heartbeat.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonUser, serve, textUser } from '../helpers/fixtures.js';

test('a silent JSON client is pinged, then timed out; the others see it leave', async (t) => {
  const { port } = await serve(t, { heartbeat: 1 });
  const watcher = await textUser(t, port, 'Watcher');
  const quiet = await jsonUser(t, port, 'Quiet');
  const started = Date.now();
  assert.deepEqual(await quiet.waitForJson((o) => o.type === 'ping', 3000), { type: 'ping' });
  const err = await quiet.waitForJson((o) => o.type === 'error', 5000);
  assert.equal(err.code, 'timeout');
  await quiet.waitClosed(2000);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 2500, `closed after ${elapsed} ms, before three intervals of silence`);
  assert.match(await watcher.waitFor((l) => l.startsWith('* Quiet quit'), 2000), /timed out/u);
});

test('a JSON client that answers pings stays connected', async (t) => {
  const { port } = await serve(t, { heartbeat: 1 });
  const lively = await jsonUser(t, port, 'Lively');
  for (let i = 0; i < 3; i++) {
    await lively.waitForJson((o) => o.type === 'ping', 3000);
    lively.sendJson({ type: 'pong' });
  }
  lively.sendJson({ type: 'ping', id: 'still' });
  assert.deepEqual(await lively.waitForJson((o) => o.type === 'pong'), {
    type: 'pong',
    id: 'still',
  });
});

test('text-mode clients get no in-band pings', async (t) => {
  const { port } = await serve(t, { heartbeat: 1 });
  const json = await jsonUser(t, port, 'J');
  const text = await textUser(t, port, 'T');
  // By the time the JSON client has been pinged twice, the text one has sat
  // silent just as long; its next line must be the reply to /who.
  await json.waitForJson((o) => o.type === 'ping', 3000);
  json.sendJson({ type: 'pong' });
  await json.waitForJson((o) => o.type === 'ping', 3000);
  text.send('/who');
  assert.match(await text.next(), /^\* 2 users in #lobby/u);
});
