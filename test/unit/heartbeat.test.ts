/**
 * The server's heartbeat (docs/protocol.md §4) on a fake clock: ping after an
 * interval of silence, close two intervals after an unanswered ping, and a
 * stall of the server itself is never judged as the client's silence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Heartbeat } from '../../src/server/heartbeat.js';

const I = 1000;

function clock(): { now: () => number; at: (t: number) => void } {
  let t = 0;
  return { now: () => t, at: (v) => (t = v) };
}

test('silence: a ping after one interval, a timeout two intervals after the unanswered ping', () => {
  const c = clock();
  const hb = new Heartbeat(I, c.now);
  c.at(I);
  assert.equal(hb.tick(), 'ping');
  c.at(2 * I);
  assert.equal(hb.tick(), 'none');
  c.at(3 * I);
  assert.equal(hb.tick(), 'timeout');
});

test('an answered ping resets the count', () => {
  const c = clock();
  const hb = new Heartbeat(I, c.now);
  c.at(I);
  assert.equal(hb.tick(), 'ping');
  c.at(I + 10);
  hb.input();
  c.at(2 * I);
  assert.equal(hb.tick(), 'none');
  c.at(3 * I);
  assert.equal(hb.tick(), 'ping');
});

test('after a stall of the server (three intervals with no tick), the client is pinged, not closed', () => {
  const c = clock();
  const hb = new Heartbeat(I, c.now);
  c.at(I / 2);
  hb.input();
  c.at(I);
  assert.equal(hb.tick(), 'none');
  c.at(4 * I + 100);
  assert.equal(hb.tick(), 'ping');
  c.at(5 * I + 100);
  assert.equal(hb.tick(), 'none');
});

test('a stall right after a ping: the answer may be unread, so ping again instead of closing', () => {
  const c = clock();
  const hb = new Heartbeat(I, c.now);
  c.at(I);
  assert.equal(hb.tick(), 'ping');
  c.at(5 * I);
  assert.equal(hb.tick(), 'ping');
  c.at(6.5 * I);
  hb.input();
  c.at(7 * I);
  assert.equal(hb.tick(), 'none');
});

test('the ping is due an interval after the last input, not at the next fixed tick (a conformance audit)', () => {
  const c = clock();
  const hb = new Heartbeat(I, c.now);
  assert.equal(hb.nextDelay(), I);
  c.at(0.2 * I);
  hb.input();
  c.at(I);
  assert.equal(hb.tick(), 'none');
  assert.equal(hb.nextDelay(), 0.2 * I, 'due 1.2 intervals in: an interval after the input');
  c.at(1.2 * I);
  assert.equal(hb.tick(), 'ping');
  assert.equal(hb.nextDelay(), I, 'a look an interval after the ping');
  c.at(2.2 * I);
  assert.equal(hb.tick(), 'none');
  assert.equal(hb.nextDelay(), I);
  c.at(3.2 * I);
  assert.equal(hb.tick(), 'timeout', 'three intervals of silence in all');
});

test('an answer to a ping: the next ping an interval after the answer', () => {
  const c = clock();
  const hb = new Heartbeat(I, c.now);
  c.at(I);
  assert.equal(hb.tick(), 'ping');
  c.at(1.5 * I);
  hb.input();
  c.at(2 * I);
  assert.equal(hb.tick(), 'none');
  assert.equal(hb.nextDelay(), 0.5 * I);
  c.at(2.5 * I);
  assert.equal(hb.tick(), 'ping');
});
