/**
 * The idempotency keys' Bloom filter (src/store/key-filter.ts): never says a
 * key recorded within the TTL is new, across generation changes, and says
 * almost every other key is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyFilter } from '../../src/store/key-filter.js';

const TTL = 1000;

test('a key is known for at least a TTL after it was added, whatever the generations did', () => {
  let t = 0;
  const filter = new KeyFilter(TTL, () => t);
  const addedAt = new Map<string, number>();
  // A key every 7 ms over 5 TTLs, so keys land early, late and right at the
  // turn of a generation; each is checked through its whole TTL.
  for (t = 0; t < 5 * TTL; t += 7) {
    const key = `a:acct\u0000#room\u0000${t}`;
    filter.add(key);
    addedAt.set(key, t);
    for (const [k, at] of addedAt) {
      if (t - at >= TTL) addedAt.delete(k);
      else assert.equal(filter.mayHave(k), true, `${k} at ${t}`);
    }
  }
});

test('keys never added are nearly all new; old keys are forgotten after two TTLs', () => {
  let t = 0;
  const filter = new KeyFilter(TTL, () => t);
  for (let i = 0; i < 100_000; i++) filter.add(`g:guest\u0000#lobby\u0000${i}`);
  let maybe = 0;
  for (let i = 0; i < 100_000; i++) if (filter.mayHave(`g:guest\u0000#lobby\u0000x${i}`)) maybe++;
  assert.ok(maybe < 100, `${maybe} false positives in 100,000`);
  t += TTL;
  assert.equal(filter.mayHave('g:guest\u0000#lobby\u00001'), true, 'still in the older generation');
  t += TTL;
  filter.add('another');
  assert.equal(filter.mayHave('g:guest\u0000#lobby\u00001'), false);
});
