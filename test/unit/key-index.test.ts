/**
 * The idempotency keys' index (src/store/key-index.ts): never loses a key
 * added within the TTL, across generation changes; names no row for nearly
 * every key never added; names every row of keys that share a hash.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyIndex, keyHash } from '../../src/store/key-index.js';

const TTL = 1000;

test('a key names its row for at least a TTL after it was added, whatever the generations did', () => {
  let t = 0;
  const index = new KeyIndex(TTL, () => t);
  const added = new Map<string, { at: number; row: number }>();
  // A key every 7 ms over 5 TTLs, three to a row, so keys land early, late
  // and right at the turn of a generation; each is checked through its TTL.
  let row = 0;
  for (t = 0; t < 5 * TTL; t += 7) {
    if (t % 3 === 0) row++;
    const key = `a:acct\u0000#room\u0000${t}`;
    index.add(key, row);
    added.set(key, { at: t, row });
    for (const [k, { at, row: r }] of added) {
      if (t - at >= TTL) added.delete(k);
      else assert.ok(index.rowsOf(k)?.includes(r), `${k} at ${t}`);
    }
  }
});

test('keys never added name no row; old keys are forgotten after two TTLs', () => {
  let t = 0;
  const index = new KeyIndex(TTL, () => t);
  // Enough keys that the table grows several times over.
  for (let i = 0; i < 100_000; i++) index.add(`g:guest\u0000#lobby\u0000${i}`, 1 + (i >> 9));
  let named = 0;
  for (let i = 0; i < 100_000; i++) if (index.rowsOf(`g:guest\u0000#lobby\u0000x${i}`)) named++;
  assert.ok(named < 10, `${named} of 100,000 keys never added named a row`);
  assert.deepEqual(index.rowsOf('g:guest\u0000#lobby\u000099999'), [196]);
  t += TTL;
  assert.deepEqual(
    index.rowsOf('g:guest\u0000#lobby\u00001'),
    [1],
    'still in the older generation',
  );
  t += TTL;
  assert.equal(index.rowsOf('g:guest\u0000#lobby\u00001'), undefined);
});

test('keys that share a hash each name their row, also past a table growth', () => {
  // Every key in one of 4 hashes: long probe runs, wrapping around the table.
  const index = new KeyIndex(
    TTL,
    () => 0,
    (key) => (key.length % 4) * 0x3fffffff,
  );
  const rows = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const key = 'k'.repeat(1 + (i % 7)) + String(i);
    index.add(key, 1 + Math.floor(i / 100));
    rows.set(key, 1 + Math.floor(i / 100));
  }
  for (const [key, row] of rows) {
    const named = index.rowsOf(key) ?? [];
    assert.ok(named.includes(row), key);
    assert.ok(named.length > 1, 'its neighbours in hash too');
  }
  assert.equal(typeof keyHash('x'), 'number');
});

test('a generation that reaches its most keys is turned over early; memory stays bounded', () => {
  const index = new KeyIndex(TTL, () => 0, keyHash, 1000);
  for (let i = 0; i < 2500; i++) index.add(`k${i}`, 1 + (i >> 4));
  // 2500 keys at one instant: generations of 1000, 1000, 500; the first is gone.
  assert.equal(index.rowsOf('k0'), undefined, 'the oldest keys are forgotten early');
  assert.ok(index.rowsOf('k1000')?.includes(1 + (1000 >> 4)), 'the older generation is kept');
  assert.ok(index.rowsOf('k2499')?.includes(1 + (2499 >> 4)));
});
