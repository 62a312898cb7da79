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
import { createAccount, jsonLogin } from '../helpers/security.js';

const PW = 'hunter2hunter2';

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

test('beyond the queue: rate_limited quoting the dropped line; every reply in the order sent, ping included', async (t) => {
  const { port } = await serve(t, RATE);
  const bot = await jsonUser(t, port, 'Bot');
  const n = 40;
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ type: 'say', id: `s${i}`, text: `m${i} of the burst` }),
  );
  bot.sendRaw([...lines, JSON.stringify({ type: 'ping', id: 'p' })].map((l) => l + '\n').join(''));

  // §4 "Order": one reply per request, in the order sent; the ping, never
  // counted by flood control, keeps its place behind the held lines.
  const replies: Record<string, unknown>[] = [];
  for (let i = 0; i <= n; i++) replies.push(await bot.nextJson(3000));
  assert.deepEqual(
    replies.map((r) => r.id),
    [...Array.from({ length: n }, (_, i) => `s${i}`), 'p'],
  );
  assert.deepEqual(replies[n], { type: 'pong', id: 'p' });

  const acks: number[] = [];
  const refused: number[] = [];
  replies.slice(0, n).forEach((r, i) => {
    if (r.type === 'ack') {
      acks.push(i);
      return;
    }
    refused.push(i);
    assert.equal(r.code, 'rate_limited');
    assert.equal(typeof r.retryAfterMs, 'number');
    assert.ok((r.retryAfterMs as number) >= 0);
    // §6: the refusal quotes the first words of the dropped line.
    assert.match(r.message as string, new RegExp(`"m${i} of the burst"`, 'u'));
  });
  assert.ok(acks.length >= 30, `the burst and the queue were carried out (${acks.length})`);
  assert.ok(refused.length >= 1, 'some were refused');
  assert.deepEqual(
    acks.slice(0, 30),
    Array.from({ length: 30 }, (_, i) => i),
  );
});

test('flood control never refuses /quit: lines before it are carried out, then * Bye', async (t) => {
  const { port } = await serve(t, { rateBurst: 2, ratePerSecond: 50, rateQueue: 3 });
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  await alice.waitFor((l) => l === '* Bob joined #lobby');
  // 2 now, 3 held, 3 refused; the /quit behind them is neither counted nor refused.
  bob.sendRaw(
    [...Array.from({ length: 8 }, (_, i) => `line ${i}`), '/quit done'].join('\n') + '\n',
  );
  await bob.waitClosed();
  const errors = bob.lines.filter((l) => l.startsWith('! '));
  assert.equal(errors.length, 3, bob.lines.join('\n'));
  errors.forEach((e, i) => assert.match(e, new RegExp(`"line ${5 + i}"`, 'u')));
  assert.equal(bob.lines.at(-1), '* Bye');
  for (let i = 0; i < 5; i++) assert.match(await alice.next(), stamped(`<Bob> line ${i}`));
  assert.equal(await alice.next(), '* Bob quit (done)');
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

test('a flood disconnect still answers every line taken in: each stored message its ack, then the final error', async (t) => {
  const { port } = await serve(t, RATE);
  const watcher = await jsonUser(t, port, 'Watcher');
  const bot = await jsonUser(t, port, 'Bot');
  await watcher.waitForJson((o) => o.type === 'system' && o.event === 'join' && o.user === 'Bot');
  const n = 200;
  bot.sendRaw(
    Array.from(
      { length: n },
      (_, i) => JSON.stringify({ type: 'say', id: `z${i}`, text: `z ${i}` }) + '\n',
    ).join(''),
  );
  await bot.waitClosed();
  const replies = bot.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.type === 'ack' || o.type === 'error');
  const final = replies.at(-1)!;
  assert.equal(final.code, 'rate_limited');
  assert.equal(final.id, undefined);
  assert.match(String(final.message), /closing/u);
  const answered = replies.slice(0, -1);
  // One reply per id, in the order sent, for every line read before the verdict.
  assert.deepEqual(
    answered.map((r) => r.id),
    answered.map((_, i) => `z${i}`),
  );
  const acked = answered.filter((r) => r.type === 'ack').map((r) => r.id);
  assert.ok(acked.length >= 30, `the burst and the queue were stored (${acked.length})`);
  // Lines that came in the same read as the verdict are not carried out, but
  // still get their one reply each (§4), before the final error.
  assert.ok(
    answered.some((r) => r.code === 'rate_limited' && /^Not read/u.test(String(r.message))),
    JSON.stringify(answered.slice(-3)),
  );
  // Whatever the room saw from Bot was acked to Bot: no message stored unanswered.
  await watcher.waitForJson((o) => o.type === 'system' && o.event === 'quit' && o.user === 'Bot');
  const seen = watcher.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.type === 'message' && o.from === 'Bot')
    .map((o) => `z${String(o.text).slice(2)}`);
  assert.deepEqual(seen, acked);
});

