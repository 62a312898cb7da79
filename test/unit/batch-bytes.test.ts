/**
 * A burst encoded once, and a sender's copy cut from it without its own
 * lines (split horizon): byte for byte what encoding the kept events alone
 * would give, multi-byte UTF-8 included.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EncodedBatch, forEachKept } from '../../src/protocol/batch-bytes.js';

const parts = ['<ann> hi\n', '<bob> é ü ß\n', '', '<ann> 日本語 🎉\n', '<cy> x\n'];

test('the batch is every part in order', () => {
  assert.equal(
    EncodedBatch.of(parts.map((p) => Buffer.from(p))).bytes.toString('utf8'),
    parts.join(''),
  );
});

const ascii = ['<ann> hi\n', '', '<bob> ok\n', '<cy> x\n'];

test('without(skip) is the kept parts, for every subset of indexes', () => {
  // From Buffers, and from strings (each written straight into the one Buffer).
  const batches = [parts, ascii].flatMap((set) => [
    { set, batch: EncodedBatch.of(set.map((p) => Buffer.from(p))) },
    { set, batch: EncodedBatch.ofTexts(set) },
    // As pieces: each part cut in up to three, multi-byte characters too.
    { set, batch: EncodedBatch.ofTexts(set.map((p) => [...p].map((c) => c))) },
  ]);
  for (const { set, batch } of batches) {
    for (let mask = 0; mask < 1 << set.length; mask++) {
      const skip = set.map((_, i) => i).filter((i) => mask & (1 << i));
      const kept = set.filter((_, i) => !(mask & (1 << i))).join('');
      assert.deepEqual(batch.without(skip), Buffer.from(kept, 'utf8'), `skip ${skip.join(',')}`);
    }
  }
});

test('nothing skipped: the shared bytes themselves, not a copy', () => {
  const batch = EncodedBatch.of(parts.map((p) => Buffer.from(p)));
  assert.equal(batch.without([]), batch.bytes);
});

test('forEachKept visits the items not skipped, in order', () => {
  const seen: string[] = [];
  forEachKept(['a', 'b', 'c', 'd', 'e'], [0, 2, 3], (x) => seen.push(x));
  assert.deepEqual(seen, ['b', 'e']);
  const all: string[] = [];
  forEachKept(['a', 'b'], undefined, (x) => all.push(x));
  assert.deepEqual(all, ['a', 'b']);
});
