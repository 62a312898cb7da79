/**
 * docs/protocol.md §1: LF-terminated lines, a CR before the LF dropped, a line longer
 * than maxLineBytes discarded up to its LF (one `too_long` per line) with the
 * connection, and the next line, unaffected.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DISCARDED_HEAD_BYTES, LineFramer, type Frame } from '../../src/protocol/framing.js';
import { prng } from '../helpers/prng.js';

const TOO_LONG = '<too_long>';

/** One frame as a string: the line's bytes (as latin1, so every byte shows) or TOO_LONG. */
function show(f: Frame): string {
  return f.kind === 'too_long' ? TOO_LONG : f.bytes.toString('latin1');
}

/** Feed `chunks` in order and return every frame produced. */
function feed(max: number, chunks: Array<Buffer | string>): string[] {
  const framer = new LineFramer(max);
  const out: string[] = [];
  for (const c of chunks) {
    const buf = typeof c === 'string' ? Buffer.from(c, 'latin1') : c;
    out.push(...framer.push(buf).map(show));
  }
  return out;
}

/** Split a byte string into 1-byte chunks. */
function bytewise(s: string): string[] {
  return [...Buffer.from(s, 'latin1')].map((b) => String.fromCharCode(b));
}

/** Split `s` into random chunks (some empty) using `rand`. */
function randomChunks(s: string, rand: () => number): string[] {
  const chunks: string[] = [];
  let i = 0;
  while (i < s.length) {
    const n = Math.floor(rand() * 7); // 0..6, 0 gives an empty chunk
    chunks.push(s.slice(i, i + n));
    i += n;
  }
  return chunks;
}

describe('LineFramer: basic lines', () => {
  test('one line in one chunk', () => {
    assert.deepEqual(feed(100, ['hello\n']), ['hello']);
  });

  test('several lines in one chunk, in order', () => {
    assert.deepEqual(feed(100, ['one\ntwo\nthree\n']), ['one', 'two', 'three']);
  });

  test('several CRLF lines in one chunk', () => {
    assert.deepEqual(feed(100, ['one\r\ntwo\r\nthree\r\n']), ['one', 'two', 'three']);
  });

  test('mixed LF and CRLF lines in one chunk', () => {
    assert.deepEqual(feed(100, ['a\nb\r\nc\n']), ['a', 'b', 'c']);
  });

  test('a line without its LF yet produces nothing', () => {
    assert.deepEqual(feed(100, ['no newline yet']), []);
  });

  test('the rest of a line completes with the next chunk', () => {
    assert.deepEqual(feed(100, ['hel', 'lo\nwor', 'ld\n']), ['hello', 'world']);
  });

  test('a trailing partial line is held until its LF arrives', () => {
    assert.deepEqual(feed(100, ['a\nb\nparti', 'al', '\n']), ['a', 'b', 'partial']);
  });

  test('a line split over many 1-byte chunks', () => {
    assert.deepEqual(feed(100, bytewise('hello, world\n')), ['hello, world']);
  });

  test('several lines fed 1 byte at a time', () => {
    assert.deepEqual(feed(100, bytewise('ab\r\ncd\nef\r\n')), ['ab', 'cd', 'ef']);
  });

  test('empty chunks change nothing', () => {
    assert.deepEqual(feed(100, ['', 'ab', '', '', 'c\n', '']), ['abc']);
  });

  test('empty lines produce no non-empty frame (they are ignored upstream)', () => {
    const frames = feed(100, ['\n', '\r\n', '\n\n', 'x\n']);
    assert.equal(frames.at(-1), 'x');
    for (const f of frames.slice(0, -1)) assert.equal(f, '');
  });
});

describe('LineFramer: CR handling', () => {
  test('CRLF: the CR before the LF is dropped', () => {
    assert.deepEqual(feed(100, ['hello\r\n']), ['hello']);
  });

  test('CRLF split between chunks: CR at the end of one, LF at the start of the next', () => {
    assert.deepEqual(feed(100, ['hello\r', '\nnext\r', '\n']), ['hello', 'next']);
  });

  test('CR alone in its own chunk between the text and the LF', () => {
    assert.deepEqual(feed(100, ['hello', '\r', '\n']), ['hello']);
  });

  test('a CR that is not before the LF is kept (the sanitizer removes it later)', () => {
    assert.deepEqual(feed(100, ['a\rb\n']), ['a\rb']);
  });

  test('only one CR is dropped before the LF', () => {
    assert.deepEqual(feed(100, ['a\r\r\n']), ['a\r']);
  });

  test('a CR at the end of a held chunk is not a line end by itself', () => {
    assert.deepEqual(feed(100, ['a\r', 'b\n']), ['a\rb']);
  });
});

