/**
 * `/ban -addr NICK` when others are online from the same address (a class
 * behind one NAT, found in a class trial): refused with who would be shut
 * out and how to ban the name or, typed out, the address anyway. Core only:
 * tests connect from loopback, which has its own refusal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalBus } from '../../src/bus/local-bus.js';
import { Chat } from '../../src/core/chat.js';
import { hashPassword } from '../../src/core/passwords.js';
import type { ErrorEvent } from '../../src/protocol/messages.js';
import { MemoryLeases } from '../../src/store/memory-leases.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { coreChatOptions, joinAs, RecordingPeer } from '../helpers/core-chat.js';

test('an address ban of a nick whose address others share is refused, naming them; typed out it applies', async () => {
  const bus = new LocalBus();
  const store = new MemoryStore((m) => bus.publish(m), 100);
  const chat = new Chat(coreChatOptions({ store, bus, leases: new MemoryLeases(), solo: true }));
  await chat.start();
  await store.createAccount({
    key: 'teacher',
    name: 'Teacher',
    hash: await hashPassword('teacher password'),
    operator: true,
    createdAt: 1,
  });
  const opPeer = new RecordingPeer('teacher', '198.51.100.7');
  const op = await chat.login(opPeer, { name: 'Teacher', password: 'teacher password' });
  await opPeer.until((e) => e.type === 'welcome');
  await joinAs(chat, 'student21', new RecordingPeer('student21', '192.0.2.2'));
  const [, s22] = await joinAs(chat, 'student22', new RecordingPeer('student22', '192.0.2.2'));

  chat.handle(op, { type: 'ban', id: 'b1', name: 'student21', addr: true, reason: 'nat test' });
  const refused = (await opPeer.until((e) => e.type === 'error' && e.id === 'b1')) as ErrorEvent;
  assert.equal(refused.code, 'bad_request');
  assert.equal(
    refused.message,
    'student21 shares 192.0.2.2 with 1 other user online (student22): an address ban would shut them all out. Ban the name instead (/ban student21), or to ban the address anyway: /ban -addr 192.0.2.2',
  );
  assert.equal(chat.users.has('student22'), true);

  chat.handle(op, { type: 'ban', id: 'b2', address: '192.0.2.2' });
  assert.equal((await opPeer.until((e) => 'id' in e && e.id === 'b2')).type, 'ack');
  await s22.until((e) => e.type === 'system' && e.event === 'kick');
  chat.shutdown();
});
