/**
 * The server's timers on mocked time (issue 10.6): heartbeat, handshake
 * timeout, flood control's release, the login hold-back and the accept rate
 * run on the injected clock, on the IRC port too (its heartbeat and fakelag), so these tests tick node:test's `mock.timers`
 * instead of waiting. Sockets are real; only time is not. The real-time smoke
 * tests of each stay where they were (heartbeat.test.ts, flood.test.ts,
 * login-throttle.test.ts, connection-caps.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mockTime, tick, WatchedClock } from '../helpers/clock.js';
import {
  expectJsonError,
  jsonFence,
  jsonUser,
  raw,
  serve,
  textErrorCode,
  textFence,
  textUser,
} from '../helpers/fixtures.js';
import { attackerAddress, clientFrom } from '../helpers/hostile.js';
import { createAccount } from '../helpers/security.js';
import { IrcClient, ircPort } from '../helpers/irc.js';

/** No test here waits on real time: a hang is a failure, not a slow pass. */
const LIMIT = { timeout: 30_000 };

test(
  'heartbeat: a ping after 30 s of silence, closed 60 s after it; others see the timeout',
  LIMIT,
  async (t) => {
    const { port } = await serve(t, { heartbeat: 30 });
    mockTime(t);
    const watcher = await textUser(t, port, 'Watcher');
    const silent = await jsonUser(t, port, 'Silent');
    await watcher.waitFor((l) => l === '* Silent joined #lobby');

    tick(t, 29_999);
    await textFence(watcher);
    assert.deepEqual(silent.unread(), [], 'no ping before 30 s');
    tick(t, 1);
    assert.equal((await silent.nextJson()).type, 'ping');

    tick(t, 59_999);
    await textFence(watcher);
    assert.equal(silent.closed, false, 'still open 1 ms before the timeout');
    tick(t, 1);
    const last = await silent.nextJson();
    assert.equal(last.code, 'timeout', JSON.stringify(last));
    await silent.waitClosed();
    await watcher.waitFor((l) => l === '* Silent quit (timed out)');
  },
);

test('heartbeat: a client that answers every ping stays (an hour of pings)', LIMIT, async (t) => {
  const { port } = await serve(t, { heartbeat: 30 });
  mockTime(t);
  const c = await jsonUser(t, port, 'Awake');
  for (let i = 0; i < 120; i++) {
    tick(t, 30_000);
    assert.equal((await c.nextJson()).type, 'ping');
    c.sendJson({ type: 'pong' });
    // The pong is read before time moves on (the fence's answer comes after it).
    await jsonFence(c);
  }
  c.sendJson({ type: 'ping', id: 'still' });
  assert.equal((await c.waitForJson((o) => o.id === 'still')).type, 'pong');
});

test(
  'handshake timeout: no alias within --handshake-timeout closes the connection',
  LIMIT,
  async (t) => {
    const { port } = await serve(t, { handshakeTimeout: 10 });
    mockTime(t);
    const c = await raw(t, port);
    assert.match(await c.next(), /^\* chat-server /u);
    tick(t, 9_999);
    assert.equal(c.closed, false);
    tick(t, 1);
    assert.equal(textErrorCode(await c.next()), 'timeout');
    await c.waitClosed();
  },
);

test('flood control: held lines are released one per 1/rate s, in order', LIMIT, async (t) => {
  const { port } = await serve(t, { rateBurst: 3, ratePerSecond: 5, rateQueue: 10 });
  mockTime(t);
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  await alice.waitFor((l) => l === '* Bob joined #lobby');
  bob.sendRaw('one\ntwo\nthree\nfour\nfive\n');
  for (const word of ['one', 'two', 'three']) {
    assert.match(await alice.next(), new RegExp(`<Bob> ${word}$`, 'u'));
  }
  tick(t, 199);
  await textFence(alice);
  tick(t, 1);
  assert.match(await alice.next(), /<Bob> four$/u);
  tick(t, 199);
  await textFence(alice);
  tick(t, 1);
  assert.match(await alice.next(), /<Bob> five$/u);
});

test(
  'accept rate: the third connection in a burst waits for the bucket, one second later',
  LIMIT,
  async (t) => {
    const { port } = await serve(t, { acceptsPerSecond: 1 });
    mockTime(t);
    const from = attackerAddress(2);
    const banner = /^\* chat-server /u;
    assert.match(await (await clientFrom(t, port, from)).next(), banner);
    assert.match(await (await clientFrom(t, port, from)).next(), banner);
    const refused = await clientFrom(t, port, from);
    refused.send('Late');
    assert.equal(textErrorCode(await refused.next()), 'rate_limited');
    tick(t, 1000);
    assert.match(await (await clientFrom(t, port, from)).next(), banner);
  },
);

