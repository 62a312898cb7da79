import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PasteParser, pastePiece, splitMessage, type InputPiece } from '../../src/client/paste.js';

const START = '\x1b[200~';
const END = '\x1b[201~';

/** Feed every chunk to one parser; all pieces in order. */
function feed(...chunks: string[]): InputPiece[] {
  const parser = new PasteParser();
  return chunks.flatMap((chunk) => parser.feed(chunk));
}

describe('PasteParser: bracketed paste', () => {
  it('takes a bracketed paste of several lines out as one paste, keys around it as keys', () => {
    assert.deepEqual(feed(`ab${START}one\rtwo\rthree${END}cd`), [
      { kind: 'text', text: 'ab' },
      { kind: 'paste', text: 'one\ntwo\nthree', complete: false },
      { kind: 'text', text: 'cd' },
    ]);
  });

  it('joins a paste spread over many chunks, markers cut anywhere past ESC [', () => {
    const input = `${START}line 1\r\nline 2\nline 3\r${END}x`;
    // Cuts at 1 and 2 would leave a lone ESC or ESC [: keys, not held (next test).
    for (let cut = 3; cut < input.length; cut++) {
      assert.deepEqual(
        feed(input.slice(0, cut), input.slice(cut)),
        [
          { kind: 'paste', text: 'line 1\nline 2\nline 3', complete: true },
          { kind: 'keys', text: 'x' },
        ],
        `cut at ${cut}`,
      );
    }
    const chars = [input.slice(0, 3), ...input.slice(3)];
    assert.deepEqual(
      feed(...chars).filter((p) => p.kind === 'paste'),
      [{ kind: 'paste', text: 'line 1\nline 2\nline 3', complete: true }],
    );
  });

  it('hands a single pasted line to readline to insert whole, Enter included', () => {
    assert.deepEqual(feed(`${START}just one line${END}`), [
      { kind: 'text', text: 'just one line' },
    ]);
    assert.deepEqual(feed(`${START}/join #dev\r${END}`), [{ kind: 'text', text: '/join #dev\r' }]);
    // A control key in it is a key: readline must act on it.
    assert.deepEqual(feed(`${START}ab\x1b[Dc${END}`), [{ kind: 'keys', text: 'ab\x1b[Dc' }]);
  });

  it('keeps a pasted Tab as text, and drops blank lines around a paste', () => {
    assert.deepEqual(feed(`${START}\r\r\tindented\r\rafter\r\r${END}`), [
      { kind: 'paste', text: '\tindented\n\nafter', complete: true },
    ]);
  });

  it('does not hold back Escape or Alt keys waiting for a marker', () => {
    assert.deepEqual(feed('\x1b'), [{ kind: 'keys', text: '\x1b' }]);
    assert.deepEqual(feed('\x1b['), [{ kind: 'keys', text: '\x1b[' }]);
    assert.deepEqual(feed('\x1b[A'), [{ kind: 'keys', text: '\x1b[A' }]);
    // Three characters of a start marker wait for the rest.
    assert.deepEqual(feed('\x1b[2'), []);
    assert.deepEqual(feed('\x1b[2', '~'), [{ kind: 'keys', text: '\x1b[2~' }]);
  });
});

describe('PasteParser: without bracketed paste', () => {
  it('takes a block of five lines or more arriving in one read as a paste', () => {
    assert.deepEqual(feed('one\rtwo\rthree\rfour\rfive\r'), [
      { kind: 'paste', text: 'one\ntwo\nthree\nfour\nfive', complete: true },
    ]);
    // No line break after the last line: it waits for the user's Enter (issue 9 §10).
    assert.deepEqual(feed('1\r2\r3\r4\rfive'), [
      { kind: 'paste', text: '1\n2\n3\n4\nfive', complete: false },
    ]);
  });

  it('runs a few lines in one read as typed: typed ahead, or delayed by a slow link', () => {
    // A hands-on trial: these went to the room as one message, the /msg with them.
    assert.deepEqual(feed('/msg Ann my password is hunter2\r/me waves\r'), [
      { kind: 'keys', text: '/msg Ann my password is hunter2\r/me waves\r' },
    ]);
    assert.deepEqual(feed('/join #x1\rhello x1\r'), [
      { kind: 'keys', text: '/join #x1\rhello x1\r' },
    ]);
    assert.deepEqual(feed('hello\rwor'), [{ kind: 'keys', text: 'hello\rwor' }]);
  });

  it('takes unmarked lines as typed once the terminal has shown it marks pastes', () => {
    const parser = new PasteParser();
    assert.deepEqual(parser.feed('\x1b[200~a\rb\x1b[201~'), [
      { kind: 'paste', text: 'a\nb', complete: false },
    ]);
    assert.deepEqual(parser.feed('1\r2\r3\r4\r5\r6\r'), [
      { kind: 'keys', text: '1\r2\r3\r4\r5\r6\r' },
    ]);
  });

  it('leaves typing alone: one line per read, and keys with control characters', () => {
    // Printable text with at most a final Enter is inserted whole.
    assert.deepEqual(feed('hello\r'), [{ kind: 'text', text: 'hello\r' }]);
    // A Tab asks for completion: keys.
    assert.deepEqual(feed('/jo\t'), [{ kind: 'keys', text: '/jo\t' }]);
    assert.deepEqual(feed('h', 'i', '\r'), [
      { kind: 'keys', text: 'h' },
      { kind: 'keys', text: 'i' },
      { kind: 'keys', text: '\r' },
    ]);
    assert.deepEqual(feed('a\r\x1b[Ab\r'), [{ kind: 'keys', text: 'a\r\x1b[Ab\r' }]);
    assert.deepEqual(feed('a\rb\r\x04'), [{ kind: 'keys', text: 'a\rb\r\x04' }]);
  });
});

