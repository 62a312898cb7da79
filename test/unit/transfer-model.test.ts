/**
 * The file relay's pure parts (docs/protocol.md §5): one transfer's chunk
 * checks and its rewind on resume (transfer-model), and the per-connection
 * chunk budget (transfer-budget), without a chat.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Room, User, type Peer } from '../../src/core/model.js';
import { ChunkBudgets } from '../../src/core/transfer-budget.js';
import { rewind, takeChunk, type Transfer } from '../../src/core/transfer-model.js';
import { ChatError } from '../../src/protocol/errors.js';
import type { FileEvent } from '../../src/protocol/file-messages.js';
import { forEachKept } from '../../src/protocol/batch-bytes.js';
import type { ServerEvent } from '../../src/protocol/messages.js';
import { parseAlias, parseRoom } from '../../src/protocol/names.js';

function user(name: string, got: ServerEvent[] = []): User {
  const peer: Peer = {
    id: name,
    address: '127.0.0.1',
    mode: 'json',
    send: (e) => got.push(e),
    sendAll: (es, skip, instead) => forEachKept(es, skip, (e) => got.push(e), instead),
    close() {},
  };
  return new User(parseAlias(name), new Room(parseRoom('#lobby')), peer, 0);
}

function transfer(size: number, receiver = user('bob')): Transfer {
  const side = (u: User): Transfer['sender'] => ({
    user: u,
    key: u.name.key,
    display: u.name.display,
    online: true,
  });
  return {
    id: 't1',
    sender: side(user('ann')),
    receiver: side(receiver),
    size,
    name: 'f.bin',
    offer: { type: 'file-offer', id: 't1', from: 'ann', name: 'f.bin', size, sha256: '', ts: '' },
    state: 'accepted',
    nextSeq: 0,
    bytesRelayed: 0,
    acked: -1,
    ackedBytes: 0,
    unacked: [],
    receiverLost: false,
    senderResumes: true,
    receiverResumes: true,
    lastActivity: 0,
  };
}

/** Base64 of `n` bytes (n a multiple of 3, so no padding). */
const b64 = (n: number): string => Buffer.alloc(n, 7).toString('base64');

function code(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ChatError);
    return err.code;
  }
  return 'none';
}

test('a chunk is taken only in order, within the window, as base64, within the size', () => {
  const t = transfer(12);
  takeChunk(t, 0, b64(6), 2);
  assert.deepEqual(
    [t.nextSeq, t.bytesRelayed, t.unacked],
    [1, 6, [{ seq: 0, bytes: 6, wire: 8, delivered: false }]],
  );
  assert.equal(
    code(() => takeChunk(t, 0, b64(3), 2)),
    'bad_request',
    'a duplicate',
  );
  assert.equal(
    code(() => takeChunk(t, 2, b64(3), 2)),
    'bad_request',
    'out of order',
  );
  assert.equal(
    code(() => takeChunk(t, 1, 'a!b=', 2)),
    'bad_request',
    'not base64',
  );
  assert.equal(
    code(() => takeChunk(t, 1, '', 2)),
    'bad_request',
    'empty',
  );
  assert.equal(
    code(() => takeChunk(t, 1, b64(9), 2)),
    'too_large',
    'past the size',
  );
  assert.equal(
    code(() => takeChunk(t, 1, b64(3), 1)),
    'rate_limited',
    'window full',
  );
  takeChunk(t, 1, Buffer.alloc(5).toString('base64'), 2);
  assert.equal(t.bytesRelayed, 11, 'padding is not counted as data');
  assert.equal(t.nextSeq, 2);
});

test('rewind: after the last chunk the receiver still has, or the last it acknowledged', () => {
  const t = transfer(30);
  for (let seq = 0; seq < 4; seq++) takeChunk(t, seq, b64(6), 8);
  // Chunk 0 acknowledged; 1 and 2 written to the receiver; 3 still held.
  const first = t.unacked.shift()!;
  t.acked = 0;
  t.ackedBytes = first.bytes;
  t.unacked[0]!.delivered = true;
  t.unacked[1]!.delivered = true;
  t.state = 'ending';
  assert.equal(rewind(t), 3);
  assert.deepEqual([t.nextSeq, t.bytesRelayed, t.state], [3, 18, 'accepted']);
  t.receiverLost = true;
  assert.equal(rewind(t), 1, 'a new connection has seen nothing past the ack');
  assert.deepEqual([t.bytesRelayed, t.unacked.length, t.receiverLost], [6, 0, false]);
});

test('the chunk budget: one chunk always goes, the rest wait for acks, file-end stays behind', () => {
  const got: ServerEvent[] = [];
  const bob = user('bob', got);
  const t = transfer(60, bob);
  const budgets = new ChunkBudgets({ connectionBudgetBytes: 10 });
  const chunk = (seq: number): FileEvent => {
    takeChunk(t, seq, b64(6), 8);
    return { type: 'file-chunk', id: 't1', seq, data: b64(6) };
  };
  budgets.hold(bob, t, 0, chunk(0));
  budgets.hold(bob, t, 1, chunk(1));
  budgets.hold(bob, t, -1, { type: 'file-end', id: 't1' });
  assert.deepEqual(
    got.map((e) => e.type),
    ['file-chunk'],
    'the second chunk would pass the budget',
  );
  assert.deepEqual(
    t.unacked.map((u) => u.delivered),
    [true, false],
  );
  budgets.release(bob, 8);
  budgets.flush(bob);
  assert.deepEqual(
    got.map((e) => e.type),
    ['file-chunk', 'file-chunk', 'file-end'],
  );
  budgets.finish(bob, t);
  budgets.hold(bob, t, 2, chunk(2));
  assert.equal(got.length, 4, 'a finished transfer freed its share');
});