test('a shutdown answers each line flood control still held: shutting_down with its id, nothing left unanswered', async (t) => {
  // Two a second: the queue holds the burst's tail for seconds.
  const server = await serve(t, { rateBurst: 3, ratePerSecond: 2, rateQueue: 30 });
  const bot = await jsonUser(t, server.port, 'Bot');
  const n = 12;
  const says = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ type: 'say', id: `s${i}`, text: `m${i}` }),
  );
  // Behind the held says: a ping (uncounted, it only keeps its place), a
  // malformed say (its refusal waits its turn) and a pong (no reply).
  const behind = [
    JSON.stringify({ type: 'ping', id: 'p' }),
    JSON.stringify({ type: 'say', id: 'bad' }),
    JSON.stringify({ type: 'pong' }),
  ];
  bot.sendRaw([...says, ...behind].map((l) => l + '\n').join(''));
  await bot.waitForJson((o) => o.id === 's2');
  await server.close();
  await bot.waitClosed();
  const replies = bot.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => typeof o.id === 'string');
  // Every id once, in the order sent: the first ones acked, the rest refused for the shutdown.
  assert.deepEqual(
    replies.map((o) => o.id),
    [...Array.from({ length: n }, (_, i) => `s${i}`), 'p', 'bad'],
  );
  const refused = replies.filter((o) => o.type === 'error' && o.id !== 'bad');
  assert.ok(refused.length > 1, 'some lines were still held');
  for (const o of refused) assert.equal(o.code, 'shutting_down', JSON.stringify(o));
  assert.ok(replies.slice(0, 3).every((o) => o.type === 'ack'));
  // The malformed line keeps its own refusal: that is its answer, shutdown or not.
  assert.equal(replies.at(-1)!.code, 'bad_request');
});

for (const how of ['kick', 'takeover'] as const) {
  test(`lines flood control still holds when the server ends the connection (${how}) each get their one reply`, async (t) => {
    // Slow enough that most of the burst is still held when the connection ends.
    const server = await serve(t, { rateBurst: 10, ratePerSecond: 2, rateQueue: 40 });
    await createAccount(server, 'Opal', PW, true);
    await createAccount(server, 'Kay', PW);
    const opal = await jsonLogin(t, server.port, 'Opal', PW);
    const kay = await jsonLogin(t, server.port, 'Kay', PW);
    const n = 25;
    kay.sendRaw(
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({ type: 'say', id: `k${i}`, text: `k${i}` }),
      )
        .map((l) => l + '\n')
        .join(''),
    );
    await kay.waitForJson((o) => o.type === 'ack' && o.id === 'k9');
    if (how === 'kick') opal.sendJson({ type: 'kick', name: 'Kay', reason: 'enough' });
    else await jsonLogin(t, server.port, 'Kay', PW);
    await kay.waitClosed();
    const replies = kay.lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((o) => typeof o.id === 'string' && o.id.startsWith('k'));
    // Exactly one reply per id, in the order sent: acks, then the refusals.
    assert.deepEqual(
      replies.map((r) => r.id),
      Array.from({ length: n }, (_, i) => `k${i}`),
    );
    const refused = replies.filter((r) => r.type === 'error');
    assert.ok(refused.length > 0, 'some were still held');
    for (const r of refused) {
      assert.equal(r.code, how === 'kick' ? 'forbidden' : 'alias_taken');
      assert.match(String(r.message), /^Not carried out \(/u);
    }
  });
}
