import assert from 'node:assert/strict';
import { test } from 'node:test';

import { addressMatches, parseAddressBan } from '../../src/store/ban-match.js';

test('an address ban has one spelling however it was typed, so /unban finds it', () => {
  const cases: Array<[string, string | undefined]> = [
    ['10.0.0.5/24', '10.0.0.0/24'],
    ['192.168.1.7/32', '192.168.1.7'],
    [' 192.168.1.7 ', '192.168.1.7'],
    ['::ffff:10.9.9.9', '10.9.9.9'],
    ['2001:DB8::0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1'],
    ['2001:db8::5/32', '2001:db8::/32'],
    ['fe80::1/10', 'fe80::/10'],
    ['2001:db8:1:2:3:4:5:6/127', '2001:db8:1:2:3:4:5:6/127'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
    ['10.0.0.5/33', undefined],
    ['10.0.0.5/8x', undefined],
    ['10.0.0/8', undefined],
    ['zed', undefined],
    ['1.2.3.4/8/8', undefined],
  ];
  for (const [typed, stored] of cases) assert.equal(parseAddressBan(typed), stored, typed);
});

test('a normalized block covers what the typed one meant', () => {
  const block = parseAddressBan('10.0.0.5/24')!;
  assert.ok(addressMatches(block, '10.0.0.200'));
  assert.ok(addressMatches(block, '::ffff:10.0.0.9'));
  assert.ok(!addressMatches(block, '10.0.1.1'));
  const v6 = parseAddressBan('2001:db8::5/32')!;
  assert.ok(addressMatches(v6, '2001:db8:ffff::1'));
  assert.ok(!addressMatches(v6, '2001:db9::1'));
});
