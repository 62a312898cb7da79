/**
 * docs/protocol.md §4 heartbeat after a stall of the server (issue: healthy
 * clients dropped with `timeout` before they were pinged): a real
 * `chat-server` is stopped with SIGSTOP for more than three heartbeat
 * intervals, then continued; a JSON client that answers every ping must be
 * pinged again, never closed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { spawnServer } from '../helpers/server-process.js';

test('a client answering pings survives a SIGSTOP of the server of five intervals', async (t) => {
  const server = await spawnServer(t, { db: ':memory:', args: ['--heartbeat', '1'] });
  const client = await LineClient.json(server.port, 'Steady');
  t.after(() => client.close());
  const answerNextPing = async (): Promise<void> => {
    const o = await client.waitForJson((m) => m.type === 'ping' || m.type === 'error', 8000);
    assert.equal(o.type, 'ping', JSON.stringify(o));
    client.sendJson({ type: 'pong' });
  };
  await answerNextPing();
  process.kill(server.pid, 'SIGSTOP');
  // The stall is the input of this test, not a wait for a result.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  process.kill(server.pid, 'SIGCONT');
  await answerNextPing();
  await answerNextPing();
  assert.equal(client.closed, false);
});
