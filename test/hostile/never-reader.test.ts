/**
 * Issue 5 item 7, docs/protocol.md §6 "Slow readers": a client that never reads
 * while output for it piles up is disconnected once its unsent output passes
 * `--max-queued-bytes`; the server's memory stays bounded and the others,
 * who read, receive every message meanwhile. Two shapes of the attack: a
 * never-reader in a room someone floods, and a never-reader that floods
 * itself by asking for big replies (`history`) it never reads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attackerAddress, connectFrom, startBench, type Json } from '../helpers/hostile.js';
import { stopReading } from '../helpers/fixtures.js';
import type { LineClient } from '../helpers/line-client.js';
import type { ServerProcess } from '../helpers/server-process.js';

/** Whether the server logs a line containing `text` within `ms`. */
async function logged(server: ServerProcess, text: string, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!server.log.some((l) => l.includes(text))) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      server.child.stdout?.once('data', () => {
        clearTimeout(timer);
        setImmediate(resolve);
      });
    });
  }
  return true;
}

const MAX_QUEUED = 262_144;
/** The flood stops here whatever happens (bounded). */
const MAX_FLOOD_BYTES = 96 * 1024 * 1024;
const WAIT_MS = 15_000;

/** Resolves with the watcher's `quit` event for `user` (the watcher is Watcher1, a JSON client). */
function quitOf(watcher: LineClient, user: string): () => Json | undefined {
  let cursor = 0;
  let found: Json | undefined;
  return () => {
    for (; !found && cursor < watcher.lines.length; cursor++) {
      const line = watcher.lines[cursor]!;
      if (!line.includes('"event":"quit"')) continue;
      const o = JSON.parse(line) as Json;
      if (o.user === user) found = o;
    }
    return found;
  };
}

test('a never-reader in a flooded room is disconnected at --max-queued-bytes', async (t) => {
  const bench = await startBench(t, { args: ['--max-queued-bytes', String(MAX_QUEUED)] });
  const sloth = await connectFrom(bench.port, attackerAddress(1));
  t.after(() => sloth.close());
  sloth.sendJson({ type: 'hello', version: 1, name: 'Sloth', history: 0 });
  await sloth.waitForJson((o) => o.type === 'welcome');
  stopReading(sloth);
  const flood = await connectFrom(bench.port, attackerAddress(2));
  t.after(() => flood.close());
  flood.send('Flood');
  await flood.waitFor((l) => l.startsWith('* Welcome'));

  const json = await connectFrom(bench.port, '127.0.0.1');
  t.after(() => json.close());
  json.sendJson({ type: 'hello', version: 1, name: 'Witness', history: 0 });
  await json.waitForJson((o) => o.type === 'welcome');
  const slothQuit = quitOf(json, 'Sloth');

  const line = 'f'.repeat(4000);
  let bytes = 0;
  let rounds = 0;
  while (!slothQuit() && bytes < MAX_FLOOD_BYTES) {
    rounds++;
    const batch = Array.from({ length: 16 }, (_, i) => `${rounds}.${i} ${line}\n`).join('');
    flood.sendRaw(batch + `/away r${rounds}\n`);
    bytes += batch.length;
    await flood.waitFor((l) => l === `* You are marked away: r${rounds}`, WAIT_MS);
    // The witness reads as it goes, so the flood never outruns the readers.
    if (!slothQuit()) {
      await json.waitFor(
        (l) => l.includes(`"text":"${rounds}.15 `) || slothQuit() !== undefined,
        WAIT_MS,
      );
    }
  }
  const quit = slothQuit();
  assert.ok(quit, `Sloth was never disconnected after ${bytes} bytes of flood`);
  assert.equal(quit.reason, 'connection lost');
  assert.ok(!flood.closed, 'the flooder, who reads, is still connected');
  // The log travels on another pipe than the quit line: wait for it, bounded.
  assert.ok(await logged(bench.server, 'slow reader disconnected'), 'the server logged why');
  await bench.finish(t, 'never-reader in a flooded room', {
    'flood before the disconnect (MiB)': (bytes / 1048576).toFixed(1),
  });
});

test('a never-reader asking for big replies it never reads is disconnected', async (t) => {
  const bench = await startBench(t, { args: ['--max-queued-bytes', String(MAX_QUEUED)] });
  // A room with big messages in its history.
  const writer = await connectFrom(bench.port, attackerAddress(3));
  t.after(() => writer.close());
  writer.sendJson({ type: 'hello', version: 1, name: 'Writer', history: 0 });
  await writer.waitForJson((o) => o.type === 'welcome');
  writer.sendJson({ type: 'join', id: 'j', room: '#big' });
  await writer.waitForJson((o) => o.id === 'j');
  const text = 'h'.repeat(8000);
  for (let i = 0; i < 200; i++) writer.sendJson({ type: 'say', id: `b${i}`, room: '#big', text });
  await writer.waitForJson((o) => o.id === 'b199', WAIT_MS);

  const leech = await connectFrom(bench.port, attackerAddress(4));
  t.after(() => leech.close());
  leech.sendJson({ type: 'hello', version: 1, name: 'Leech', history: 0 });
  await leech.waitForJson((o) => o.type === 'welcome');
  leech.sendJson({ type: 'join', id: 'j', room: '#big' });
  await leech.waitForJson((o) => o.id === 'j');
  leech.sendJson({ type: 'history', id: 'h', room: '#big', limit: 500 });
  const first = await leech.waitForJson((o) => o.id === 'h', WAIT_MS);
  assert.equal((first.messages as unknown[]).length, 200, 'a reply is 200 messages of 8 kB');
  stopReading(leech);
  const witness = await connectFrom(bench.port, '127.0.0.1');
  t.after(() => witness.close());
  witness.sendJson({ type: 'hello', version: 1, name: 'Witness', history: 0 });
  await witness.waitForJson((o) => o.type === 'welcome');
  const leechQuit = quitOf(witness, 'Leech');

  // Each reply is ~1.6 MB; a few hundred unread ones would be half a gigabyte.
  const request = JSON.stringify({ type: 'history', room: '#big', limit: 500 }) + '\n';
  let requests = 0;
  while (!leechQuit() && requests < 400) {
    for (let i = 0; i < 10; i++) leech.sendRaw(request);
    requests += 10;
    witness.sendJson({ type: 'ping', id: `p${requests}` });
    await witness.waitForJson((o) => o.id === `p${requests}` || leechQuit() !== undefined, WAIT_MS);
  }
  if (!leechQuit()) await witness.waitFor(() => leechQuit() !== undefined, WAIT_MS);
  assert.equal(leechQuit()?.reason, 'connection lost');
  await bench.finish(t, 'never-reader asking for big replies', { 'history requests': requests });
});
