/**
 * Heartbeat (docs/protocol.md §4): the server pings a silent JSON client after
 * `heartbeat` seconds and closes it after two more intervals of silence.
 * The real-time smoke test (a 1 s heartbeat); the timings, a client that
 * answers and text mode's silence are tested on mocked time in timers.test.ts.
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
