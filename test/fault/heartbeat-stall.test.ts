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

test('a lone server stopped for longer than its lease keeps every session (no --redis: nobody else can take an alias)', async (t) => {
  // Before, the first lease renewal after the stop ended every session with
  // "This server lost its shared store", a cluster-only failure.
  const server = await spawnServer(t, { db: ':memory:', args: ['--lease-seconds', '1'] });
  const ann = await LineClient.json(server.port, 'Ann');
  const bob = await LineClient.json(server.port, 'Bob');
  t.after(() => [ann, bob].forEach((c) => c.close()));
  await ann.waitForJson((m) => m.type === 'system' && m.event === 'join' && m.user === 'Bob');
  process.kill(server.pid, 'SIGSTOP');
  // The stall is the input of this test, not a wait for a result.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  process.kill(server.pid, 'SIGCONT');
  // Overdue timers run before the server reads this line (libuv runs timers
  // first), so a drop would come before the ack.
  bob.sendJson({ type: 'say', id: 's1', text: 'still here' });
  const answer = await bob.waitForJson((m) => m.id === 's1' || m.type === 'error');
  assert.equal(answer.type, 'ack', JSON.stringify(answer));
  const got = await ann.waitForJson((m) => m.type === 'message' || m.type === 'error');
  assert.equal(got.text, 'still here', JSON.stringify(got));
  // And after a renewal period more, both are still in.
  ann.sendJson({ type: 'say', id: 'a1', text: 'me too' });
  assert.equal((await ann.waitForJson((m) => m.id === 'a1')).type, 'ack');
  assert.equal((await bob.waitForJson((m) => m.type === 'message')).text, 'me too');
  assert.equal(ann.closed || bob.closed, false);
});
