/**
 * docs/protocol.md §4 `message.mention`: the aliases a message names as whole
 * words, compared as aliases are (NFKC, case-insensitive).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  KeyHashes,
  keyHash,
  MentionFinder,
  mentionedKeys,
  mentionsAmong,
} from '../../src/protocol/mention.js';
import { foldKey } from '../../src/protocol/names.js';

/** A fixed-seed generator (LCG), so a failure names a text that reproduces. */
function seeded(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
}

/** One text of fewer than `most` pieces, drawn with `rand`. */
function randomText(rand: (n: number) => number, pieces: readonly string[], most: number): string {
  let text = '';
  for (let k = rand(most); k > 0; k--) text += pieces[rand(pieces.length)];
  return text;
}

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

describe('mentionsAmong', () => {
  const online = new Set(['bob', 'j.doe', 'doe', 'ann-1', 'x_y']);

  test('finds only the given keys, each once, and undefined when none', () => {
    assert.deepEqual(mentionsAmong('Bob, bob and BOB', online), ['bob']);
    assert.deepEqual(mentionsAmong('ping j.doe.', online), ['j.doe', 'doe']);
    assert.deepEqual(mentionsAmong('ann-1 x_y', online), ['ann-1', 'x_y']);
    assert.equal(mentionsAmong('nobody here, bobby', online), undefined);
    assert.equal(mentionsAmong('x'.repeat(600), online), undefined);
  });

  test('the ASCII scan finds what the Unicode pattern finds', () => {
    const texts = [
      'hi bob',
      "that's Bob's, see you Bob.",
      '...j.doe...doe.. ann-1-x_y',
      'Bobby bob_2 bob-x -bob- _bob_',
      'tabs\tbob\nann-1\r\nx_y!',
    ];
    for (const text of texts) {
      // A non-ASCII word sends the whole text through the Unicode pattern.
      const unicode = mentionsAmong(`${text} é`, online)?.sort();
      assert.deepEqual(mentionsAmong(text, online)?.sort(), unicode, text);
      assert.deepEqual(
        [...mentionedKeys(text)].sort(),
        [...mentionedKeys(`${text} é`)].filter((k) => k !== 'é').sort(),
        text,
      );
    }
  });

  test('random ASCII texts: the character scan finds what the Unicode pattern finds', () => {
    const rand = seeded(12345);
    const pieces = [
      'bob',
      'BoB',
      'j',
      'doe',
      '.',
      '..',
      '-',
      '_',
      ' ',
      ',',
      '!',
      'ann-1',
      'X_y',
      '\t',
      '1',
    ];
    for (let t = 0; t < 500; t++) {
      let text = randomText(rand, pieces, 20);
      // Runs on both sides of the longest candidate (192 units).
      if (rand(4) === 0) text += 'b'.repeat(185 + rand(15)) + (rand(2) ? '.bob' : ' bob');
      const known = new Set([...mentionedKeys(`${text} é`)].filter((k) => k !== 'é'));
      assert.deepEqual([...mentionedKeys(text)].sort(), [...known].sort(), JSON.stringify(text));
      assert.deepEqual(
        mentionsAmong(text, known)?.sort(),
        known.size ? [...known].sort() : undefined,
      );
    }
  });
});

describe('MentionFinder', () => {
  test('finds what the word scan finds among the same keys', () => {
    const rand = seeded(777);
    const pieces = [
      'bob',
      'BoB',
      'ann-1',
      'x_y',
      'zoë',
      'j',
      'doe',
      '.',
      '-',
      '_',
      ' ',
      ',',
      '@',
      '1',
    ];
    // Dot-free ASCII keys (the one-expression path), a non-ASCII key, and dotted keys (word scan).
    const keySets = [
      ['bob', 'ann-1', 'x_y'],
      ['bob', 'zoë', 'b', 'bo'],
      ['j.doe', 'doe', 'bob'],
      ['zoë'],
      [],
    ];
    for (const keys of keySets) {
      const finder = new MentionFinder(keys);
      const among = new Set(keys);
      for (let t = 0; t < 400; t++) {
        const text = randomText(rand, pieces, 16);
        assert.deepEqual(
          finder.find(text),
          mentionsAmong(text, among),
          JSON.stringify([keys, text]),
        );
      }
    }
  });

  test('an alias is named in any case, once, between word boundaries', () => {
    const finder = new MentionFinder(['bob', 'ann-1']);
    assert.deepEqual(finder.find('BOB: hi Bob, ann-1.'), ['bob', 'ann-1']);
    assert.equal(finder.find('bobby ann-12 x-bob _bob'), undefined);
    assert.deepEqual(finder.find('.bob.'), ['bob']);
  });
});