describe('LineFramer: bytes, not characters', () => {
  test('a multi-byte UTF-8 character split between chunks is reassembled', () => {
    const bytes = Buffer.from('héllo 你好\n', 'utf8');
    const framer = new LineFramer(100);
    const frames: Frame[] = [];
    for (const b of bytes) frames.push(...framer.push(Buffer.from([b])));
    assert.equal(frames.length, 1);
    const f = frames[0];
    assert.ok(f && f.kind === 'line');
    assert.equal(f.bytes.toString('utf8'), 'héllo 你好');
  });

  test('maxLineBytes counts bytes: 5 two-byte characters exceed 8 bytes', () => {
    const framer = new LineFramer(8);
    const frames = framer.push(Buffer.from('ééééé\nok\n', 'utf8'));
    assert.deepEqual(frames.map(show), [TOO_LONG, 'ok']);
  });

  test('4 two-byte characters fit exactly in 8 bytes', () => {
    const framer = new LineFramer(8);
    const frames = framer.push(Buffer.from('éééé\n', 'utf8'));
    const f = frames[0];
    assert.equal(frames.length, 1);
    assert.ok(f && f.kind === 'line');
    assert.equal(f.bytes.toString('utf8'), 'éééé');
  });

  test('held bytes are copied: reusing the chunk buffer afterwards does not corrupt the line', () => {
    const framer = new LineFramer(100);
    const chunk = Buffer.from('abc', 'latin1');
    assert.deepEqual(framer.push(chunk), []);
    chunk.fill(0x78); // the socket reuses its memory
    assert.deepEqual(framer.push(Buffer.from('def\n')).map(show), ['abcdef']);
  });

  test('NUL and other bytes pass through untouched (sanitizing is not framing)', () => {
    assert.deepEqual(feed(100, ['a\u0000b\u00ffc\n']), ['a\u0000b\u00ffc']);
  });
});

describe('LineFramer: exact length boundary (maxLineBytes = 8)', () => {
  const max = 8;
  const exact = '12345678';
  const over = '123456789';

  for (const [label, split] of [
    ['one chunk', (s: string) => [s]],
    ['1-byte chunks', bytewise],
    ['LF in its own chunk', (s: string) => [s.slice(0, s.indexOf('\n')), s.slice(s.indexOf('\n'))]],
  ] as const) {
    test(`${label}: exactly maxLineBytes, LF only → accepted`, () => {
      assert.deepEqual(feed(max, split(`${exact}\n`)), [exact]);
    });

    test(`${label}: exactly maxLineBytes, CRLF → accepted (CR not counted)`, () => {
      assert.deepEqual(feed(max, split(`${exact}\r\n`)), [exact]);
    });

    test(`${label}: maxLineBytes + 1, LF only → too_long`, () => {
      assert.deepEqual(feed(max, split(`${over}\n`)), [TOO_LONG]);
    });

    test(`${label}: maxLineBytes + 1, CRLF → too_long`, () => {
      assert.deepEqual(feed(max, split(`${over}\r\n`)), [TOO_LONG]);
    });

    test(`${label}: a line of maxLineBytes - 1 bytes then CRLF → accepted`, () => {
      assert.deepEqual(feed(max, split('1234567\r\n')), ['1234567']);
    });
  }

  test('exact-length line with CR in one chunk and LF in the next', () => {
    assert.deepEqual(feed(max, [`${exact}\r`, '\n']), [exact]);
  });

  test('over-long line whose CR ends one chunk and LF starts the next', () => {
    assert.deepEqual(feed(max, [`${over}\r`, '\nok\n']), [TOO_LONG, 'ok']);
  });

  test('exact-length line held without its LF, then a too-long continuation', () => {
    assert.deepEqual(feed(max, [exact, '9', '0', '\nok\n']), [TOO_LONG, 'ok']);
  });
});