describe('pastePiece', () => {
  it('is a paste only with a line break between two non-blank lines', () => {
    assert.deepEqual(pastePiece('a\nb'), { kind: 'paste', text: 'a\nb', complete: false });
    assert.deepEqual(pastePiece('a\nb\n'), { kind: 'paste', text: 'a\nb', complete: true });
    assert.deepEqual(pastePiece('x\ty'), { kind: 'text', text: 'x y' });
    assert.deepEqual(pastePiece('a\r\n\r\n'), { kind: 'keys', text: 'a\r\n\r\n' });
    assert.deepEqual(pastePiece('\ra'), { kind: 'keys', text: '\ra' });
  });
});

describe('splitMessage', () => {
  it('keeps a paste within the line limit as one message', () => {
    assert.deepEqual(splitMessage('a\nb\nc', 20, 16384), ['a\nb\nc']);
  });

  it('cuts a longer paste into messages of at most maxLines lines, in order', () => {
    const lines = Array.from({ length: 45 }, (_, i) => `line ${i + 1}`);
    const parts = splitMessage(lines.join('\n'), 20, 16384);
    assert.deepEqual(
      parts.map((p) => p.split('\n').length),
      [20, 20, 5],
    );
    assert.equal(parts.join('\n'), lines.join('\n'));
  });

  it('cuts by size so each request fits in a line the server accepts', () => {
    const line = 'x'.repeat(1000);
    const parts = splitMessage(Array(20).fill(line).join('\n'), 20, 4096);
    assert.ok(parts.length > 1);
    for (const part of parts) assert.ok(Buffer.byteLength(JSON.stringify(part)) <= 4096 - 512);
    assert.equal(parts.join('\n'), Array(20).fill(line).join('\n'));
  });

  it('cuts one line too long for a message into several, at spaces, losing nothing', () => {
    const words = Array.from({ length: 3000 }, (_, i) => `word${i}`);
    const line = words.join(' ');
    const parts = splitMessage(line, 20, 4096);
    assert.ok(parts.length >= 6, `${parts.length} parts`);
    for (const part of parts) {
      assert.ok(Buffer.byteLength(JSON.stringify(part)) <= 4096 - 512);
      // Every cut is after a space: no word is split.
      assert.match(part, /(?:^|\s)word\d+ ?$/u);
    }
    assert.equal(parts.join(''), line);
  });

  it('cuts a line without spaces between characters, counting JSON escapes and UTF-8', () => {
    // Emoji (4 bytes, a surrogate pair), quotes (escaped: 2 bytes) and a control character (6).
    const line = '👍"\u0001é'.repeat(2000);
    const parts = splitMessage(`before\n${line}\nafter`, 20, 2048);
    assert.equal(parts[0], 'before');
    assert.equal(parts.at(-1), 'after');
    const cut = parts.slice(1, -1);
    assert.ok(cut.length > 1);
    for (const part of cut) {
      assert.ok(Buffer.byteLength(JSON.stringify(part)) <= 2048 - 512);
      assert.ok(!/[\ud800-\udbff]$/u.test(part), 'no surrogate pair cut in two');
    }
    assert.equal(cut.join(''), line);
  });

  it('drops parts that would be blank', () => {
    assert.deepEqual(splitMessage('a\n\n\n', 1, 16384), ['a']);
  });
});
