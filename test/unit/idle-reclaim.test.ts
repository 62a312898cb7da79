/**
 * A busy server that goes quiet gives memory back once (idle-reclaim.ts):
 * a collection one to two quiet periods after the last input, only when V8
 * holds enough unused heap, never while input keeps coming, and once per
 * quiet spell.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import { IdleReclaim, type Reclaimed } from '../../src/server/idle-reclaim.js';

const QUIET = 20_000;
const MB = 1024 * 1024;

function setup(t: TestContext, slackMb = 30) {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
  const state = { bytesIn: 0, collections: 0, slack: slackMb * MB };
  const reported: Reclaimed[] = [];
  const reclaim = new IdleReclaim({
    clock: systemClock,
    quietMs: QUIET,
    activity: () => state.bytesIn,
    collect: () => {
      state.collections++;
      state.slack = MB;
    },
    slack: () => state.slack,
    onReclaim: (r) => reported.push(r),
  });
  t.after(() => reclaim.stop());
  return { state, reported, tick: (ms: number) => t.mock.timers.tick(ms) };
}

test('one collection after input stops, none while it keeps coming', (t) => {
  const { state, reported, tick } = setup(t);
  for (let i = 0; i < 10; i++) {
    state.bytesIn += 100;
    tick(QUIET);
  }
  assert.equal(state.collections, 0, 'input every period: never quiet');
  tick(QUIET);
  assert.equal(state.collections, 1, 'one quiet period after the last input');
  assert.equal(reported.length, 0, 'told once the freed pages had time to go back');
  tick(2000);
  assert.equal(reported.length, 1);
  assert.equal(reported[0]!.slackBytes, 30 * MB);
  assert.ok(reported[0]!.ms >= 0 && reported[0]!.rssBefore > 0 && reported[0]!.rssAfter > 0);
  tick(QUIET * 10);
  assert.equal(state.collections, 1, 'once per quiet spell');
  state.bytesIn += 5;
  state.slack = 20 * MB;
  tick(QUIET);
  tick(QUIET);
  assert.equal(state.collections, 2, 'the next spell after new input');
});

test('an idle server that never got input is left alone', (t) => {
  const { state, tick } = setup(t);
  tick(QUIET * 20);
  assert.equal(state.collections, 0);
});

test('no collection when V8 holds little beyond what it uses', (t) => {
  const { state, tick } = setup(t, 2);
  state.bytesIn += 1000;
  tick(QUIET * 5);
  assert.equal(state.collections, 0);
});

test("the default collection is V8's own and gives heap back", () => {
  // Objects still in use, the size of what a burst leaves, then dropped.
  let junk: unknown[] = [];
  for (let i = 0; i < 200_000; i++) junk.push({ i, s: `x${i}` });
  const usedBefore = process.memoryUsage().heapUsed;
  junk = [];
  let reported: Reclaimed | undefined;
  let bytes = 0;
  let check = (): void => undefined;
  new IdleReclaim({
    clock: {
      ...systemClock,
      // The checks run by hand below, not on a timer.
      setInterval: (fn) => {
        check = fn;
        return { unref: () => undefined };
      },
      clearInterval: () => undefined,
      setTimeout: (fn) => {
        fn();
        return { unref: () => undefined };
      },
    },
    quietMs: QUIET,
    activity: () => bytes,
    slack: () => 64 * MB,
    onReclaim: (r) => (reported = r),
  });
  bytes = 1;
  check();
  assert.equal(reported, undefined, 'input came: not quiet yet');
  check();
  assert.ok(reported, 'collected');
  const freed = usedBefore - process.memoryUsage().heapUsed;
  assert.ok(freed > 4 * MB, `the dropped objects went (${freed} bytes freed)`);
  assert.equal(junk.length, 0);
});
