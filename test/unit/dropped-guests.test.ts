/** dropped-guests.ts: a dropped JSON guest is waited for DROPPED_GUEST_MS, then forgotten. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DROPPED_GUEST_MS, DroppedGuests } from '../../src/core/dropped-guests.js';

test('a dropped guest is found until the wait is over, and not after', () => {
  const d = new DroppedGuests();
  d.remember('carol', 'Carol', '@~abc', 1_000);
  assert.deepEqual(d.find('carol', 1_000 + DROPPED_GUEST_MS - 1), {
    display: 'Carol',
    privateStream: '@~abc',
    at: 1_000,
  });
  assert.equal(d.find('carol', 1_000 + DROPPED_GUEST_MS), undefined);
  assert.equal(d.find('carol', 1_000), undefined, 'forgotten once expired');
});

test('a later drop under the same alias replaces the earlier; a sign-in under it, or the guest back under another alias, ends the wait', () => {
  const d = new DroppedGuests(100);
  d.remember('carol', 'Carol', '@~one', 0);
  d.remember('carol', 'carol', '@~two', 50);
  assert.equal(d.find('carol', 120)?.privateStream, '@~two');
  d.signedIn('carol', '@~someone-else');
  assert.equal(d.find('carol', 120), undefined);
  // The guest itself back as Self7b: nobody waits under Self7 for it.
  d.remember('self7', 'Self7', '@~self', 200);
  d.signedIn('self7b', '@~self');
  assert.equal(d.find('self7', 210), undefined);
});

test('expired drops are pruned as new ones come, so the map does not grow with them', () => {
  const d = new DroppedGuests(10);
  for (let i = 0; i < 1000; i++) d.remember(`g${i}`, `g${i}`, `@~${i}`, i * 100);
  assert.equal(d.find('g998', 99_900), undefined);
  assert.equal(d.find('g999', 99_905)?.privateStream, '@~999');
});
