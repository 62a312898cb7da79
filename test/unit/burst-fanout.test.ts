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
import { systemClock } from '../../src/core/clock.js';

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

test('mentions find a member at once after a join or a rename, whether or not the room pattern was made again', async () => {
  const bus = new LocalBus();
  const store = new SqliteStore({ path: ':memory:', publish: (m) => bus.publish(m) });
  // The room's pattern is made again at most once a second: `skew` moves the
  // clock past that, without it the word scan answers in between.
  let skew = 0;
  const clock = { ...systemClock, now: () => Date.now() + skew };
  const chat = new Chat(coreChatOptions({ store, bus, leases: new MemoryLeases(), clock }));
  await chat.start();
  const join = (name: string) => joinAs(chat, name, new TextPeer(name));
  const [alice] = await join('alice');
  const [bob, bp] = await join('bob');
  /** Alice says `text`; resolves with how each peer saw it. */
  const say = async (text: string, ...peers: TextPeer[]): Promise<string[]> => {
    chat.handle(alice, { type: 'say', room: '#lobby', text });
    const seen = (p: TextPeer): string | undefined =>
      p.texts().find((t) => t.startsWith(`alice: ${text}`));
    for (const p of peers) await p.settle(() => seen(p) !== undefined);
    return peers.map((p) => seen(p)!);
  };

  assert.deepEqual(await say('hi bob', bp), ['alice: hi bob (mention)']);
  const [, cp] = await join('carol');
  assert.deepEqual(await say('hi carol, within the second', bp, cp), [
    'alice: hi carol, within the second',
    'alice: hi carol, within the second (mention)',
  ]);
  skew += 2000;
  assert.deepEqual(await say('hi carol, a pattern later', cp), [
    'alice: hi carol, a pattern later (mention)',
  ]);
  chat.handle(bob, { type: 'nick', id: 'n1', name: 'robert' });
  await bp.until((e) => (e.type === 'ack' || e.type === 'error') && e.id === 'n1');
  assert.deepEqual(await say('hi robert', bp), ['alice: hi robert (mention)']);
  assert.deepEqual(await say('bob, after the rename', bp), ['alice: bob, after the rename']);
  skew += 2000;
  assert.deepEqual(await say('robert, a pattern later', bp), [
    'alice: robert, a pattern later (mention)',
  ]);
  assert.deepEqual(await say('bob, a pattern later', bp), ['alice: bob, a pattern later']);
  chat.shutdown();
  await store.close();
});
