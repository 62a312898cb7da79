/**
 * docs/protocol.md §6 "Slow readers": a connection that stops reading is cut off
 * once its unsent output passes maxQueuedBytes, and nobody else is slowed or
 * loses a message meanwhile. A reader that does read is never cut off.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LineClient } from '../helpers/line-client.js';
import { jsonUser, serve, stopReading, textUser } from '../helpers/fixtures.js';

const LINE = 'x'.repeat(1000);
/** Lines per round: what the watcher gets in one server turn stays under the limit. */
const BATCH = 32;
/** Far more than the kernel buffers of a reader that never read can hold. */
const MAX_ROUNDS = 2000;

for (const mode of ['text', 'json'] as const) {
  test(`a ${mode} reader that never reads is disconnected; the others keep receiving every message`, async (t) => {
    const { port } = await serve(t, { maxQueuedBytes: 65536 });
    const watcher = await jsonUser(t, port, 'Watcher');
    const slow: LineClient =
      mode === 'text' ? await textUser(t, port, 'Slow') : await jsonUser(t, port, 'Slow');
    const flood = await textUser(t, port, 'Flood');
    await watcher.waitForJson((o) => o.event === 'join' && o.user === 'Flood');
    stopReading(slow);

    let sent = 0;
    let received = 0;
    let lastSeq = 0;
    let quit: Record<string, unknown> | undefined;
    for (let round = 0; round < MAX_ROUNDS && !quit; round++) {
      flood.sendRaw(Array.from({ length: BATCH }, () => `${++sent} ${LINE}\n`).join(''));
      while (received < sent) {
        const o = await watcher.nextJson();
        if (o.type === 'system' && o.event === 'quit') {
          quit = o;
          continue;
        }
        assert.equal(o.type, 'message', JSON.stringify(o).slice(0, 200));
        received++;
        assert.equal(o.text, `${received} ${LINE}`, 'every message, in order');
        assert.equal(o.seq, lastSeq + 1, 'no gap in seq');
        lastSeq = o.seq as number;
      }
    }
    assert.ok(quit, `Slow was never disconnected after ${sent} messages`);
    assert.equal(quit.user, 'Slow');
    // The flooder, who reads, is still here.
    flood.send('/who');
    assert.equal(
      await flood.waitFor((l) => l.startsWith('* 2 users')),
      '* 2 users in #lobby: Flood, Watcher',
    );
    t.diagnostic(`Slow disconnected after ${sent} messages of ~1 kB`);
  });
}

test('a reader that reads gets a /history reply larger than maxQueuedBytes whole', async (t) => {
  // Default limits: --max-queued-bytes 4 MiB, lines up to 16 KiB, /history up to 500.
  const { port } = await serve(t);
  const writer = await jsonUser(t, port, 'Writer');
  const big = 'y'.repeat(15000);
  const n = 300;
  for (let i = 0; i < n; i++) writer.sendJson({ type: 'say', id: `w${i}`, text: `${i} ${big}` });
  for (let acks = 0; acks < n;) if ((await writer.nextJson()).type === 'ack') acks++;

  const reader = await jsonUser(t, port, 'Reader', { history: 0 });
  reader.sendJson({ type: 'history', id: 'h', limit: n });
  const line = await reader.next();
  let reply: Record<string, unknown>;
  try {
    reply = JSON.parse(line) as Record<string, unknown>;
  } catch {
    assert.fail(
      `the reply was cut after ${line.length} bytes (connection closed: ${reader.closed})`,
    );
  }
  assert.ok(
    line.length > 4 * 1024 * 1024,
    `the reply must exceed 4 MiB; it has ${line.length} bytes`,
  );
  assert.equal(reply.id, 'h');
  assert.equal((reply.messages as unknown[]).length, n);
  reader.sendJson({ type: 'ping', id: 'after' });
  assert.deepEqual(await reader.nextJson(), { type: 'pong', id: 'after' });
});

test('a reader that keeps up is not cut off by a burst larger than maxQueuedBytes', async (t) => {
  const { port } = await serve(t, { maxQueuedBytes: 65536 });
  const watcher = await jsonUser(t, port, 'Watcher');
  const flood = await textUser(t, port, 'Flood');
  await watcher.waitForJson((o) => o.event === 'join' && o.user === 'Flood');
  // 300 kB in one write: the server reads it in chunks of up to 64 kB, each of
  // which fans out to the watcher in one turn.
  const n = 300;
  flood.sendRaw(Array.from({ length: n }, (_, i) => `${i + 1} ${LINE}\n`).join(''));
  for (let i = 1; i <= n; i++) {
    const o = await watcher.nextJson();
    assert.equal(o.type, 'message', JSON.stringify(o).slice(0, 200));
    assert.equal(o.text, `${i} ${LINE}`);
  }
  watcher.sendJson({ type: 'ping', id: 'after' });
  assert.deepEqual(await watcher.nextJson(), { type: 'pong', id: 'after' });
});
