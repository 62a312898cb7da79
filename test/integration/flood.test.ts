/**
 * docs/protocol.md §6 flood control through real sockets: a paste arrives whole
 * (delayed, not cut), excess beyond the queue is refused with rate_limited and
 * retryAfterMs, and sustained flooding disconnects. The rate is raised from
 * the default 5/s so the queue drains in a fraction of a second; the bucket's
 * arithmetic itself is unit-tested with a fake clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  jsonUser,
  serve,
  stamped,
  textErrorCode,
  textFence,
  textUser,
} from '../helpers/fixtures.js';

const RATE = { rateBurst: 10, ratePerSecond: 100, rateQueue: 20 };

test('a paste of 30 lines from a raw text socket arrives whole and in order', async (t) => {
  const { port } = await serve(t, RATE);
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  await alice.waitFor((l) => l === '* Bob joined #lobby');
  const paste = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
  bob.sendRaw(paste.map((l) => l + '\n').join(''));
  for (const line of paste) assert.match(await alice.next(), stamped(`<Bob> ${line}`));
  // Nothing was refused.
  await textFence(bob);
});

test('beyond the queue: rate_limited with retryAfterMs, each id answered once; ping is not counted', async (t) => {
  const { port } = await serve(t, RATE);
  const bot = await jsonUser(t, port, 'Bot');
  const n = 40;
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ type: 'say', id: `s${i}`, text: `m${i}` }),
  );
  bot.sendRaw([...lines, JSON.stringify({ type: 'ping', id: 'p' })].map((l) => l + '\n').join(''));

  const replies = new Map<string, Record<string, unknown>[]>();
  let pongBeforeLastAck = false;
  while ([...replies.keys()].filter((k) => k !== 'p').length < n) {
    const o = await bot.nextJson(3000);
    const id = o.id as string;
    replies.set(id, [...(replies.get(id) ?? []), o]);
    if (id === 'p' && [...replies.keys()].length < n + 1) pongBeforeLastAck = true;
  }
  if (!replies.has('p')) replies.set('p', [await bot.nextJson()]);
  assert.deepEqual(replies.get('p'), [{ type: 'pong', id: 'p' }]);
  assert.ok(pongBeforeLastAck, 'a ping skips the queue');

  const acks: number[] = [];
  const refused: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const r = replies.get(`s${i}`) ?? [];
    assert.equal(r.length, 1, `s${i}: ${JSON.stringify(r)}`);
    if (r[0]!.type === 'ack') acks.push(i);
    else refused.push(r[0]!);
  }
  assert.ok(acks.length >= 30, `the burst and the queue were carried out (${acks.length})`);
  assert.ok(refused.length >= 1, 'some were refused');
  for (const e of refused) {
    assert.equal(e.code, 'rate_limited');
    assert.equal(typeof e.retryAfterMs, 'number');
    assert.ok((e.retryAfterMs as number) >= 0);
  }
  // Carried out in the order sent.
  assert.deepEqual(
    acks.slice(0, 30),
    Array.from({ length: 30 }, (_, i) => i),
  );
});

test('sustained flooding closes the connection with a final rate_limited', async (t) => {
  const { port } = await serve(t, RATE);
  const alice = await textUser(t, port, 'Alice');
  const flood = await textUser(t, port, 'Flood');
  await alice.waitFor((l) => l === '* Flood joined #lobby');
  flood.sendRaw(Array.from({ length: 200 }, (_, i) => `spam ${i}\n`).join(''));
  await flood.waitClosed();
  const errors = flood.lines.filter((l) => l.startsWith('! '));
  assert.ok(errors.length >= 1);
  for (const e of errors) assert.equal(textErrorCode(e), 'rate_limited', e);
  await alice.waitFor((l) => /^\* Flood quit\b/u.test(l));
});
