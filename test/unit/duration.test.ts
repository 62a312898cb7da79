import assert from 'node:assert/strict';
import { test } from 'node:test';

import { leadingDuration, parseDuration } from '../../src/core/duration.js';

test('durations: one number and one unit, fullwidth digits as an input method types them', () => {
  assert.equal(parseDuration('30m'), 30 * 60e3);
  assert.equal(parseDuration('２w'), 2 * 604800e3);
  assert.equal(parseDuration('１０ｍ'), 10 * 60e3);
  assert.equal(parseDuration('1h30m'), undefined);
  assert.equal(parseDuration('m'), undefined);
});

test('a reason may not start with a number that is no duration, in any script', () => {
  assert.deepEqual(leadingDuration('１０ｍ too loud'), { ms: 10 * 60e3, rest: 'too loud' });
  assert.deepEqual(leadingDuration('spam again'), { ms: undefined, rest: 'spam again' });
  for (const line of ['１０min spam', '٣m x', '10min spam', '-5m']) {
    assert.throws(() => leadingDuration(line), { code: 'bad_request' }, line);
  }
});
