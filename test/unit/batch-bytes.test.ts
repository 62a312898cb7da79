/**
 * A burst encoded once, and a sender's copy cut from it without its own
 * lines (split horizon): byte for byte what encoding the kept events alone
 * would give, multi-byte UTF-8 included.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EncodedBatch, forEachKept, type Bytes } from '../../src/protocol/batch-bytes.js';

/** The bytes of a Buffer or of pieces laid end to end. */
const joined = (b: Bytes): Buffer => (Buffer.isBuffer(b) ? b : Buffer.concat(b));

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
      const cut = batch.without(skip);
      assert.deepEqual(joined(cut), Buffer.from(kept, 'utf8'), `skip ${skip.join(',')}`);
      assert.equal(joined(cut).length, Buffer.byteLength(kept));
      assert.equal(cut.length === 0, kept === '', 'empty exactly when nothing is kept');
      if (!Buffer.isBuffer(cut))
        for (const piece of cut) assert.ok(piece.length > 0, 'no empty piece');
    }
  }
});

test('nothing skipped: the shared bytes themselves, not a copy', () => {
  const batch = EncodedBatch.of(parts.map((p) => Buffer.from(p)));
  assert.equal(batch.without([]), batch.bytes);
});

test('a cut is views of the shared bytes and the stand-ins, never a copy', () => {
  const batch = EncodedBatch.of(parts.map((p) => Buffer.from(p)));
  const ack = Buffer.from('{"type":"ack"}\n');
  const cut = batch.without([1, 3], [ack, undefined]);
  assert.ok(!Buffer.isBuffer(cut));
  assert.deepEqual(
    joined(cut).toString('utf8'),
    parts[0]! + ack.toString() + parts[2]! + parts[4]!,
  );
  for (const piece of cut) {
    assert.ok(piece === ack || piece.buffer === batch.bytes.buffer, 'a view, not a copy');
  }
  // One piece left: that piece itself.
  assert.ok(Buffer.isBuffer(batch.without([1, 2, 3, 4])));
});

test('forEachKept visits the items not skipped, in order', () => {
  const seen: string[] = [];
  forEachKept(['a', 'b', 'c', 'd', 'e'], [0, 2, 3], (x) => seen.push(x));
  assert.deepEqual(seen, ['b', 'e']);
  const all: string[] = [];
  forEachKept(['a', 'b'], undefined, (x) => all.push(x));
  assert.deepEqual(all, ['a', 'b']);
});
