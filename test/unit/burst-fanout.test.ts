/**
 * A burst of a room's messages (several stored in one turn) is fanned out as
 * one unit per member (docs/performance.md), also to the members who sent
 * some of it: they get the others' lines in order and never their own (split
 * horizon, docs/protocol.md §4), and a member the text names gets its own
 * copy flagged `mention`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalBus } from '../../src/bus/local-bus.js';
import { Chat } from '../../src/core/chat.js';
import { coreChatOptions, joinAs, RecordingPeer } from '../helpers/core-chat.js';
import { MemoryLeases } from '../../src/store/memory-leases.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

class TextPeer extends RecordingPeer {
  texts(): string[] {
    return this.events.flatMap((e) =>
      e.type === 'message' ? [`${e.from}: ${e.text}${e.mention ? ' (mention)' : ''}`] : [],
    );
  }
}

test('a burst reaches each member once, without its own lines, mentions flagged', async () => {
  const bus = new LocalBus();
  // SQLite: it takes a connection's says at once and commits them per turn.
  const store = new SqliteStore({ path: ':memory:', publish: (m) => bus.publish(m) });
  const chat = new Chat(
    coreChatOptions({
      store,
      bus,
      leases: new MemoryLeases(),
    }),
  );
  await chat.start();
  const join = (name: string) => joinAs(chat, name, new TextPeer(name));
  const [alice, ap] = await join('alice');
  const [bob, bp] = await join('bob');
  const [, cp] = await join('carol');

  // All handed over in one turn: one burst of four messages.
  chat.handle(alice, { type: 'say', room: '#lobby', text: 'a1' });
  chat.handle(bob, { type: 'say', room: '#lobby', text: 'b1' });
  chat.handle(alice, { type: 'say', room: '#lobby', text: 'a2 for Carol.' });
  chat.handle(bob, { type: 'say', room: '#lobby', text: 'b2' });
  await cp.settle(() => cp.texts().length === 4);
  await ap.settle(() => ap.texts().length === 2);
  await bp.settle(() => bp.texts().length === 2);

  assert.deepEqual(cp.texts(), [
    'alice: a1',
    'bob: b1',
    'alice: a2 for Carol. (mention)',
    'bob: b2',
  ]);
  assert.deepEqual(ap.texts(), ['bob: b1', 'bob: b2']);
  assert.deepEqual(bp.texts(), ['alice: a1', 'alice: a2 for Carol.']);
  // Alice and Bob got the burst as one unit each, not a call per message.
  assert.equal(ap.messageCalls, 1);
  assert.equal(bp.messageCalls, 1);
  chat.shutdown();
  await store.close();
});
