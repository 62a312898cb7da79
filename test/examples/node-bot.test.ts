/**
 * The Node bot in examples/ (on the `chat/client` library) against a real
 * chat-server process: it answers `!ping`, and across a server restart it
 * neither misses a ping (one sent while it is still away is answered after
 * its resume) nor answers one twice.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { freePort, spawnServer, tempDir } from '../helpers/server-process.js';

const BOT = resolve(import.meta.dirname, '../../../examples/node-bot.mjs');

type Json = Record<string, unknown>;

/** Resolve once `name` is in #lobby: a `who` answers now, or its join event comes later. */
async function waitOnline(c: LineClient, name: string): Promise<void> {
  c.sendJson({ type: 'who', id: 'w', room: '#lobby' });
  const reply = await c.waitForJson((o) => o.id === 'w');
  const users = (reply.users as Array<{ name: string }> | undefined) ?? [];
  if (users.some((u) => u.name === name)) return;
  // Events after the reply are later than it: the join cannot slip between.
  await c.waitForJson((o) => o.type === 'system' && o.event === 'join' && o.user === name, 10_000);
}

async function ping(c: LineClient, id: string): Promise<Json> {
  c.sendJson({ type: 'say', id, room: '#lobby', text: '!ping' });
  const ack = await c.waitForJson((o) => o.id === id);
  assert.equal(ack.type, 'ack');
  return c.waitForJson((o) => o.type === 'message' && o.from === 'nodebot', 15_000);
}

test('node example bot answers !ping, misses none across a server restart and answers none twice', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const port = await freePort();
  let server = await spawnServer(t, { db, port });
  const bot = spawn(process.execPath, [BOT, '--port', String(port), '--name', 'nodebot'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const botLog: string[] = [];
  bot.stderr.setEncoding('utf8').on('data', (s: string) => botLog.push(s));
  const botExit = new Promise((r) => bot.once('exit', r));
  t.after(async () => {
    if (bot.exitCode === null) bot.kill('SIGTERM');
    await botExit;
  });

  let alice = await LineClient.json(port, 'alice', { history: 0 });
  await waitOnline(alice, 'nodebot');
  const first = await ping(alice, 'p1');
  assert.equal(first.text, 'pong', `bot log:\n${botLog.join('')}`);
  alice.close();

  assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null });
  server = await spawnServer(t, { db, port });
  alice = await LineClient.json(port, 'alice', { history: 0 });
  t.after(() => alice.close());
  // No wait for the bot: this ping usually lands while it is still backing
  // off, and it must come with the bot's resume; if the bot is back already
  // it is answered live. Either way, once.
  const second = await ping(alice, 'p2');
  assert.equal(second.text, 'pong');
  assert.ok((second.seq as number) > (first.seq as number));
  await waitOnline(alice, 'nodebot');

  // Exactly two pongs in the whole history: the replayed ping was not answered again.
  alice.sendJson({ type: 'history', id: 'h', room: '#lobby', limit: 50 });
  const history = await alice.waitForJson((o) => o.id === 'h');
  const pongs = (history.messages as Json[]).filter((m) => m.from === 'nodebot');
  assert.equal(pongs.length, 2, `bot log:\n${botLog.join('')}`);
});
