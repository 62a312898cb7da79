/**
 * The harness of the example-bot tests (test/examples): run a bot program
 * against a server, wait for it in #lobby, ping it, and count its answers in
 * the stored history.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { cleanEnv } from './env.js';
import type { LineClient } from './line-client.js';

type Json = Record<string, unknown>;

/** A running bot: what it wrote to stderr, for failure messages. */
export interface Bot {
  readonly log: string[];
}

/** Start `command args…` as a bot; stopped with SIGTERM when the test ends. */
export function startBot(t: TestContext, command: string, args: string[]): Bot {
  const bot = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: cleanEnv() });
  const log: string[] = [];
  bot.stderr.setEncoding('utf8').on('data', (s: string) => log.push(s));
  const exited = new Promise((resolve) => bot.once('exit', resolve));
  t.after(async () => {
    if (bot.exitCode === null) bot.kill('SIGTERM');
    await exited;
  });
  return { log };
}

/** Resolve once `name` is in #lobby: a `who` answers now, or its join event comes later. */
export async function waitOnline(c: LineClient, name: string): Promise<void> {
  c.sendJson({ type: 'who', id: 'w', room: '#lobby' });
  const reply = await c.waitForJson((o) => o.id === 'w');
  const users = (reply.users as Array<{ name: string }> | undefined) ?? [];
  if (users.some((u) => u.name === name)) return;
  // Events after the reply are later than it: the join cannot slip between.
  await c.waitForJson((o) => o.type === 'system' && o.event === 'join' && o.user === name, 10_000);
}

/** Say `!ping` in #lobby (request id `id`) and return the bot's next message. */
export async function ping(
  c: LineClient,
  id: string,
  bot: string,
  timeoutMs = 15_000,
): Promise<Json> {
  c.sendJson({ type: 'say', id, room: '#lobby', text: '!ping' });
  const ack = await c.waitForJson((o) => o.id === id);
  assert.equal(ack.type, 'ack');
  return c.waitForJson((o) => o.type === 'message' && o.from === bot, timeoutMs);
}

/** How many messages `bot` has in the last 50 of #lobby's history. */
export async function countMessagesFrom(c: LineClient, bot: string): Promise<number> {
  c.sendJson({ type: 'history', id: 'h', room: '#lobby', limit: 50 });
  const history = await c.waitForJson((o) => o.id === 'h');
  return (history.messages as Json[]).filter((m) => m.from === bot).length;
}
