/**
 * A login whose store does not answer (Redis frozen: SIGSTOP, a partition
 * that drops packets) is answered `unavailable` at its deadline, and when
 * the store answers later it completes nothing: no takeover of the session
 * the client has opened since, no join (found by a reliability probe: an
 * abandoned hello was admitted 20 s later and signed its own client out).
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { LocalBus } from '../../src/bus/local-bus.js';
import { Chat } from '../../src/core/chat.js';
import { systemClock } from '../../src/core/clock.js';
import { LOGIN_STORE_MS, LoginDeadline } from '../../src/core/login-deadline.js';
import { hashPassword } from '../../src/core/passwords.js';
import { ChatError } from '../../src/protocol/errors.js';
import { MemoryLeases } from '../../src/store/memory-leases.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { coreChatOptions, RecordingPeer } from '../helpers/core-chat.js';

async function chatWithErin() {
  const bus = new LocalBus();
  const store = new MemoryStore((m) => bus.publish(m), 100);
  const chat = new Chat(coreChatOptions({ store, bus, leases: new MemoryLeases(), solo: true }));
  await chat.start();
  await store.createAccount({
    key: 'erin',
    name: 'Erin',
    hash: await hashPassword('erin password'),
    operator: false,
    createdAt: 1,
  });
  return { chat, store };
}

test('a login the store leaves waiting is refused as unavailable, and takes nothing over when the store answers', async (t) => {
  const { chat, store } = await chatWithErin();
  t.after(() => chat.shutdown());
  const live = new RecordingPeer('live');
  await chat.login(live, { name: 'Erin', password: 'erin password' });
  await live.until((e) => e.type === 'welcome');

  // The store freezes: the next account lookup answers only when let go.
  let letGo!: () => void;
  const frozen = new Promise<void>((resolve) => (letGo = resolve));
  const getAccount = store.getAccount.bind(store);
  t.mock.method(store, 'getAccount', async (key: string) => {
    await frozen;
    return getAccount(key);
  });
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
  t.after(() => mock.timers.reset());

  const abandoned = chat.login(new RecordingPeer('abandoned'), {
    name: 'Erin',
    password: 'erin password',
  });
  const refusal = assert.rejects(
    abandoned,
    (err: unknown) =>
      err instanceof ChatError && err.code === 'internal' && err.detail === 'unavailable',
  );
  mock.timers.tick(LOGIN_STORE_MS);
  await refusal;

  letGo();
  // Let the abandoned login's steps run to wherever they stop.
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(
    !live.events.some((e) => e.type === 'error'),
    `the live session was told: ${JSON.stringify(live.events.filter((e) => e.type === 'error'))}`,
  );
  assert.equal(chat.users.get('erin')?.peer, live, 'Erin is still the live session');
});

test('time a login holds back on purpose is added; what a step yields after the deadline goes to undo', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  t.after(() => mock.timers.reset());
  const deadline = new LoginDeadline(systemClock, 5000);
  let answer!: (v: string) => void;
  const held = deadline.wait(new Promise<string>((resolve) => (answer = resolve)));
  // A wrong password's hold-back of 8 s, found during the step: the store
  // still has its 5 s after it.
  deadline.extend(8000);
  mock.timers.tick(12_000);
  answer('in time');
  assert.equal(await held, 'in time');
  assert.equal(deadline.expired, false);

  let late!: (v: string) => void;
  const undone: string[] = [];
  const claim = deadline.wait(new Promise<string>((resolve) => (late = resolve)), (v) =>
    undone.push(v),
  );
  const refused = assert.rejects(
    claim,
    (err: unknown) => err instanceof ChatError && err.detail === 'unavailable',
  );
  mock.timers.tick(1000);
  await refused;
  assert.equal(deadline.expired, true);
  late('lease');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(undone, ['lease']);
  // Nothing more waits once it has passed.
  await assert.rejects(deadline.wait(Promise.resolve('next')), ChatError);
});
