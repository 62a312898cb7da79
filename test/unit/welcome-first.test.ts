/**
 * §4: the welcome is sent before any other event. While a login's history is
 * still being read (slow in cluster mode), what is told to it (others
 * joining and leaving, a private message) waits and follows the welcome
 * (found by a reliability probe: join and quit notices before the welcome,
 * which clients drop, and with them a dm to a guest logging in). What the
 * welcome's member list already shows is not told again after it (a
 * re-audit: someone both listed and announced as joining).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalBus } from '../../src/bus/local-bus.js';
import { Chat } from '../../src/core/chat.js';
import { MemoryLeases } from '../../src/store/memory-leases.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { coreChatOptions, joinAs, RecordingPeer } from '../helpers/core-chat.js';

test('what is told to a login while it reads its history follows its welcome', async (t) => {
  const bus = new LocalBus();
  const store = new MemoryStore((m) => bus.publish(m), 100);
  const chat = new Chat(coreChatOptions({ store, bus, leases: new MemoryLeases(), solo: true }));
  await chat.start();
  t.after(() => chat.shutdown());
  const [, carol] = await joinAs(chat, 'Carol');

  // Dana's history read (the first read from now on) waits until let go.
  let letGo!: () => void;
  const gate = new Promise<void>((resolve) => (letGo = resolve));
  let reading!: () => void;
  const danaReads = new Promise<void>((resolve) => (reading = resolve));
  let calls = 0;
  const gated =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (calls++ === 0) {
        reading();
        await gate;
      }
      return f(...args);
    };
  t.mock.method(store, 'readBefore', gated(store.readBefore.bind(store)));
  t.mock.method(store, 'read', gated(store.read.bind(store)));
  const dana = new RecordingPeer('dana');
  await chat.login(dana, { name: 'Dana' });
  await danaReads;

  const [bob] = await joinAs(chat, 'Bob');
  chat.handle(bob, { type: 'dm', id: 'd1', to: 'Dana', text: 'hi, new here?' });
  chat.disconnect(chat.users.get('carol')!, 'connection closed');
  await carol.until(() => true);
  assert.deepEqual(dana.events, [], 'nothing before the welcome');
  letGo();
  const welcome = await dana.until((e) => e.type === 'welcome');
  assert.equal(dana.events[0], welcome, `first: ${JSON.stringify(dana.events[0])}`);
  await dana.until((e) => e.type === 'private' && e.text === 'hi, new here?');
  assert.ok(
    'members' in welcome && welcome.members.includes('Bob') && !welcome.members.includes('Carol'),
    JSON.stringify(welcome),
  );
  // What the welcome's list already shows is not told again: Bob's join, Carol's leaving.
  const about = (who: string) =>
    dana.events.filter((e) => e.type === 'system' && 'user' in e && e.user === who);
  assert.deepEqual(about('Bob'), []);
  assert.deepEqual(about('Carol'), []);
  // Later changes are told as usual.
  await joinAs(chat, 'Eve');
  await dana.until((e) => e.type === 'system' && e.event === 'join' && e.user === 'Eve');
});
