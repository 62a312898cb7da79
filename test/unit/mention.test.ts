/**
 * docs/protocol.md §4 `message.mention`: the aliases a message names as whole
 * words, compared as aliases are (NFKC, case-insensitive).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mentionedKeys } from '../../src/protocol/mention.js';
import { foldKey } from '../../src/protocol/names.js';

const names = (text: string, alias: string): boolean => mentionedKeys(text).has(foldKey(alias));

describe('mentionedKeys', () => {
  test('whole words only, in any case, with punctuation around', () => {
    assert.equal(names('hi bob', 'Bob'), true);
    assert.equal(names('BOB: build is red', 'Bob'), true);
    assert.equal(names('thanks @Bob!', 'Bob'), true);
    assert.equal(names("that's Bob's", 'Bob'), true);
    assert.equal(names('see you, Bob.', 'Bob'), true);
    assert.equal(names('Bobby and bob_2 and bob-x', 'Bob'), false);
    assert.equal(names('nobody here', 'Bob'), false);
  });

  test('aliases holding dots, and fullwidth or folded spellings', () => {
    assert.equal(names('ping j.doe.', 'j.doe'), true);
    assert.equal(names('ping j.doe', 'doe'), true);
    assert.equal(names('ping j.doex', 'j.doe'), false);
    assert.equal(names('ｂｏｂ ping', 'Bob'), true);
    assert.equal(names('STRASSE', 'straße'), true);
  });
});