test(
  'IRC heartbeat: PING after 30 s of silence, closed 60 s after it; others see the timeout',
  LIMIT,
  async (t) => {
    const server = await serve(t, { ircPort: 0, serverName: 'irc.test', heartbeat: 30 });
    mockTime(t);
    const watcher = await textUser(t, server.port, 'Watcher');
    const bob = await IrcClient.register(t, ircPort(server), 'bob');
    await watcher.waitFor((l) => l === '* bob joined #lobby');
    bob.c.unread();

    tick(t, 29_999);
    await textFence(watcher);
    assert.deepEqual(bob.c.unread(), [], 'no PING before 30 s');
    tick(t, 1);
    assert.deepEqual((await bob.expect((m) => m.command === 'PING')).params, ['irc.test']);

    tick(t, 59_999);
    await textFence(watcher);
    assert.equal(bob.c.closed, false, 'still open 1 ms before the timeout');
    tick(t, 1);
    assert.match((await bob.expect((m) => m.command === 'ERROR')).params[0]!, /Ping timeout/u);
    await bob.c.waitClosed();
    await watcher.waitFor((l) => l === '* bob quit (timed out)');
  },
);

test(
  'IRC fakelag: commands past the burst are carried out one per 1/rate s, in order',
  LIMIT,
  async (t) => {
    const server = await serve(t, { ircPort: 0, rateBurst: 2, ratePerSecond: 5, rateQueue: 10 });
    mockTime(t);
    const alice = await textUser(t, server.port, 'Alice');
    const bob = await IrcClient.register(t, ircPort(server), 'bob');
    await alice.waitFor((l) => l === '* bob joined #lobby');
    for (const word of ['one', 'two', 'three', 'four']) bob.send(`PRIVMSG #lobby :${word}`);
    for (const word of ['one', 'two']) {
      assert.match(await alice.next(), new RegExp(`<bob> ${word}$`, 'u'));
    }
    for (const word of ['three', 'four']) {
      tick(t, 199);
      await textFence(alice);
      tick(t, 1);
      assert.match(await alice.next(), new RegExp(`<bob> ${word}$`, 'u'));
    }
  },
);

test(
  'password guessing on the default schedule: 3 free, then 0.5 s doubling to 8 s, locked after 10; the owner elsewhere waits 8 s',
  LIMIT,
  async (t) => {
    const clock = new WatchedClock();
    const server = await serve(t, {}, clock);
    await createAccount(server, 'Kim', 'the right password');
    mockTime(t);
    const from = attackerAddress(3);
    const hello = (password: string): Record<string, unknown> => ({
      type: 'hello',
      version: 1,
      name: 'Kim',
      password,
      history: 0,
    });
    let c = await clientFrom(t, server.port, from);
    for (let n = 1; n <= 10; n++) {
      // Three failures close a connection (§2); the guesser dials again.
      if (c.closed || (n > 1 && (n - 1) % 3 === 0)) {
        await c.waitClosed();
        c = await clientFrom(t, server.port, from);
      }
      const delay = n <= 3 ? 0 : Math.min(8000, 500 * 2 ** (n - 4));
      const mark = clock.set.length;
      c.sendJson(hello(`wrong guess ${n}`));
      if (delay > 0) {
        await clock.timerSet(delay, mark);
        tick(t, delay - 1);
        assert.deepEqual(
          c.unread().filter((l) => l.startsWith('{')),
          [],
          `guess ${n} answered before its ${delay} ms hold-back`,
        );
        tick(t, 1);
      }
      await expectJsonError(c, 'auth_failed');
    }
    c.close();
    // Locked for that address, even with the right password; a guest from it gets in.
    const locked = await clientFrom(t, server.port, from);
    locked.sendJson(hello('the right password'));
    await expectJsonError(locked, 'rate_limited');
    const guest = await clientFrom(t, server.port, from);
    guest.sendJson({ type: 'hello', version: 1, name: 'Guest', history: 0 });
    assert.equal((await guest.nextJson()).type, 'welcome');
    // The owner, elsewhere, is held back like every check on the account (8 s), then in.
    const owner = await clientFrom(t, server.port, attackerAddress(4));
    const mark = clock.set.length;
    owner.sendJson(hello('the right password'));
    await clock.timerSet(8000, mark);
    tick(t, 7999);
    assert.deepEqual(
      owner.unread().filter((l) => l.startsWith('{')),
      [],
    );
    tick(t, 1);
    assert.equal((await owner.nextJson()).type, 'welcome');
  },
);
