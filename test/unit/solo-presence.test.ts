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
import { coreChatOptions } from '../helpers/core-chat.js';
import type { Peer } from '../../src/core/model.js';
import type { ServerEvent } from '../../src/protocol/messages.js';
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

class Inbox implements Peer {
  readonly events: ServerEvent[] = [];
  private waiters: Array<() => void> = [];
  readonly address = '127.0.0.1';
  constructor(readonly id: string) {}
  send(event: ServerEvent): void {
    this.push(event);
  }
  sendAll(events: readonly ServerEvent[]): void {
    for (const e of events) this.push(e);
  }
  close(): void {}
  async until(pred: (e: ServerEvent) => boolean): Promise<void> {
    while (!this.events.some(pred)) await new Promise<void>((r) => this.waiters.push(r));
  }
  private push(event: ServerEvent): void {
    this.events.push(event);
    for (const w of this.waiters.splice(0)) w();
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
  const peers: Inbox[] = [];
  for (const name of ['alice', 'bob', 'carol']) {
    const peer = new Inbox(name);
    const user = await chat.login(peer, { name });
    await peer.until((e) => e.type === 'welcome');
    peers.push(peer);
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
