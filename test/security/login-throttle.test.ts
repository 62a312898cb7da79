/**
 * docs/protocol.md §2 "Login limits", issues 5.4 and 18.1: failed logins on an
 * account are slowed down, then refused for a while from that address. Over real sockets with the real timings,
 * kept to a few failures (the full 10-failure lockout with real timings is
 * the password-guessing loop of test/hostile/); the defaults and the lockout
 * with a fake clock on LoginThrottle itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatError } from '../../src/protocol/errors.js';
import { DEFAULT_THROTTLE, LoginThrottle } from '../../src/core/login-throttle.js';
import { expectJsonError, serve } from '../helpers/fixtures.js';
import { attackerAddress, clientFrom } from '../helpers/hostile.js';
import type { LineClient } from '../helpers/line-client.js';
import { createAccount } from '../helpers/security.js';

const PW = 'the right password';

/** Send a wrong password in a hello; resolves with how long the auth_failed took. */
async function wrongGuess(c: LineClient, n: number): Promise<number> {
  const started = Date.now();
  c.sendJson({ type: 'hello', version: 1, name: 'Kim', password: `wrong guess ${n}` });
  await expectJsonError(c, 'auth_failed');
  return Date.now() - started;
}

test('over the wire: three free failures, then each answer is held back longer', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Kim', PW);
  const from = attackerAddress(0);
  const first = await clientFrom(t, server.port, from);
  const times = [
    await wrongGuess(first, 1),
    await wrongGuess(first, 2),
    await wrongGuess(first, 3),
  ];
  await first.waitClosed();
  const second = await clientFrom(t, server.port, from);
  times.push(await wrongGuess(second, 4), await wrongGuess(second, 5));
  t.diagnostic(`answers to wrong passwords: ${times.join(', ')} ms`);
  // Timers fire a few ms early at worst; the delays are 0.5 s then 1 s.
  assert.ok(times[3]! >= 480, `4th failure answered after ${times[3]} ms`);
  assert.ok(times[4]! >= 980, `5th failure answered after ${times[4]} ms`);

  // The next check on Kim waits 2 s from any address: guessing one account
  // from many addresses is no faster.
  const other = await clientFrom(t, server.port, attackerAddress(1));
  const otherMs = await wrongGuess(other, 1);
  assert.ok(otherMs >= 1980, `another address guessing Kim waited only ${otherMs} ms`);
  // The right password still gets in (slowed, but not refused: not locked out yet).
  second.sendJson({ type: 'hello', version: 1, name: 'Kim', password: PW });
  const welcome = await second.waitForJson(
    (o) => o.type === 'welcome' || o.type === 'error',
    15_000,
  );
  assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
});

test('LoginThrottle defaults: 3 free failures, 0.5 s doubling to 8 s, an account locked for an address at 10 for 15 min, an address at 100', () => {
  assert.deepEqual(
    { ...DEFAULT_THROTTLE },
    {
      freeFailures: 3,
      accountFailures: 10,
      addressFailures: 100,
      windowMs: 15 * 60_000,
      lockoutMs: 15 * 60_000,
      baseDelayMs: 500,
    },
  );
  let now = 1_000_000;
  const th = new LoginThrottle(DEFAULT_THROTTLE, () => now);
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    th.assertAccountAllowed('10.0.0.1', 'kim');
    delays.push(th.delayMs('10.0.0.1', 'kim'));
    th.fail('10.0.0.1', 'kim');
    now += 100;
  }
  assert.deepEqual(delays, [0, 0, 0, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
  assert.throws(
    () => th.assertAccountAllowed('10.0.0.1', 'kim'),
    (err: unknown) =>
      err instanceof ChatError &&
      err.code === 'rate_limited' &&
      err.retryAfterMs !== undefined &&
      err.retryAfterMs > 14 * 60_000,
  );
  // The address itself, and the account from other addresses, are not locked.
  th.assertAllowed('10.0.0.1');
  th.assertAccountAllowed('10.0.0.1', 'lee');
  th.assertAccountAllowed('10.0.0.2', 'kim');
  assert.equal(th.delayMs('10.0.0.2', 'lee'), 0);
  // Refused for the lockout period, then allowed again.
  now += 15 * 60_000 - 1000;
  assert.throws(() => th.assertAccountAllowed('10.0.0.1', 'kim'));
  now += 1000;
  th.assertAccountAllowed('10.0.0.1', 'kim');
});

test('LoginThrottle: failures age out of the window; a right password forgives the account', () => {
  let now = 0;
  const th = new LoginThrottle(DEFAULT_THROTTLE, () => now);
  for (let i = 0; i < 9; i++) th.fail('a', 'kim');
  now += 15 * 60_000 + 1;
  th.fail('a', 'kim');
  th.assertAccountAllowed('a', 'kim');
  assert.equal(th.delayMs('a', 'kim'), 0, 'nine failures older than the window no longer count');

  for (let i = 0; i < 5; i++) th.fail('b', 'lee');
  assert.equal(th.delayMs('b', 'lee'), 2000);
  th.succeed('b', 'lee');
  assert.equal(th.delayMs('b', 'lee'), 0);
});

test('LoginThrottle: typos that were corrected never add up to an address lock', () => {
  let now = 0;
  const th = new LoginThrottle({ ...DEFAULT_THROTTLE, addressFailures: 5 }, () => now);
  // Twenty students behind one address each mistype, then get it right.
  for (let i = 0; i < 20; i++) {
    th.assertAllowed('nat');
    th.fail('nat', `s${i}`);
    th.succeed('nat', `s${i}`);
    now += 1000;
  }
  th.assertAllowed('nat');
  // Four uncorrected failures on four accounts, then a fifth: the address is locked.
  for (let i = 0; i < 5; i++) th.fail('nat', `x${i}`);
  assert.throws(() => th.assertAllowed('nat'), { code: 'rate_limited' });
});

test('LoginThrottle: checks under way count, so parallel guesses on one account get at most 10 answers', () => {
  const th = new LoginThrottle(DEFAULT_THROTTLE, () => 0);
  let started = 0;
  for (let i = 0; i < 30; i++) {
    try {
      th.assertAccountAllowed('a', 'kim');
      th.begin('a', 'kim');
      started++;
    } catch {
      // refused: rate_limited
    }
  }
  assert.equal(started, 10);
  // Forty other accounts from the same address are not held back by it.
  for (let i = 0; i < 40; i++) {
    th.assertAccountAllowed('a', `s${i}`);
    assert.equal(th.begin('a', `s${i}`), 0);
  }
});

test('LoginThrottle: a password reset by an operator lifts the lock its old password earned', () => {
  let now = 1_000_000;
  const th = new LoginThrottle(DEFAULT_THROTTLE, () => now);
  for (let i = 0; i < 10; i++) {
    th.assertAccountAllowed('10.0.0.1', 'kim', 'Kim', 'old-hash');
    th.fail('10.0.0.1', 'kim', 'old-hash');
    now += 100;
  }
  assert.throws(
    () => th.assertAccountAllowed('10.0.0.1', 'kim', 'Kim', 'old-hash'),
    /Too many failed logins for Kim/u,
  );
  // Still the same password: still locked. A new one (the CLI's reset): let in.
  assert.throws(() => th.assertAccountAllowed('10.0.0.1', 'kim', 'Kim', 'old-hash'));
  th.assertAccountAllowed('10.0.0.1', 'kim', 'Kim', 'new-hash');
  th.assertAccountAllowed('10.0.0.1', 'kim', 'Kim', 'new-hash');
});
