/**
 * docs/protocol.md §2 alias rules and §3 room names: 1–32 characters; letters,
 * digits, `_`, `-`, `.`; starts with a letter or digit; one script; compared
 * case-insensitively after NFKC; reserved words refused. Rooms: `#` then 1–32
 * letters, digits, `_`, `-`, case-insensitive.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChatError, type ErrorCode } from '../../src/protocol/errors.js';
import {
  foldKey,
  isSingleScript,
  LOBBY,
  MAX_NAME_CHARS,
  parseAlias,
  parseRoom,
} from '../../src/protocol/names.js';

function refuses(fn: () => unknown, code: ErrorCode, label: string): void {
  assert.throws(
    fn,
    (err: unknown) => err instanceof ChatError && err.code === code && err.message.length > 0,
    `${label}: expected ChatError ${code}`,
  );
}

describe('parseAlias: accepted', () => {
  const ok: Array<[string, string]> = [
    ['plain ASCII', 'Alice'],
    ['one letter', 'a'],
    ['one digit', '7'],
    ['starts with a digit', '42alice'],
    ['all digits', '1337'],
    ['dot, dash and underscore inside', 'a.b-c_d'],
    ['initials', 'J.R.R.Tolkien'],
    ['underscores', 'snake_case_name'],
    ['dashes', 'kebab-case-name'],
    ['trailing dot', 'alice.'],
    ['accents', 'Zoë'],
    ['more accents', 'José-Ångström'],
    ['sharp s', 'Straße'],
    ['Cyrillic only', 'Алиса'],
    ['Greek only', 'Ελένη'],
    ['Arabic', 'محمد'],
    ['Hebrew', 'שרה'],
    ['Devanagari with combining vowel signs', 'देवनागरी'],
    ['Tamil', 'தமிழ்'],
    ['Thai', 'สมชาย'],
    ['Hangul', '김철수'],
    ['Han', '王小明'],
    ['Han + Hiragana', '山田たろう'],
    ['Katakana + Han', 'ヤマダ太郎'],
    ['Han + Hiragana + Katakana', '東京のタワー'],
    ['Katakana with prolonged sound mark', 'ラーメン'],
    ['Han + Hangul', '金철수'],
    ['Latin with digits', 'user2024'],
    ['32 ASCII characters', 'a'.repeat(32)],
    ['32 CJK characters (96 bytes)', '字'.repeat(32)],
    ['32 astral CJK characters (64 UTF-16 units)', '\u{20000}'.repeat(32)],
    ['32 accented characters', 'é'.repeat(32)],
    ['not a reserved word, only contains one', 'admin2'],
    ['not a reserved word: longer', 'administrator'],
    ['not a reserved word: prefix', 'rootbeer'],
    ['not a reserved word: with a dot', 'server.1'],
  ];
  for (const [label, raw] of ok) {
    test(`${label}: ${raw.length > 40 ? raw.slice(0, 10) + '…' : raw}`, () => {
      const name = parseAlias(raw);
      assert.equal(name.display, raw.normalize('NFKC'));
      assert.equal(name.key, foldKey(raw));
    });
  }

  test('the display keeps the case the user chose; the key is folded', () => {
    assert.deepEqual(parseAlias('Alice'), { display: 'Alice', key: 'alice' });
  });

  test('surrounding whitespace is trimmed', () => {
    assert.equal(parseAlias('  Bob  ').display, 'Bob');
    assert.equal(parseAlias('\tBob\t').display, 'Bob');
  });

  test('NFKC: fullwidth letters become ASCII', () => {
    assert.deepEqual(parseAlias('ａｌｉｃｅ'), { display: 'alice', key: 'alice' });
  });

  test('NFKC: a decomposed accent is composed', () => {
    const name = parseAlias('Zoe\u0308');
    assert.equal(name.display, 'Zo\u00eb');
    assert.equal(name.key, parseAlias('Zo\u00eb').key);
  });

  test('NFKC: mathematical letters (astral) are one character each', () => {
    assert.equal(parseAlias('\u{1d49c}lice').display, 'Alice');
  });

  test('MAX_NAME_CHARS is 32', () => {
    assert.equal(MAX_NAME_CHARS, 32);
  });
});

describe('parseAlias: refused with bad_alias', () => {
  const bad: Array<[string, string]> = [
    ['empty', ''],
    ['only spaces', '   '],
    ['33 ASCII characters', 'a'.repeat(33)],
    ['33 CJK characters', '字'.repeat(33)],
    ['33 astral CJK characters', '\u{20000}'.repeat(33)],
    ['starts with underscore', '_alice'],
    ['starts with dot', '.alice'],
    ['starts with dash', '-alice'],
    ['starts with a combining mark', '\u0301abc'],
    ['only punctuation', '._-'],
    ['inner space', 'al ice'],
    ['inner tab', 'al\tice'],
    ['exclamation mark', 'alice!'],
    ['at sign', 'al@ice'],
    ['hash (looks like a room)', '#alice'],
    ['asterisks (looks like a private message)', '*alice*'],
    ['angle brackets (looks like a message)', '<bob>'],
    ['slash', 'a/b'],
    ['colon', 'a:b'],
    ['comma', 'a,b'],
    ['quote', "o'neil"],
    ['emoji', 'alice😀'],
    ['only emoji', '😀'],
    ['zero-width space', 'ali\u200bce'],
    ['zero-width joiner', 'ali\u200dce'],
    ['soft hyphen', 'ali\u00adce'],
    ['bidi override', 'ali\u202ece'],
    ['BEL', 'ali\u0007ce'],
    ['ESC sequence', 'ali\u001b[31mce'],
    ['DEL', 'ali\u007fce'],
    ['C1', 'ali\u0085ce'],
    ['NBSP inside', 'ali\u00a0ce'],
    ['Latin with a Cyrillic А', '\u0410lice'],
    ['Latin with a Cyrillic а inside', 'p\u0430ypal'],
    ['Latin with a Greek omicron', 'g\u03bfogle'],
    ['Cyrillic with a Latin o', 'Ив\u006fн'],
    ['Greek and Cyrillic', 'αβгд'],
    ['Latin and Han', 'Alice東京'],
    ['Hiragana and Hangul', 'たろう철수'],
    ['Latin and Arabic', 'aliceمحمد'],
    ['Old Italic and Carian (scripts outside the probed list)', '\u{10300}\u{10301}\u{102a0}'],
  ];
  for (const [label, raw] of bad) {
    test(label, () => refuses(() => parseAlias(raw), 'bad_alias', label));
  }

  const reserved = [
    'server',
    'system',
    'admin',
    'operator',
    'root',
    'nobody',
    'Server',
    'SYSTEM',
    'Admin',
    'OPERATOR',
    'rOoT',
    'NoBody',
    ' admin ',
    'ＡＤＭＩＮ',
    'ｒｏｏｔ',
    // Look-alikes of the words: digits for letters, a dotted or dotless i, a mark.
    'r00t',
    'adm1n',
    'ADMİN',
    'admın',
    '0perator',
    'Admín',
  ];
  for (const raw of reserved) {
    test(`reserved word ${JSON.stringify(raw)}`, () =>
      refuses(() => parseAlias(raw), 'bad_alias', raw));
  }
});

describe('parseAlias: comparison key', () => {
  test('case-insensitive', () => {
    const k = parseAlias('alice').key;
    assert.equal(parseAlias('ALICE').key, k);
    assert.equal(parseAlias('AlIcE').key, k);
  });

  test('fullwidth and ASCII collide', () => {
    assert.equal(parseAlias('ＢＯＢ').key, parseAlias('bob').key);
  });

  test('ß and SS collide', () => {
    assert.equal(parseAlias('Straße').key, parseAlias('STRASSE').key);
  });

  test('Cyrillic case-insensitive', () => {
    assert.equal(parseAlias('АЛИСА').key, parseAlias('алиса').key);
  });

  test('Greek final sigma and sigma', () => {
    assert.equal(parseAlias('ΟΔΥΣΣΕΥΣ').key, parseAlias('οδυσσευς').key);
  });

  test('different names get different keys', () => {
    assert.notEqual(parseAlias('alice').key, parseAlias('alicia').key);
    assert.notEqual(parseAlias('a.b').key, parseAlias('a-b').key);
  });
});

describe('foldKey', () => {
  test('lower-cases', () => assert.equal(foldKey('ALICE'), 'alice'));
  test('ß folds with SS and ss', () => {
    assert.equal(foldKey('ß'), foldKey('SS'));
    assert.equal(foldKey('ß'), foldKey('ss'));
  });
  test('NFKC compatibility forms', () => {
    assert.equal(foldKey('ｆｕｌｌ'), 'full');
    assert.equal(foldKey('\u2126'), foldKey('\u03c9')); // OHM SIGN ~ omega
    assert.equal(foldKey('\u212a'), 'k'); // KELVIN SIGN
    assert.equal(foldKey('\ufb01'), 'fi'); // ligature
  });
  test('composed and decomposed forms meet', () => {
    assert.equal(foldKey('Zoe\u0308'), foldKey('ZO\u00cb'));
  });
  test('room names fold the same way', () => {
    assert.equal(foldKey('#Lobby'), '#lobby');
  });
  test('is idempotent', () => {
    for (const s of [
      'Alice',
      'Straße',
      'ＡＤＭＩＮ',
      'Zoe\u0308',
      'ΟΔΥΣΣΕΥΣ',
      '東京',
      'İstanbul',
    ]) {
      assert.equal(foldKey(foldKey(s)), foldKey(s), s);
    }
  });
  test('does not merge different scripts (confusables are refused elsewhere)', () => {
    assert.notEqual(foldKey('\u0430'), foldKey('a'));
  });
});

describe('isSingleScript', () => {
  const yes: Array<[string, string]> = [
    ['empty', ''],
    ['ASCII letters', 'abc'],
    ['letters and digits', 'abc123'],
    ['punctuation ignored', 'a_b.c-d'],
    ['digits only', '123'],
    ['Latin with combining mark (Inherited)', 'e\u0301'],
    ['Latin extended', 'Ångström'],
    ['Cyrillic', 'Алиса'],
    ['Greek', 'αβγ'],
    ['Han + Hiragana + Katakana', '山田たろうヤマダ'],
    ['Hiragana only', 'たろう'],
    ['Katakana only', 'ヤマダ'],
    ['Han + Hangul', '김金'],
    ['Han + Bopomofo', 'ㄅㄆ中'],
    ['Latin with foreign digits (digits are not letters)', 'abc\u0663'],
  ];
  for (const [label, s] of yes) test(`true: ${label}`, () => assert.equal(isSingleScript(s), true));

  const no: Array<[string, string]> = [
    ['Latin + Cyrillic', '\u0410lice'],
    ['Latin + Greek', 'αb'],
    ['Latin + Han', 'Alice東京'],
    ['Latin + Hiragana', 'aたろう'],
    ['Hiragana + Hangul', 'たろう철수'],
    ['Cyrillic + Greek', 'αг'],
    ['Hebrew + Arabic', 'שم'],
    // Two scripts outside the probed list are still two scripts (Old Italic 𐌀 + Carian 𐊠).
    ['Old Italic + Carian', '\u{10300}\u{102a0}'],
  ];
  for (const [label, s] of no)
    test(`false: ${label}`, () => assert.equal(isSingleScript(s), false));
});

describe('parseRoom', () => {
  const ok: Array<[string, string, string]> = [
    ['#lobby', '#lobby', '#lobby'],
    ['#Dev', '#Dev', '#dev'],
    ['#DEV', '#DEV', '#dev'],
    ['#a', '#a', '#a'],
    ['#123', '#123', '#123'],
    ['#my_room-2', '#my_room-2', '#my_room-2'],
    ['#_underscore_first', '#_underscore_first', '#_underscore_first'],
    ['#-dash-first', '#-dash-first', '#-dash-first'],
    ['#café', '#café', '#café'],
    ['#日本語', '#日本語', '#日本語'],
    ['  #dev  ', '#dev', '#dev'],
    ['＃ｄｅｖ', '#dev', '#dev'],
  ];
  for (const [raw, display, key] of ok) {
    test(`accepts ${JSON.stringify(raw)}`, () => {
      assert.deepEqual(parseRoom(raw), { display, key });
    });
  }

  test('32 characters after # accepted, 33 refused', () => {
    assert.equal(parseRoom('#' + 'r'.repeat(32)).display, '#' + 'r'.repeat(32));
    refuses(() => parseRoom('#' + 'r'.repeat(33)), 'bad_request', '33 chars');
  });

  test('32 CJK characters accepted (characters, not bytes), 33 refused', () => {
    assert.equal(parseRoom('#' + '部'.repeat(32)).display, '#' + '部'.repeat(32));
    refuses(() => parseRoom('#' + '部'.repeat(33)), 'bad_request', '33 CJK');
  });

  test('case-insensitive: keys of #Dev, #DEV and #dev are equal', () => {
    assert.equal(parseRoom('#Dev').key, parseRoom('#dev').key);
    assert.equal(parseRoom('#DEV').key, parseRoom('#dev').key);
  });

  const bad: Array<[string, string]> = [
    ['empty', ''],
    ['hash only', '#'],
    ['no hash', 'lobby'],
    ['double hash', '##lobby'],
    ['space inside', '#a b'],
    ['space after hash', '# lobby'],
    ['dot', '#a.b'],
    ['comma', '#a,b'],
    ['colon', '#a:b'],
    ['asterisk', '#a*'],
    ['star alone (who everyone, not a room)', '*'],
    ['emoji', '#😀'],
    ['bidi override', '#lo\u202ebby'],
    ['control character', '#lo\u0007bby'],
    ['IRC & prefix', '&lobby'],
    ['private stream key', '@'],
  ];
  for (const [label, raw] of bad) {
    test(`refuses ${label} with bad_request`, () =>
      refuses(() => parseRoom(raw), 'bad_request', label));
  }

  test('LOBBY is #lobby', () => {
    assert.deepEqual(LOBBY, parseRoom('#lobby'));
  });
});
