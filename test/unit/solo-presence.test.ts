/**
 * One process alone on its leases (`solo`, what chat-server without --redis
 * runs): logins, /who and /rooms never scan the presence of everyone online,
 * which made each login cost O(users online) and a join storm of 5,000
 * clients not finish in 20 s (bench scenario c). In cluster mode (not solo)
 * the same requests do read other nodes' presence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalBus } from '../../src/bus/local-bus.js';
import { Chat } from '../../src/core/chat.js';
import { coreChatOptions, joinAs } from '../helpers/core-chat.js';
import type { Presence } from '../../src/store/lease.js';
import { MemoryLeases } from '../../src/store/memory-leases.js';
import { MemoryStore } from '../../src/store/memory-store.js';

class CountingLeases extends MemoryLeases {
  reads = 0;
  override presence(room: string): Promise<Presence[]> {
    this.reads++;
    return super.presence(room);
  }
}

async function presenceReads(solo: boolean): Promise<number> {
  const bus = new LocalBus();
  const leases = new CountingLeases();
  const chat = new Chat(
    coreChatOptions({
      store: new MemoryStore((m) => bus.publish(m), 100),
      bus,
      leases,
      solo,
    }),
  );
  await chat.start();
  for (const name of ['alice', 'bob', 'carol']) {
    const [user, peer] = await joinAs(chat, name);
    chat.handle(user, { type: 'who', id: 'w', room: '#lobby' });
    chat.handle(user, { type: 'rooms', id: 'r' });
    await peer.until((e) => e.type === 'rooms');
    await peer.until((e) => e.type === 'who');
  }
  chat.shutdown();
  return leases.reads;
}

test('a solo server never reads presence to log in, answer /who or /rooms', async () => {
  assert.equal(await presenceReads(true), 0);
});

test('a cluster node does read other nodes presence for the same requests', async () => {
  assert.ok((await presenceReads(false)) >= 9);
});
