/**
 * The standard-library Python bot in examples/ against a real chat-server
 * process: it answers `!ping`, survives a server restart (resuming from the
 * last seq it handled), and answers no ping twice.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { countMessagesFrom, ping, startBot, waitOnline } from '../helpers/bots.js';
import { LineClient } from '../helpers/line-client.js';
import { freePort, spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/env.js';

const BOT = resolve(import.meta.dirname, '../../../examples/python-bot.py');
const hasPython = spawnSync('python3', ['--version']).status === 0;

test(
  'python example bot answers !ping, and after a server restart answers only the new one',
  {
    skip: !hasPython && process.env.CI !== 'true' ? 'python3 is not installed' : false,
  },
  async (t) => {
    const db = join(tempDir(t), 'chat.db');
    const port = await freePort();
    let server = await spawnServer(t, { db, port });
    const bot = startBot(t, 'python3', [BOT, '--port', String(port), '--name', 'pybot']);

    let alice = await LineClient.json(port, 'alice', { history: 0 });
    await waitOnline(alice, 'pybot');
    const first = await ping(alice, 'p1', 'pybot');
    assert.equal(first.text, 'pong');
    alice.close();

    assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null });
    server = await spawnServer(t, { db, port });
    alice = await LineClient.json(port, 'alice', { history: 0 });
    t.after(() => alice.close());
    await waitOnline(alice, 'pybot');
    const second = await ping(alice, 'p2', 'pybot');
    assert.equal(second.text, 'pong');
    assert.ok((second.seq as number) > (first.seq as number));

    // Exactly two pongs in the whole history: the replayed ping was not answered again.
    assert.equal(await countMessagesFrom(alice, 'pybot'), 2, `bot log:\n${bot.log.join('')}`);
  },
);
