/**
 * Flood control, connection admission and login throttling with a fake
 * clock: no sockets, no real time.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LoginThrottle } from '../../src/core/login-throttle.js';
import { Admission } from '../../src/server/admission.js';
import { RateLimiter } from '../../src/server/rate-limit.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const FLOOD = { burst: 10, perSecond: 5, queue: 20, floodRefusals: 50, floodWindowMs: 10_000 };

describe('RateLimiter (§6 flood control)', () => {
  test('a burst runs at once; the excess waits in the queue; beyond it, refusals with a retry hint', () => {
    const c = clock();
    const rl = new RateLimiter<number>(FLOOD, c.now);
    const kinds = Array.from({ length: 31 }, (_, i) => rl.offer(i).kind);
    assert.deepEqual(kinds.slice(0, 10), Array(10).fill('now'));
    assert.deepEqual(kinds.slice(10, 30), Array(20).fill('queued'));
    const refused = rl.offer(99);
    assert.equal(kinds[30], 'refused');
    assert.equal(refused.kind, 'refused');
    assert.ok(
      refused.kind === 'refused' && refused.retryAfterMs > 0 && refused.retryAfterMs <= 200,
    );
  });

  test('retryAfterMs is when the refused request would be accepted, drained or not', () => {
    const c = clock();
    const rl = new RateLimiter<number>(FLOOD, c.now);
    for (let i = 0; i < 30; i++) rl.offer(i);
    c.advance(50);
    const refused = rl.offer(30);
    assert.equal(refused.kind, 'refused');
    const wait = refused.kind === 'refused' ? refused.retryAfterMs : 0;
    assert.equal(wait, 150, 'a token comes back 200 ms after the burst');
    // Just early: still refused. On time: accepted, though nothing drained
    // the queue yet (the server's drain timer may fire a little later).
    c.advance(wait - 1);
    assert.equal(rl.offer(31).kind, 'refused');
    c.advance(1);
    assert.equal(rl.offer(32).kind, 'queued');
    assert.equal(rl.offer(33).kind, 'refused', 'one place freed, one taken');
    assert.deepEqual(rl.release(), [10]);
  });

  test('a 30-line paste arrives whole and in order, paced at the sustained rate', () => {
    const c = clock();
    const rl = new RateLimiter<number>(FLOOD, c.now);
    const ran: number[] = [];
    for (let i = 0; i < 30; i++) {
      const v = rl.offer(i);
      if (v.kind === 'now') ran.push(v.item);
      else assert.equal(v.kind, 'queued');
    }
    let elapsed = 0;
    while (rl.queued > 0) {
      const wait = rl.nextReleaseInMs()!;
      c.advance(wait);
      elapsed += wait;
      ran.push(...rl.release());
    }
    assert.deepEqual(
      ran,
      Array.from({ length: 30 }, (_, i) => i),
    );
    // 20 queued at 5/s: four seconds, give or take one token's rounding.
    assert.ok(elapsed >= 3800 && elapsed <= 4200, `paced over ${elapsed} ms`);
  });

  test('queued requests keep their place ahead of new ones even when tokens come back', () => {
    const c = clock();
    const rl = new RateLimiter<string>({ ...FLOOD, burst: 1, queue: 2 }, c.now);
    assert.equal(rl.offer('a').kind, 'now');
    assert.equal(rl.offer('b').kind, 'queued');
    c.advance(1000);
    assert.equal(rl.offer('c').kind, 'queued', 'c must not overtake b');
    assert.deepEqual(rl.release(), ['b']);
  });

  test('sustained flooding turns refusals into a disconnect', () => {
    const c = clock();
    const rl = new RateLimiter<number>(FLOOD, c.now);
    const kinds: string[] = [];
    for (let i = 0; i < 200 && kinds.at(-1) !== 'flood'; i++) {
      kinds.push(rl.offer(i).kind);
      c.advance(10);
    }
    assert.equal(kinds.at(-1), 'flood');
    assert.equal(kinds.filter((k) => k === 'refused').length, 49);
  });

  test('refusals spread over more than the window never add up to a disconnect', () => {
    const c = clock();
    const rl = new RateLimiter<number>(
      { ...FLOOD, queue: 0, burst: 1, perSecond: 1, floodRefusals: 3 },
      c.now,
    );
    assert.equal(rl.offer(0).kind, 'now');
    for (let i = 0; i < 10; i++) {
      assert.equal(rl.offer(i).kind, 'refused');
      c.advance(6000);
      assert.equal(rl.offer(i).kind, 'now');
    }
  });
});

describe('Admission (§6 connection limits)', () => {
  const opts = { maxConnections: 3, maxPerAddress: 2, acceptsPerSecond: 100 };

  test('the total cap and the per-address cap refuse with server_full, and release frees a place', () => {
    const a = new Admission(opts, clock().now);
    assert.equal(a.admit('10.0.0.1'), undefined);
    assert.equal(a.admit('10.0.0.1'), undefined);
    assert.equal(a.admit('10.0.0.1')?.code, 'server_full');
    assert.equal(a.admit('10.0.0.2'), undefined);
    assert.equal(a.admit('10.0.0.3')?.code, 'server_full');
    a.release('10.0.0.1');
    assert.equal(a.connections, 2);
    assert.equal(a.admit('10.0.0.3'), undefined);
  });

  test('the accept rate per address allows a burst of twice the rate, then refuses until it refills', () => {
    const c = clock();
    const a = new Admission(
      { maxConnections: 1000, maxPerAddress: 1000, acceptsPerSecond: 5 },
      c.now,
    );
    for (let i = 0; i < 10; i++) assert.equal(a.admit('127.0.0.9'), undefined, `connection ${i}`);
    const refused = a.admit('127.0.0.9');
    assert.equal(refused?.code, 'rate_limited');
    assert.equal(a.admit('127.0.0.10'), undefined, 'other addresses are not affected');
    c.advance(200);
    assert.equal(a.admit('127.0.0.9'), undefined);
  });
});

describe('LoginThrottle (§2 login limits)', () => {
  test('free failures, then growing delays, then a lockout of the account for that address that ends', () => {
    const c = clock();
    const th = new LoginThrottle(undefined, c.now);
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      th.assertAccountAllowed('1.2.3.4', 'kim');
      delays.push(th.delayMs('1.2.3.4', 'kim'));
      th.fail('1.2.3.4', 'kim');
    }
    assert.deepEqual(delays, [0, 0, 0, 500, 1000, 2000, 4000, 8000, 8000]);
    th.fail('1.2.3.4', 'kim');
    assert.throws(() => th.assertAccountAllowed('1.2.3.4', 'kim'), { code: 'rate_limited' });
    // The address is not locked (other accounts, guests), nor the account elsewhere.
    assert.doesNotThrow(() => th.assertAllowed('1.2.3.4'));
    assert.doesNotThrow(() => th.assertAccountAllowed('1.2.3.4', 'lee'));
    assert.doesNotThrow(() => th.assertAccountAllowed('5.6.7.8', 'kim'));
    c.advance(15 * 60_000);
    assert.doesNotThrow(() => th.assertAccountAllowed('1.2.3.4', 'kim'));
  });

  test('a success forgives the account; old failures fall out of the window', () => {
    const c = clock();
    const th = new LoginThrottle(undefined, c.now);
    for (let i = 0; i < 5; i++) th.fail('a', 'kim');
    assert.ok(th.delayMs('a', 'kim') > 0);
    th.succeed('a', 'kim');
    assert.equal(th.delayMs('a', 'kim'), 0);
    for (let i = 0; i < 5; i++) th.fail('b', 'lee');
    c.advance(15 * 60_000 + 1);
    assert.equal(th.delayMs('b', 'lee'), 0);
  });
});
