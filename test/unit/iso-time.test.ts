import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from '../../src/core/iso-time.js';

test('isoTime matches toISOString across minutes, years, the epoch and odd inputs', () => {
  const base = Date.UTC(2026, 11, 31, 23, 58, 59, 990);
  const times: number[] = [];
  // Every 7 ms for three minutes across a year boundary, in order and then shuffled back.
  for (let t = base - 60_000; t < base + 120_000; t += 7) times.push(t);
  for (let i = 0; i < 2000; i++) times.push(base + Math.floor((i * 7919) % 180_000) - 60_000);
  times.push(0, -1, -59_999, -60_000, -60_001, 59_999, 60_000, 253402300799999, 253402300800000);
  times.push(-62167219200001, base + 0.5, base + 1.5);
  for (const t of times) assert.equal(isoTime(t), new Date(t).toISOString(), String(t));
  assert.throws(() => isoTime(Number.NaN), RangeError);
  assert.throws(() => isoTime(8.64e15 + 1), RangeError);
});

test('isoTime asked again for the same millisecond, after other minutes too, gives the same answer', () => {
  const t = Date.UTC(2026, 11, 2, 15, 30, 12, 345);
  const first = isoTime(t);
  assert.equal(isoTime(t), first);
  assert.equal(isoTime(t + 3_600_000), new Date(t + 3_600_000).toISOString());
  assert.equal(isoTime(t), '2026-12-02T15:30:12.345Z');
  assert.equal(isoTime(t + 1), '2026-12-02T15:30:12.346Z');
});
