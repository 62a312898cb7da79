/**
 * A sender's ack sits where its message is in the room's stream (docs/protocol.md
 * §4 "Order"), even when the store answers late: with Redis the script's reply
 * may come after the next message (said on another node) has been delivered.
 * The core, a memory store whose append answers only when the test says, and
 * two users.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalBus } from '../../src/bus/local-bus.js';
import { Chat } from '../../src/core/chat.js';
import { coreChatOptions, joinAs } from '../helpers/core-chat.js';
import { MemoryLeases } from '../../src/store/memory-leases.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { AppendResult, NewMessage, StoredMessage } from '../../src/store/store.js';

/**
 * Appends by `slow` are stored and announced at once, but answered only on
 * release(). `notes`: whether the ack can ride on the message to its fan-out
 * (one process); without, the sender's room is held until the answer (Redis).
 */
class LateStore extends MemoryStore {
  slow = '';
  override readonly publishesNotes: boolean;
  constructor(publish: (m: StoredMessage) => void, notes: boolean) {
    super(publish, 100);
    this.publishesNotes = notes;
  }
  private gate: Promise<void> = Promise.resolve();
  release: () => void = () => undefined;
  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }
  override async append(stream: string, msg: NewMessage, key?: string): Promise<AppendResult> {
    const r = await super.append(stream, msg, key);
    if (msg.from === this.slow) await this.gate;
    return r;
  }
}

/** The core on a LateStore with alice's appends held until release(), alice and bob in #lobby. */
async function heldAlice(notes: boolean) {
  const bus = new LocalBus();
  const store = new LateStore((m) => bus.publish(m), notes);
  const chat = new Chat(coreChatOptions({ store, bus, leases: new MemoryLeases() }));
  await chat.start();
  const [alice, ap] = await joinAs(chat, 'alice');
  const [bob, bp] = await joinAs(chat, 'bob');
  store.slow = 'alice';
  store.hold();
  return { store, chat, alice, ap, bob, bp };
}

for (const notes of [true, false]) {
  const how = notes ? 'acked by the fan-out' : 'the room held';
  test(`an ack answered late still comes before the messages said after it (${how})`, async () => {
    const { store, chat, alice, ap, bob, bp } = await heldAlice(notes);
    chat.handle(alice, { type: 'say', id: 'a1', room: '#lobby', text: 'first' });
    // Bob's message is stored after alice's and reaches her before her store answers.
    chat.handle(bob, { type: 'say', id: 'b1', room: '#lobby', text: 'second' });
    await bp.until((e) => e.type === 'ack' && e.id === 'b1');
    store.release();
    await ap.until((e) => e.type === 'ack' && e.id === 'a1');

    const seen = ap.events
      .filter((e) => e.type === 'ack' || e.type === 'message')
      .map((e) => (e.type === 'ack' ? `ack ${String(e.seq)}` : `message ${String(e.seq)}`));
    assert.deepEqual(seen, ['ack 1', 'message 2']);
    chat.shutdown();
  });

  test(`messages held behind a say in flight go out after its ack, in order (${how})`, async () => {
    const { store, chat, alice, ap, bob, bp } = await heldAlice(notes);
    chat.handle(alice, { type: 'say', id: 'a1', room: '#lobby', text: 'first' });
    for (const id of ['b1', 'b2', 'b3'])
      chat.handle(bob, { type: 'say', id, room: '#lobby', text: id });
    await bp.until((e) => e.type === 'ack' && e.id === 'b3');
    store.release();
    await ap.until((e) => e.type === 'message' && e.seq === 4);

    const seen = ap.events
      .filter((e) => e.type === 'ack' || e.type === 'message')
      .map((e) => (e.type === 'ack' ? `ack ${String(e.seq)}` : `message ${String(e.seq)}`));
    assert.deepEqual(seen, ['ack 1', 'message 2', 'message 3', 'message 4']);
    chat.shutdown();
  });
}

test("another sender's messages to two rooms reach a user with a say in flight in the order sent (the room held)", async () => {
  // Held one room only, the other room's messages passed the held ones
  // (cluster mode, docs/protocol.md §9).
  const { store, chat, alice, ap, bob, bp } = await heldAlice(false);
  chat.handle(alice, { type: 'join', id: 'j', room: '#dev' });
  await ap.until((e) => e.type === 'ack' && e.id === 'j');
  chat.handle(bob, { type: 'join', id: 'j', room: '#dev' });
  await bp.until((e) => e.type === 'ack' && e.id === 'j');
  chat.handle(alice, { type: 'say', id: 'a1', room: '#lobby', text: 'mine' });
  const rooms = ['#lobby', '#dev', '#lobby', '#dev', '#dev', '#lobby'];
  rooms.forEach((room, i) => chat.handle(bob, { type: 'say', id: `b${i}`, room, text: `b${i}` }));
  await bp.until((e) => e.type === 'ack' && e.id === `b${rooms.length - 1}`);
  store.release();
  await ap.until((e) => e.type === 'ack' && e.id === 'a1');
  await ap.until((e) => e.type === 'message' && e.text === `b${rooms.length - 1}`);
  const seen = ap.events
    .filter((e) => e.type === 'message' || (e.type === 'ack' && e.id === 'a1'))
    .map((e) => (e.type === 'message' ? String(e.text) : 'ack a1'));
  assert.deepEqual(seen, ['ack a1', 'b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
  chat.shutdown();
});
