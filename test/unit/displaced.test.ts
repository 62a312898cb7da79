/**
 * §2: a client program whose session another login took over while it was
 * away does not take it back when it reconnects (`alias_taken`, detail
 * `displaced`); its own reconnects (its ghost) and a new program still take
 * a session over (found by a reliability probe: an old terminal's automatic
 * reconnect signed out the newer one, which then exited).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { LocalBus } from '../../src/bus/local-bus.js';
import { Chat } from '../../src/core/chat.js';
import { hashPassword } from '../../src/core/passwords.js';
import { ChatError } from '../../src/protocol/errors.js';
import { MemoryLeases } from '../../src/store/memory-leases.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { coreChatOptions, RecordingPeer } from '../helpers/core-chat.js';

/**
 * A solo chat with the account `name` (password "NAME password", lower
 * case), and a login of it as client program `instance` that waits for the welcome.
 */
async function chatWithAccount(t: TestContext, name: string) {
  const bus = new LocalBus();
  const store = new MemoryStore((m) => bus.publish(m), 100);
  const chat = new Chat(coreChatOptions({ store, bus, leases: new MemoryLeases(), solo: true }));
  await chat.start();
  t.after(() => chat.shutdown());
  const password = `${name.toLowerCase()} password`;
  await store.createAccount({
    key: name.toLowerCase(),
    name,
    hash: await hashPassword(password),
    operator: false,
    createdAt: 1,
  });
  const hello = (instance: string) => ({ name, password, instance });
  const login = async (peer: RecordingPeer, instance: string) => {
    const user = await chat.login(peer, hello(instance));
    await peer.until((e) => e.type === 'welcome');
    return user;
  };
  return { chat, hello, login };
}

test('a reconnect of a taken-over program is refused as displaced; its own ghost and a new program are not', async (t) => {
  const { chat, hello, login } = await chatWithAccount(t, 'Kim');

  const laptop = new RecordingPeer('laptop');
  await login(laptop, 'laptop-program');
  // The laptop sleeps; Kim signs in at a lab PC: the laptop's session goes.
  const lab = new RecordingPeer('lab');
  await login(lab, 'lab-pc-program');
  await laptop.until((e) => e.type === 'error' && e.code === 'alias_taken');

  // The laptop wakes and its client reconnects: refused, the lab PC stays.
  await assert.rejects(
    chat.login(new RecordingPeer('laptop-again'), hello('laptop-program')),
    (err: unknown) =>
      err instanceof ChatError && err.code === 'alias_taken' && err.detail === 'displaced',
  );
  assert.equal(chat.users.get('kim')?.peer, lab);
  assert.ok(!lab.events.some((e) => e.type === 'error'), 'the lab PC was not told anything');

  // The lab PC's own reconnect after a blip replaces its ghost, again and again.
  const labAgain = new RecordingPeer('lab-again');
  await login(labAgain, 'lab-pc-program');
  const labThird = new RecordingPeer('lab-third');
  await login(labThird, 'lab-pc-program');
  assert.equal(chat.users.get('kim')?.peer, labThird);

  // Kim starts chat-client anew on the laptop (a new program): it takes over.
  const fresh = new RecordingPeer('laptop-fresh');
  await login(fresh, 'laptop-program-2');
  assert.equal(chat.users.get('kim')?.peer, fresh);
});

test('a program whose connection had already dropped when another signed in is displaced too; its own quick return is not', async (t) => {
  const { chat, hello, login } = await chatWithAccount(t, 'Lena');

  // A blip: the laptop's connection drops and its own reconnect comes back.
  chat.disconnect(await login(new RecordingPeer('laptop'), 'laptop-program'), 'connection lost');
  await login(new RecordingPeer('laptop-back'), 'laptop-program');

  // Overnight: the laptop's connection times out; in the morning Lena signs
  // in at the lab, which takes nothing over (nothing was left to take).
  chat.disconnect(chat.users.get('lena')!, 'timed out');
  const lab = new RecordingPeer('lab');
  await login(lab, 'lab-pc-program');
  // The laptop wakes: its reconnect must not sign the lab PC out.
  await assert.rejects(
    chat.login(new RecordingPeer('laptop-wakes'), hello('laptop-program')),
    (err: unknown) =>
      err instanceof ChatError && err.code === 'alias_taken' && err.detail === 'displaced',
  );
  assert.equal(chat.users.get('lena')?.peer, lab);
});
