/**
 * The Node bot in examples/ (on the `chat/client` library) against a real
 * chat-server process: it answers `!ping`, and across a server restart it
 * neither misses a ping (one sent while it is still away is answered after
 * its resume) nor answers one twice.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { countMessagesFrom, ping, startBot, waitOnline } from '../helpers/bots.js';
import { LineClient } from '../helpers/line-client.js';
import { freePort, spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/env.js';

const BOT = resolve(import.meta.dirname, '../../../examples/node-bot.mjs');

test('node example bot answers !ping, misses none across a server restart and answers none twice', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const port = await freePort();
  let server = await spawnServer(t, { db, port });
  const bot = startBot(t, process.execPath, [BOT, '--port', String(port), '--name', 'nodebot']);

  let alice = await LineClient.json(port, 'alice', { history: 0 });
  await waitOnline(alice, 'nodebot');
  const first = await ping(alice, 'p1', 'nodebot');
  assert.equal(first.text, 'pong', `bot log:\n${bot.log.join('')}`);
  alice.close();

  assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null });
  server = await spawnServer(t, { db, port });
  alice = await LineClient.json(port, 'alice', { history: 0 });
  t.after(() => alice.close());
  // No wait for the bot: this ping usually lands while it is still backing
  // off, and it must come with the bot's resume; if the bot is back already
  // it is answered live. Either way, once.
  const second = await ping(alice, 'p2', 'nodebot');
  assert.equal(second.text, 'pong');
  assert.ok((second.seq as number) > (first.seq as number));
  await waitOnline(alice, 'nodebot');

  // Exactly two pongs in the whole history: the replayed ping was not answered again.
  assert.equal(await countMessagesFrom(alice, 'nodebot'), 2, `bot log:\n${bot.log.join('')}`);
});