describe('LineFramer: too-long lines', () => {
  test('a too-long line in one chunk is discarded and the next line in the same chunk is fine', () => {
    assert.deepEqual(feed(8, ['x'.repeat(50) + '\nhello\n']), [TOO_LONG, 'hello']);
  });

  test('a too-long line over many chunks gives exactly one too_long, then the next line is fine', () => {
    const chunks = [...Array.from({ length: 20 }, () => 'x'.repeat(7)), 'x\n', 'next\n'];
    assert.deepEqual(feed(8, chunks), [TOO_LONG, 'next']);
  });

  test('a too-long line fed 1 byte at a time gives one too_long, then the next line is fine', () => {
    assert.deepEqual(feed(8, bytewise('x'.repeat(40) + '\r\nok\r\n')), [TOO_LONG, 'ok']);
  });

  test('too_long is reported at the LF that ends the line, however long it streams first', () => {
    const framer = new LineFramer(8);
    assert.deepEqual(framer.push(Buffer.from('x'.repeat(20))).map(show), []);
    assert.deepEqual(framer.push(Buffer.from('y'.repeat(1000))).map(show), []);
    assert.deepEqual(framer.push(Buffer.from('z'.repeat(5))).map(show), []);
    // Its LF ends the discard with one refusal; the next line is delivered whole.
    assert.deepEqual(framer.push(Buffer.from('zz\nfine\n')).map(show), [TOO_LONG, 'fine']);
  });

  test('the text after the discarded line in the LF chunk is not lost', () => {
    const framer = new LineFramer(8);
    assert.deepEqual(framer.push(Buffer.from('x'.repeat(20))).map(show), []);
    assert.deepEqual(framer.push(Buffer.from('x\nhel')).map(show), [TOO_LONG]);
    assert.deepEqual(framer.push(Buffer.from('lo\n')).map(show), ['hello']);
  });

  test('a discarded line keeps its first and last bytes (DISCARDED_HEAD_BYTES each), however it arrives', () => {
    const line = 'H'.repeat(10) + 'm'.repeat(1000) + 'T'.repeat(10);
    const head = line.slice(0, DISCARDED_HEAD_BYTES);
    const tail = line.slice(-DISCARDED_HEAD_BYTES);
    const rand = prng(7);
    for (const chunks of [
      [`${line}\r\n`],
      bytewise(`${line}\n`),
      randomChunks(`${line}\r\n`, rand),
    ]) {
      const framer = new LineFramer(100);
      const frames = chunks.flatMap((c) => framer.push(Buffer.from(c, 'latin1')));
      assert.equal(frames.length, 1);
      const f = frames[0]!;
      assert.ok(f.kind === 'too_long');
      assert.equal(f.head.toString('latin1'), head);
      assert.equal(f.tail.toString('latin1'), tail, 'the CR before the LF is not kept');
    }
  });

  test('a line being discarded when the input ends is refused then, with its last bytes', () => {
    const framer = new LineFramer(8);
    assert.deepEqual(framer.push(Buffer.from('a'.repeat(30) + 'END')).map(show), []);
    const last = framer.end();
    assert.ok(last?.kind === 'too_long');
    assert.match(last.tail.toString('latin1'), /aEND$/u);
    assert.equal(framer.end(), undefined);
    // A held over-long line without its LF (one byte over, the room a CR gets).
    const held = new LineFramer(8);
    held.push(Buffer.from('123456789'));
    assert.equal(held.end()?.kind, 'too_long');
    const fits = new LineFramer(8);
    fits.push(Buffer.from('12345678'));
    const f = fits.end();
    assert.ok(f?.kind === 'line');
    assert.equal(f.bytes.toString(), '12345678');
  });

  test('each of several too-long lines in a row gives its own too_long', () => {
    const long = 'x'.repeat(30);
    assert.deepEqual(feed(8, [`${long}\n${long}\n${long}\nok\n`]), [
      TOO_LONG,
      TOO_LONG,
      TOO_LONG,
      'ok',
    ]);
  });

  test('too-long lines interleaved with good ones', () => {
    const long = 'y'.repeat(9);
    assert.deepEqual(feed(8, [`a\n${long}\nb\n${long}\r\nc\r\n`]), [
      'a',
      TOO_LONG,
      'b',
      TOO_LONG,
      'c',
    ]);
  });

  test('a good line then an overflowing held remainder in the same chunk', () => {
    assert.deepEqual(feed(8, ['good\n' + 'z'.repeat(30), '\nafter\n']), [
      'good',
      TOO_LONG,
      'after',
    ]);
  });

  test('default-size limit (16384): 16384 bytes accepted, 16385 refused', () => {
    const framer = new LineFramer(16384);
    const ok = framer.push(Buffer.from('a'.repeat(16384) + '\r\n'));
    assert.equal(ok.length, 1);
    assert.ok(ok[0]?.kind === 'line' && ok[0].bytes.length === 16384);
    assert.deepEqual(framer.push(Buffer.from('a'.repeat(16385) + '\n')).map(show), [TOO_LONG]);
  });
});

describe('LineFramer: chunking never changes the result', () => {
  const stream =
    'alpha\r\n' +
    'x'.repeat(25) +
    '\n' +
    'beta\n' +
    '\r\n' +
    '12345678\r\n' +
    '123456789\n' +
    'ga\rma\n' +
    'y'.repeat(9) +
    '\r\n' +
    'end\n';

  const expected = feed(8, [stream]);

  test('reference result in one chunk', () => {
    assert.deepEqual(expected, [
      'alpha',
      TOO_LONG,
      'beta',
      '',
      '12345678',
      TOO_LONG,
      'ga\rma',
      TOO_LONG,
      'end',
    ]);
  });

  test('1-byte chunks', () => {
    assert.deepEqual(feed(8, bytewise(stream)), expected);
  });

  for (let seed = 1; seed <= 50; seed++) {
    test(`random chunking, seed ${seed}`, () => {
      assert.deepEqual(feed(8, randomChunks(stream, prng(seed))), expected);
    });
  }
});
