/**
 * The history chunk's bytes (src/store/sqlite-chunk.ts): every field comes
 * back, whatever the text, and a read takes only the seqs it asks for.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeChunk, encodeChunk } from '../../src/store/sqlite-chunk.js';
import type { StoredMessage } from '../../src/store/store.js';

function message(seq: number, text: string, extra: Partial<StoredMessage> = {}): StoredMessage {
  return {
    stream: '#a',
    seq,
    ts: 1_700_000_000_000 + seq,
    from: 'Zoë',
    text,
    action: false,
    ...extra,
  };
}

describe('history chunks', () => {
  test('every field round-trips: non-ASCII, empty, a recipient, an action, a text past the buffer', () => {
    const big = 'ü'.repeat(70_000); // 140 KB of UTF-8: more than the first scratch buffer
    const messages = [
      message(41, 'hello'),
      message(42, '', { action: true }),
      message(43, 'psst 👍', { to: 'Dan', stream: '#a' }),
      message(44, big),
      message(45, 'a\tb \u00a0 ｆｕｌｌ', { from: 'x'.repeat(300), ts: 0.5 }),
    ];
    const bytes = Buffer.from(encodeChunk(messages, 41));
    const out: StoredMessage[] = [];
    decodeChunk(bytes, '#a', 41, 0, Infinity, out);
    assert.deepEqual(out, messages);
  });

  test('a read takes seqs lo..hi only, with gaps in the chunk', () => {
    const messages = [10, 11, 13, 17, 18].map((s) => message(s, `m${s}`));
    const bytes = Buffer.from(encodeChunk(messages, 10));
    const read = (lo: number, hi: number): number[] => {
      const out: StoredMessage[] = [];
      decodeChunk(bytes, '#a', 10, lo, hi, out);
      return out.map((m) => m.seq);
    };
    assert.deepEqual(read(11, 17), [11, 13, 17]);
    assert.deepEqual(read(12, 12), []);
    assert.deepEqual(read(18, 99), [18]);
    assert.deepEqual(read(0, 9), []);
  });
});