describe('KeyHashes', () => {
  test('a scan with the hashes finds what a scan without them finds', () => {
    const keys = ['bob', 'ann-1', 'x_y', 'j.doe', 'doe', 'zoë'];
    const hashes = new KeyHashes();
    for (const k of keys) hashes.add(k);
    const plain = new Set(keys);
    const hashed = {
      has: (k: string) => plain.has(k),
      mayHaveHash: (h: number) => hashes.mayHave(h),
    };
    const rand = seeded(99);
    const pieces = ['bob', 'BOB', 'ann-1', 'X_Y', 'j', 'doe', '.', ' ', ',', 'zoë', 'Bobby', '-'];
    for (let t = 0; t < 400; t++) {
      const text = randomText(rand, pieces, 16);
      assert.deepEqual(
        mentionsAmong(text, hashed),
        mentionsAmong(text, plain),
        JSON.stringify(text),
      );
    }
  });

  test('a word whose hash no key has is never looked up', () => {
    const hashes = new KeyHashes();
    hashes.add('bob');
    const asked: string[] = [];
    const among = {
      has: (k: string) => (asked.push(k), k === 'bob'),
      mayHaveHash: (h: number) => hashes.mayHave(h),
    };
    assert.deepEqual(mentionsAmong('hello there Bob, see you', among), ['bob']);
    assert.deepEqual(asked, ['bob']);
  });

  test('counts keys in and out, and a saturated count stays', () => {
    const hashes = new KeyHashes();
    const h = keyHash('bob');
    assert.equal(hashes.mayHave(h), false);
    hashes.add('bob');
    hashes.add('bob');
    hashes.delete('bob');
    assert.equal(hashes.mayHave(h), true);
    hashes.delete('bob');
    assert.equal(hashes.mayHave(h), false);
    for (let i = 0; i < 300; i++) hashes.add('bob');
    for (let i = 0; i < 300; i++) hashes.delete('bob');
    assert.equal(hashes.mayHave(h), true, 'a saturated count is never taken down');
  });
});

/**
 * The rule of docs/protocol.md §4 spelled out slowly, as an oracle for the
 * walk: every run of alias characters in the folded text, and every sequence
 * of its dot-separated parts (a dot-free run only while it can be an alias).
 */
function referenceKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const [run] of foldKey(text).matchAll(/[\p{L}\p{M}\p{N}_.-]+/gu)) {
    if (!run.includes('.')) {
      if (run.length <= 192) keys.add(run);
      continue;
    }
    const parts = run.split('.');
    for (let i = 0; i < parts.length; i++) {
      let candidate = parts[i]!;
      if (candidate) keys.add(candidate);
      for (let j = i + 1; j < parts.length; j++) {
        candidate += '.' + parts[j]!;
        if (candidate.length > 192) break;
        keys.add(candidate);
      }
    }
  }
  return keys;
}

describe('the walk over any text', () => {
  const pieces = [
    'bob',
    'BOB',
    'zoë',
    'ZOË',
    'ｂｏｂ',
    'straße',
    'STRASSE',
    'e\u0301',
    '👍',
    '𝐁𝐨𝐛',
    '\u212a',
    'İ',
    '\ud800',
    'j',
    '.',
    '-',
    '_',
    ' ',
    ',',
    '1',
  ];

  test('finds every candidate the slow rule finds', () => {
    const rand = seeded(4242);
    for (let t = 0; t < 600; t++) {
      const text = randomText(rand, pieces, 14);
      assert.deepEqual(
        [...mentionedKeys(text)].sort(),
        [...referenceKeys(text)].sort(),
        JSON.stringify(text),
      );
    }
  });

  test('with hashes and with a room pattern, finds what the slow rule finds among the keys', () => {
    const rand = seeded(2024);
    const keys = ['bob', 'zoë', 'strasse', 'k', 'i̇', 'é'];
    const hashes = new KeyHashes();
    for (const k of keys) hashes.add(k);
    const set = new Set(keys);
    const hashed = {
      has: (k: string) => set.has(k),
      mayHaveHash: (h: number) => hashes.mayHave(h),
    };
    const finder = new MentionFinder(keys);
    for (let t = 0; t < 600; t++) {
      const text = randomText(rand, pieces, 14);
      const expected = [...referenceKeys(text)].filter((k) => set.has(k)).sort();
      const want = expected.length ? expected : undefined;
      assert.deepEqual(mentionsAmong(text, hashed)?.sort(), want, JSON.stringify(text));
      assert.deepEqual(finder.find(text)?.sort(), want, JSON.stringify(text));
    }
  });
});
