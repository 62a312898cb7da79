/**
 * A user's private stream is followed without a follower of its own until
 * its first message (an idle connection's size is what limits how many a
 * server holds, docs/performance.md): messages still arrive once each, in
 * order, for new guests and returning ones, and a Bus that lost doorbells
 * still repairs them on resync.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalBus } from '../../src/bus/local-bus.js';
import { Chat } from '../../src/core/chat.js';
import type { PrivateEvent, WelcomeEvent } from '../../src/protocol/messages.js';
import type { StoredMessage } from '../../src/store/store.js';
import { MemoryLeases } from '../../src/store/memory-leases.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { coreChatOptions, joinAs, RecordingPeer } from '../helpers/core-chat.js';

/** A LocalBus that can lose doorbells, and reconnect (resync) on demand. */
class LossyBus extends LocalBus {
  losing = false;
  private resyncs: Array<() => void> = [];
  override publish(message: StoredMessage): void {
    if (!this.losing) super.publish(message);
  }
  override onResync(callback?: () => void): void {
    if (callback) this.resyncs.push(callback);
  }
  resync(): void {
    for (const r of this.resyncs) r();
  }
}

function makeChat(bus: LocalBus = new LocalBus()): Chat {
  return new Chat(
    coreChatOptions({
      store: new MemoryStore((m) => bus.publish(m), 100),
      bus,
      leases: new MemoryLeases(),
      solo: true,
    }),
  );
}

function privates(peer: RecordingPeer): string[] {
  return peer.events
    .filter((e): e is PrivateEvent => e.type === 'private')
    .map((e) => `${e.from}:${e.text}`);
}

async function dm(chat: Chat, from: RecordingPeer, to: string, text: string, id: string) {
  const user = chat.users.get(from.id)!;
  chat.handle(user, { type: 'dm', id, to, text });
  await from.until((e) => e.type === 'ack' && e.id === id);
}

test('a new guest holds no private follower until a message comes, then gets every one', async () => {
  const chat = makeChat();
  await chat.start();
  const [alice, alicePeer] = await joinAs(chat, 'alice');
  const [, bobPeer] = await joinAs(chat, 'bob');
  const stream = chat.streams.privates.get(alice.privateStream)!;
  await stream.ready;
  assert.equal(stream.follower, undefined, 'idle: no follower');
  await dm(chat, bobPeer, 'alice', 'one', 'd1');
  await dm(chat, bobPeer, 'alice', 'two', 'd2');
  await alicePeer.settle(() => privates(alicePeer).length === 2);
  assert.notEqual(stream.follower, undefined, 'made by the first message');
  await dm(chat, bobPeer, 'alice', 'three', 'd3');
  await alicePeer.settle(() => privates(alicePeer).length === 3);
  assert.deepEqual(privates(alicePeer), ['bob:one', 'bob:two', 'bob:three']);
  chat.shutdown();
});

test('a guest back with its token gets live only what came after, and its replay on resume', async () => {
  const chat = makeChat();
  await chat.start();
  const first = new RecordingPeer('alice');
  await chat.login(first, { name: 'alice' });
  const welcome = (await first.until((e) => e.type === 'welcome')) as WelcomeEvent;
  const [, bobPeer] = await joinAs(chat, 'bob');
  await dm(chat, bobPeer, 'alice', 'before', 'd1');
  await first.settle(() => privates(first).length === 1);
  // The same guest on a new connection (its token): the old one gives way.
  const again = new RecordingPeer('alice2');
  await chat.login(again, { name: 'alice', session: welcome.session!, resume: { '@': 0 } });
  await again.until((e) => e.type === 'history' && e.room === '@');
  await dm(chat, bobPeer, 'alice', 'after', 'd2');
  await again.settle(() => privates(again).length === 1);
  const history = again.events.find((e) => e.type === 'history' && e.room === '@');
  assert.ok(history?.type === 'history');
  assert.deepEqual(
    history.messages.map((m) => m.text),
    ['before'],
  );
  // 'before' came by the replay only; live delivery starts after it.
  assert.deepEqual(privates(again), ['bob:after']);
  chat.shutdown();
});

test('doorbells lost while idle are repaired on resync, once each and in order', async () => {
  const bus = new LossyBus();
  const chat = makeChat(bus);
  await chat.start();
  const [alice, alicePeer] = await joinAs(chat, 'alice');
  const [, bobPeer] = await joinAs(chat, 'bob');
  await chat.streams.privates.get(alice.privateStream)!.ready;
  bus.losing = true;
  await dm(chat, bobPeer, 'alice', 'lost one', 'd1');
  await dm(chat, bobPeer, 'alice', 'lost two', 'd2');
  bus.losing = false;
  assert.deepEqual(privates(alicePeer), []);
  bus.resync();
  await alicePeer.settle(() => privates(alicePeer).length === 2);
  await dm(chat, bobPeer, 'alice', 'rung', 'd3');
  await alicePeer.settle(() => privates(alicePeer).length === 3);
  assert.deepEqual(privates(alicePeer), ['bob:lost one', 'bob:lost two', 'bob:rung']);
  chat.shutdown();
});
