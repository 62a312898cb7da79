/**
 * Cutting terminal input into keys (src/client/keys.ts): escape sequences no
 * key sends (colours, titles, hyperlinks typed or pasted into the input line)
 * are dropped whole, not half-read by readline and sent to everyone as
 * `mred` or `0;window title` (found in a hands-on trial); real keys stay.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isInert, LEFT, splitKeys, stepsFor } from '../../src/client/keys.js';

/** What the input line gets from `text`: its keys without the inert ones, joined. */
function typed(text: string): string {
  const keys = splitKeys(text);
  assert.equal(keys.join(''), text, 'the keys joined give the text back');
  return keys.filter((k) => !isInert(k)).join('');
}

test('colours, titles, hyperlinks and other control strings are dropped whole', () => {
  assert.equal(typed('csi \x1b[1;31mred\x1b[0m end'), 'csi red end');
  assert.equal(typed('title \x1b]0;window title\x07 end'), 'title  end');
  assert.equal(
    typed('link \x1b]8;;http://evil.example\x1b\\here\x1b]8;;\x1b\\ end'),
    'link here end',
  );
  assert.equal(
    typed('dcs \x1bPq#0;2;0\x1b\\ apc \x1b_hidden\x1b\\ pm \x1b^x\x1b\\ sos \x1bXy\x1b\\.'),
    'dcs  apc  pm  sos .',
  );
  // An unterminated string runs to the end of what was read.
  assert.equal(typed('cut \x1b]0;no end'), 'cut ');
});

test('the keys a keyboard sends are kept', () => {
  for (const key of [
    '\x1b[D',
    '\x1b[1;5C',
    '\x1b[3~',
    '\x1b[H',
    '\x1b[F',
    '\x1bOP',
    '\x1b[15~',
    '\x1bb',
    '\x1b',
    '\x1b\x1b[A',
    '\x1b[[A',
    '\x1b[97;5u',
  ]) {
    assert.deepEqual(splitKeys(key), [key], JSON.stringify(key));
    assert.equal(isInert(key), false, JSON.stringify(key));
  }
  assert.deepEqual(splitKeys('a😀b'), ['a', '😀', 'b']);
});

const line = 'a👍🏽b🇫🇷c👨‍👩‍👧';
test('stepsFor: Backspace and Left after a cluster: all its code points', () => {
  assert.equal(stepsFor('\x7f', line, 'a👍🏽'.length), 2);
  assert.equal(stepsFor(LEFT, line, 'a👍🏽b🇫🇷'.length), 2);
  assert.equal(stepsFor('\x7f', line, line.length), 5, 'a family: three people, two joiners');
  assert.equal(stepsFor('\x7f', line, 1), 1);
  assert.equal(stepsFor('\x7f', line, 0), 1, 'nothing before: readline ignores it');
});
test('stepsFor: Delete and Right before a cluster', () => {
  assert.equal(stepsFor('\x1b[3~', line, 1), 2);
  assert.equal(stepsFor('\x1b[C', line, 'a👍🏽b'.length), 2);
  assert.equal(stepsFor('\x1b[C', line, line.length), 1);
});
test('stepsFor: every other key once', () => {
  assert.equal(stepsFor('x', line, 3), 1);
  assert.equal(stepsFor('\r', line, 3), 1);
});
