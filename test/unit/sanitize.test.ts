/**
 * docs/protocol.md §1: control characters (C0 except TAB, DEL, C1) and every
 * ANSI/VT escape sequence are removed from user text, so no user can move
 * another's cursor or clear their terminal; telnet negotiation is removed from
 * the raw bytes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sanitizeLines, sanitizeText, stripTelnet } from '../../src/protocol/sanitize.js';
import { prng } from '../helpers/prng.js';

const ESC = '\x1b';
const BEL = '\x07';
const ST = `${ESC}\\`;

/** Anything a terminal could act on: C0 but TAB, DEL, C1, bidi controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const DANGEROUS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/u;

function hex(s: string): string {
  return [...s].map((c) => c.codePointAt(0)!.toString(16).padStart(2, '0')).join(' ');
}

describe('sanitizeText: CSI sequences', () => {
  const cases: Array<[string, string, string]> = [
    ['SGR red and reset', `${ESC}[31mred${ESC}[0m`, 'red'],
    ['clear screen', `${ESC}[2Jclear`, 'clear'],
    ['two params', `${ESC}[1;31mbold red${ESC}[m`, 'bold red'],
    ['24-bit colour', `${ESC}[38;2;255;0;0mtrue`, 'true'],
    ['cursor position', `a${ESC}[10;20Hb`, 'ab'],
    ['cursor up', `a${ESC}[5Ab`, 'ab'],
    ['erase line', `a${ESC}[Kb`, 'ab'],
    ['private mode (hide cursor)', `a${ESC}[?25lb`, 'ab'],
    ['alternate screen', `a${ESC}[?1049hb`, 'ab'],
    ['intermediate byte (cursor style)', `a${ESC}[2 qb`, 'ab'],
    ['scroll region', `a${ESC}[1;5rb`, 'ab'],
    ['no params', `a${ESC}[Hb`, 'ab'],
    ['unterminated at end of line', `abc${ESC}[31`, 'abc'],
    ['bare ESC [ at end', `abc${ESC}[`, 'abc'],
    ['8-bit CSI U+009B', '\u009b31mred\u009b0m', 'red'],
    ['8-bit CSI clear screen', 'a\u009b2Jb', 'ab'],
    ['8-bit CSI with params', 'a\u009b1;31mb', 'ab'],
    ['back to back', `${ESC}[1m${ESC}[31m${ESC}[4mx${ESC}[0m`, 'x'],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => assert.equal(sanitizeText(input), want));
  }
});

describe('sanitizeText: OSC and other string sequences', () => {
  const cases: Array<[string, string, string]> = [
    ['OSC title ended by BEL', `a${ESC}]0;evil title${BEL}b`, 'ab'],
    ['OSC title ended by ST', `a${ESC}]2;evil title${ST}b`, 'ab'],
    [
      'OSC 8 hyperlink keeps only the visible text',
      `a${ESC}]8;;http://x.test/${ST}link${ESC}]8;;${ST}b`,
      'alinkb',
    ],
    ['OSC 52 clipboard write', `a${ESC}]52;c;ZXZpbA==${BEL}b`, 'ab'],
    ['8-bit OSC ended by 8-bit ST', 'a\u009d0;title\u009cb', 'ab'],
    ['8-bit OSC ended by BEL', `a\u009d0;title${BEL}b`, 'ab'],
    ['OSC ended by 8-bit ST', `a${ESC}]0;t\u009cb`, 'ab'],
    ['DCS (sixel) ended by ST', `a${ESC}Pq#0;2;0;0;0#0~~${ST}b`, 'ab'],
    ['DCS DECRQSS ended by ST', `a${ESC}P$qm${ST}b`, 'ab'],
    ['8-bit DCS', 'a\u0090q#0~~\u009cb', 'ab'],
    ['SOS', `a${ESC}Xhidden${ST}b`, 'ab'],
    ['PM', `a${ESC}^hidden${ST}b`, 'ab'],
    ['APC', `a${ESC}_hidden${ST}b`, 'ab'],
    ['8-bit SOS/PM/APC', 'a\u0098x\u009cb\u009ey\u009cc\u009fz\u009cd', 'abcd'],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => assert.equal(sanitizeText(input), want));
  }

  test('an unterminated OSC leaves no escape and no control behind', () => {
    const out = sanitizeText(`ok${ESC}]0;never ended`);
    assert.ok(out.startsWith('ok'));
    assert.doesNotMatch(out, DANGEROUS);
  });
});

describe('sanitizeText: other ESC sequences', () => {
  const cases: Array<[string, string, string]> = [
    ['lone ESC at end', `abc${ESC}`, 'abc'],
    ['ESC alone', ESC, ''],
    ['two ESCs', `${ESC}${ESC}`, ''],
    ['RIS (full reset) ESC c', `a${ESC}cb`, 'ab'],
    ['DECSC/DECRC ESC 7 / ESC 8', `a${ESC}7b${ESC}8c`, 'abc'],
    ['charset ESC ( B', `a${ESC}(Bb`, 'ab'],
    ['DECALN ESC # 8', `a${ESC}#8b`, 'ab'],
    ['index ESC D / reverse index ESC M', `a${ESC}Db${ESC}Mc`, 'abc'],
    ['keypad ESC = / ESC >', `a${ESC}=b${ESC}>c`, 'abc'],
    ['ST on its own', `a${ST}b`, 'ab'],
    ['ESC before a CSI', `a${ESC}${ESC}[31mb`, 'ab'],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => assert.equal(sanitizeText(input), want));
  }

  test('a mixed soup of sequences', () => {
    assert.equal(
      sanitizeText(`x${ESC}[31m${ESC}]0;t${BEL}\u009b1m${ESC}P1$r${ST}${ESC}cy${ESC}`),
      'xy',
    );
  });
});

describe('lone surrogates (a JSON \\ud800 escape) become U+FFFD, as invalid UTF-8 does (§1)', () => {
  test('in a one-line and a multi-line text; pairs (emoji) are kept', () => {
    assert.equal(sanitizeText('lone \ud800 x \udc00'), 'lone \ufffd x \ufffd');
    assert.equal(sanitizeLines('a\ud83d\nb 😀'), 'a\ufffd\nb 😀');
    assert.equal(sanitizeText('👍🏽'), '👍🏽');
  });

  test('end to end: a JSON say with one reaches a JSON reader as U+FFFD', () => {
    const parsed = JSON.parse('{"text":"lone \\ud800 x"}') as { text: string };
    assert.equal(JSON.stringify(sanitizeText(parsed.text)), '"lone \ufffd x"');
  });
});

describe('sanitizeText: control characters', () => {
  test('every C0 control except TAB is removed', () => {
    for (let cp = 0x00; cp <= 0x1f; cp++) {
      if (cp === 0x09 || cp === 0x1b) continue; // TAB kept; ESC starts sequences (tested above)
      const ch = String.fromCharCode(cp);
      assert.equal(sanitizeText(`a${ch}b`), 'ab', `C0 ${hex(ch)}`);
    }
  });

  test('TAB is kept', () => {
    assert.equal(sanitizeText('a\tb\t'), 'a\tb\t');
  });

  test('CR, LF, BEL, BS, NUL, FF, VT are removed', () => {
    assert.equal(sanitizeText('a\rb\nc\x07d\x08e\x00f\x0cg\x0bh'), 'abcdefgh');
  });

  test('DEL is removed', () => {
    assert.equal(sanitizeText('a\x7fb'), 'ab');
  });

  test('every C1 control is removed', () => {
    for (let cp = 0x80; cp <= 0x9f; cp++) {
      const ch = String.fromCharCode(cp);
      // Alone at the end of the text it is simply dropped.
      assert.equal(sanitizeText(`a${ch}`), 'a', `C1 ${hex(ch)} at end`);
      // Followed by text, nothing dangerous survives (string introducers may eat the rest).
      const out = sanitizeText(`a${ch}b`);
      assert.ok(out.startsWith('a'), `C1 ${hex(ch)}`);
      assert.doesNotMatch(out, DANGEROUS, `C1 ${hex(ch)} left ${hex(out)}`);
    }
  });

  test('C1 controls that start no sequence are removed on their own', () => {
    const introducers = new Set([0x90, 0x98, 0x9b, 0x9d, 0x9e, 0x9f]);
    for (let cp = 0x80; cp <= 0x9f; cp++) {
      if (introducers.has(cp)) continue;
      const ch = String.fromCharCode(cp);
      assert.equal(sanitizeText(`a${ch}b`), 'ab', `C1 ${hex(ch)}`);
    }
  });

  test('NEL (U+0085) is removed, not turned into a line break', () => {
    assert.equal(sanitizeText('a\u0085b'), 'ab');
  });

  test('bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069 are removed', () => {
    const bidi = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];
    for (const cp of bidi) {
      const ch = String.fromCodePoint(cp);
      assert.equal(sanitizeText(`a${ch}b`), 'ab', `U+${cp.toString(16)}`);
    }
  });

  test('the classic RLO file-name spoof loses its override', () => {
    assert.equal(sanitizeText('invoice\u202Efdp.exe'), 'invoicefdp.exe');
  });
});

describe('sanitizeText: ordinary text is kept', () => {
  const kept = [
    'hello, world!',
    '',
    'café naïve Zoë Ångström façade',
    'e\u0301 (combining accent)',
    '你好世界 こんにちは 안녕하세요',
    'مرحبا שלום Привет Γειά',
    'देवनागरी தமிழ் ไทย',
    '👍 👍🏽 👨‍👩‍👧 🏳️‍🌈 ❤️',
    '𝄞 𠀀 (astral)',
    '¡¿«»€£¥ © ®',
    'non\u00a0breaking space',
    'replacement \ufffd char',
    'symbols: <>&"\'`~!@#$%^*()[]{}|\\/;:',
    '  leading and trailing spaces  ',
    '/not a command, just text',
  ];
  for (const s of kept) {
    test(`kept: ${JSON.stringify(s)}`, () => assert.equal(sanitizeText(s), s));
  }

  test('text around removed sequences keeps its order and spacing', () => {
    assert.equal(sanitizeText(`¡Hola ${ESC}[1m你好${ESC}[0m 👋!`), '¡Hola 你好 👋!');
  });
});

describe('sanitizeText: properties', () => {
  const alphabet = [
    ESC,
    '[',
    ']',
    'P',
    '\\',
    ';',
    '0',
    '3',
    'm',
    'J',
    '?',
    ' ',
    BEL,
    '\x00',
    '\r',
    '\n',
    '\t',
    '\x7f',
    '\u009b',
    '\u009c',
    '\u009d',
    '\u0090',
    '\u0085',
    '\u202e',
    '\u2066',
    'a',
    'é',
    '你',
    '👍',
  ];

  test('random soups never leave a control, escape or bidi character', () => {
    const rand = prng(42);
    for (let n = 0; n < 2000; n++) {
      let s = '';
      const len = Math.floor(rand() * 30);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
      const out = sanitizeText(s);
      assert.doesNotMatch(out, DANGEROUS, `input ${hex(s)} → ${hex(out)}`);
      assert.equal(sanitizeText(out), out, `not idempotent on ${hex(s)}`);
    }
  });
});

describe('sanitizeLines', () => {
  test('keeps LF line breaks', () => {
    assert.equal(sanitizeLines('one\ntwo\nthree'), 'one\ntwo\nthree');
  });

  test('CRLF becomes LF', () => {
    assert.equal(sanitizeLines('one\r\ntwo\r\nthree'), 'one\ntwo\nthree');
  });

  test('each line is sanitized', () => {
    assert.equal(
      sanitizeLines(`${ESC}[31mred${ESC}[0m\n${ESC}[2Jclear\x07\nplain`),
      'red\nclear\nplain',
    );
  });

  test('an unterminated OSC on one line does not eat the next line', () => {
    assert.equal(sanitizeLines(`a${ESC}]0;title\nb`), 'a\nb');
  });

  test('a lone CR (not before LF) is removed, not a line break', () => {
    assert.equal(sanitizeLines('a\rb\nc'), 'ab\nc');
  });

  test('empty lines in the middle are kept', () => {
    assert.equal(sanitizeLines('a\n\nb'), 'a\n\nb');
  });

  test('NEL and U+2028 are not line breaks the sanitizer invents', () => {
    assert.equal(sanitizeLines('a\u0085b'), 'ab');
  });

  test('single line behaves like sanitizeText', () => {
    const s = `x${ESC}[1m\u202ey\x7f`;
    assert.equal(sanitizeLines(s), sanitizeText(s));
  });

  test('bidi and C1 are removed on every line', () => {
    assert.equal(sanitizeLines('\u202ea\n\u009b2Jb\n\u2067c'), 'a\nb\nc');
  });

  test('the result never holds a control except LF and TAB', () => {
    const out = sanitizeLines(`\t${ESC}[1m1\r\n2\x00\n\u009d0;t\u009c3\n4${ESC}`);
    assert.equal(out, '\t1\n2\n3\n4');
    for (const line of out.split('\n')) assert.doesNotMatch(line, DANGEROUS);
  });
});

describe('stripTelnet', () => {
  const IAC = 0xff;
  const DONT = 0xfe;
  const DO = 0xfd;
  const WONT = 0xfc;
  const WILL = 0xfb;
  const SB = 0xfa;
  const SE = 0xf0;
  const t = (s: string): number[] => [...Buffer.from(s, 'utf8')];
  const strip = (bytes: number[]): string => stripTelnet(Buffer.from(bytes)).toString('utf8');

  test('a line without IAC is returned as is (same Buffer, no copy)', () => {
    const b = Buffer.from('hello', 'utf8');
    assert.equal(stripTelnet(b), b);
  });

  test('an empty line is returned as is', () => {
    const b = Buffer.alloc(0);
    assert.equal(stripTelnet(b).length, 0);
  });

  for (const [name, cmd] of [
    ['WILL', WILL],
    ['WONT', WONT],
    ['DO', DO],
    ['DONT', DONT],
  ] as const) {
    test(`IAC ${name} opt (3 bytes) is removed`, () => {
      assert.equal(strip([IAC, cmd, 0x01, ...t('hello')]), 'hello');
      assert.equal(strip([...t('he'), IAC, cmd, 0x1f, ...t('llo')]), 'hello');
      assert.equal(strip([...t('hello'), IAC, cmd, 0x03]), 'hello');
    });
  }

  test('a typical telnet opening burst is removed', () => {
    const burst = [IAC, DO, 0x03, IAC, WILL, 0x18, IAC, WILL, 0x1f, IAC, WILL, 0x20, IAC, DO, 0x01];
    assert.equal(strip([...burst, ...t('Alice')]), 'Alice');
  });

  test('IAC SB ... IAC SE (terminal type) is removed', () => {
    const sb = [IAC, SB, 0x18, 0x00, ...t('xterm-256color'), IAC, SE];
    assert.equal(strip([...t('hi'), ...sb, ...t(' there')]), 'hi there');
  });

  test('IAC SB NAWS with zero bytes inside is removed', () => {
    const naws = [IAC, SB, 0x1f, 0x00, 0x50, 0x00, 0x18, IAC, SE];
    assert.equal(strip([...naws, ...t('ok')]), 'ok');
  });

  test('an unterminated subnegotiation swallows the rest of the line', () => {
    assert.equal(strip([...t('abc'), IAC, SB, 0x18, ...t('xyz')]), 'abc');
  });

  test('IAC IAC (escaped 0xFF) is one 0xFF byte: invalid UTF-8, read as U+FFFD (§1)', () => {
    assert.equal(strip([...t('a'), IAC, IAC, ...t('b')]), 'a\uFFFDb');
  });

  test('IAC at the very end is a 0xFF byte, read as U+FFFD', () => {
    assert.equal(strip([...t('abc'), IAC]), 'abc\uFFFD');
  });

  test('an IAC before a byte that is no telnet command is a 0xFF byte, and that byte is text', () => {
    assert.equal(strip([...t('x'), IAC, ...t('AB')]), 'x\uFFFDAB');
    assert.equal(
      strip([...t('bad'), IAC, 0xfe, 0x20, ...t('utf')]),
      'badutf',
      'IAC DONT 0x20 is telnet',
    );
    assert.equal(strip([IAC, 0xc3, 0xa9]), '\uFFFDé');
  });

  test('IAC WILL truncated at the end is dropped', () => {
    assert.equal(strip([...t('abc'), IAC, WILL]), 'abc');
  });

  test('other two-byte commands (NOP, IP, AYT, GA, EL) are removed', () => {
    for (const cmd of [0xf1, 0xf4, 0xf6, 0xf9, 0xf8]) {
      assert.equal(strip([...t('a'), IAC, cmd, ...t('b')]), 'ab', `IAC ${cmd.toString(16)}`);
    }
  });

  test('multi-byte UTF-8 around IAC sequences survives intact', () => {
    const bytes = [...t('h'), IAC, DO, 0x01, ...t('é你'), IAC, WILL, 0x03, ...t('👍llo')];
    assert.equal(strip(bytes), 'hé你👍llo');
  });

  test('consecutive sequences of every kind in one line', () => {
    const bytes = [
      IAC,
      WILL,
      1,
      IAC,
      SB,
      24,
      0,
      ...t('vt100'),
      IAC,
      SE,
      IAC,
      0xf1,
      IAC,
      IAC,
      ...t('text'),
      IAC,
      DONT,
      5,
    ];
    assert.equal(strip(bytes), '\uFFFDtext');
  });

  test('the input buffer is not modified', () => {
    const input = Buffer.from([...t('a'), IAC, WILL, 1, ...t('b')]);
    const copy = Buffer.from(input);
    stripTelnet(input);
    assert.deepEqual(input, copy);
  });

  test('no negotiation survives: only the 0xFF bytes IAC IAC and a lone IAC stand for', () => {
    const bytes = [IAC, IAC, IAC, WILL, IAC, ...t('x'), IAC, SB, IAC, SE, IAC];
    assert.equal(strip(bytes), '\uFFFDx\uFFFD');
  });
});
