/**
 * docs/protocol.md §8 and §4: a server restarted with SIGTERM under connected,
 * chatting clients. Each client resumes its rooms and `@` from its last seq
 * and epoch and re-sends its unacked requests with the same ids; in the end
 * every client saw every other client's messages exactly once. A restart that
 * loses the history (a new --db) changes the epoch, and a resume gets a reset.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ackedOf, assertClean, audit, checkStored } from '../helpers/audit.js';
import { freePort, spawnServer } from '../helpers/server-process.js';
import { TrackedClient, until, type Json } from '../helpers/tracked-client.js';
import { prng } from '../helpers/prng.js';
import { Traffic } from '../helpers/traffic.js';
import { tempDir } from '../helpers/env.js';

const ROOMS = ['#lobby', '#dev'] as const;
const NAMES = ['Ann', 'Ben', 'Cyd', 'Dee', 'Eve'];
const PER_CLIENT = 120;

test('SIGTERM restart under traffic: every client resumes, re-sends, and sees every message exactly once', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const port = await freePort();
  const first = await spawnServer(t, { db, port });
  const rand = prng(0x5eed_0002);
  // Re-sends wait until everyone is back, so that a dm's recipient is online (see the dm test in idempotency.test.ts).
  const clients = NAMES.map(
    (n) => new TrackedClient(n, { trackPrivate: true, resendOnWelcome: false }),
  );
  t.after(() => clients.forEach((c) => c.cut()));
  const fresh = { '#lobby': 0, '#dev': 0, '@': 0 };
  for (const c of clients) await c.connect(first.port, { history: 0, resume: fresh });
  for (const c of clients) assert.deepEqual([...c.rooms], [...ROOMS]);
  const traffic = clients.map(
    (c) =>
      new Traffic(c, {
        window: 4,
        rooms: ROOMS,
        rand,
        limit: PER_CLIENT,
        dmShare: 0.2,
        dmTo: () => NAMES.filter((n) => n !== c.name)[Math.floor(rand() * (NAMES.length - 1))],
      }),
  );

  const acks = (): number => clients.reduce((n, c) => n + c.acks.size, 0);
  await until(clients, () => acks() >= 150, '150 acks before SIGTERM', 20_000);
  const exit = await first.stop('SIGTERM');
  assert.deepEqual(exit, { code: 0, signal: null }, 'SIGTERM exits 0');
  await until(clients, () => clients.every((c) => !c.connected), 'every client dropped');
  for (const c of clients) {
    assert.ok(
      c.objects.some((x) => x.o.type === 'system' && x.o.event === 'shutdown'),
      `${c.name} was told the server is shutting down`,
    );
  }
  const unackedAtStop = clients.reduce((n, c) => n + c.pending.size, 0);
  const receivedAtStop = clients.map((c) => c.received.length);

  for (const tr of traffic) tr.pause();
  const second = await spawnServer(t, { db, port });
  assert.equal(second.port, port);
  for (const c of clients) {
    const welcome = await c.connect(port, { resume: true, history: 0 });
    assert.deepEqual(welcome.rooms, [...ROOMS], `${c.name} rejoined its rooms`);
    assert.deepEqual(Object.keys(welcome.epochs as Json).sort(), ['#dev', '#lobby', '@']);
  }
  for (const c of clients) c.resendPending();
  for (const tr of traffic) tr.resume();
  await until(
    clients,
    () => traffic.every((tr) => tr.sent === PER_CLIENT) && clients.every((c) => !c.pending.size),
    'all traffic acked',
    30_000,
  );
  for (const c of clients) await c.fence();

  const acked = ackedOf(clients);
  assert.equal(
    acked.length + clients.reduce((n, c) => n + c.errors.size, 0),
    NAMES.length * PER_CLIENT,
  );
  assert.equal(
    clients.reduce((n, c) => n + c.errors.size, 0),
    0,
    `no refusals: ${JSON.stringify(clients.flatMap((c) => [...c.errors.values()]))}`,
  );
  const stored = new Map<string, Json[]>();
  for (const room of ROOMS) {
    const messages = await clients[0]!.pageHistory(room);
    checkStored(room, messages, acked);
    assert.equal(messages.length, acked.filter((a) => a.op === 'say' && a.where === room).length);
    stored.set(room, messages);
  }
  for (const c of clients) {
    const resets = c.objects.filter((x) => x.o.type === 'system' && x.o.event === 'reset');
    assert.deepEqual(resets, [], `${c.name}: same database, same epochs: no reset`);
  }
  const result = audit(clients, stored, acked);
  assertClean(result);
  assert.ok(
    clients.some((c, i) => c.received.length > receivedAtStop[i]!),
    'messages flowed after the restart',
  );
  t.diagnostic(
    `messages: ${acked.length}, unacked at SIGTERM: ${unackedAtStop}, ` +
      `deliveries checked: ${result.expected}, lost: ${result.lost.length}, duplicated: ${result.duplicated.length}`,
  );
});

test('a restart that lost the history (new --db) has a new epoch: resume gets reset and the recent history', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const first = await spawnServer(t, { db: join(dir, 'a.db'), port });
  const ann = new TrackedClient('Ann');
  const ben = new TrackedClient('Ben');
  t.after(() => [ann, ben].forEach((c) => c.cut()));
  await ann.connect(port, { history: 0 });
  await ben.connect(port, { history: 0 });
  for (let i = 1; i <= 3; i++) ann.say('#lobby', `old ${i}`);
  await ben.until(() => ben.stream('#lobby').length === 3, 'Ben got 3 messages');
  const oldEpoch = ben.last.get('#lobby')?.epoch;
  assert.equal(typeof oldEpoch, 'string');
  assert.equal(ben.last.get('#lobby')?.seq, 3);
  await first.stop('SIGTERM');
  await until([ann, ben], () => !ann.connected && !ben.connected, 'both dropped');

  await spawnServer(t, { db: join(dir, 'b.db'), port });
  await ann.connect(port, { history: 0 });
  // Seq 1 exists in the new history too: only the epoch tells it is another history.
  ann.say('#lobby', 'new 1');
  ann.say('#lobby', 'new 2');
  ann.say('#lobby', 'new 3');
  ann.say('#lobby', 'new 4');
  await ann.until(() => ann.pending.size === 0, 'acks');
  const from = ben.objects.length;
  const welcome = await ben.connect(port, {
    history: 2,
    resume: { '#lobby': { seq: 1, epoch: oldEpoch! } },
  });
  const newEpoch = (welcome.epochs as Record<string, string>)['#lobby'];
  assert.notEqual(newEpoch, oldEpoch, 'a lost history has a new epoch');
  await ben.fence();
  const after = ben.objects.slice(from).map((x) => x.o);
  const reset = after.findIndex((o) => o.type === 'system' && o.event === 'reset');
  assert.ok(reset >= 0, `a reset for #lobby: ${JSON.stringify(after)}`);
  assert.equal(after[reset]?.room, '#lobby');
  const history = after.find((o) => o.type === 'history');
  assert.ok(history && after.indexOf(history) > reset, 'the reset comes before the history');
  assert.equal(history.epoch, newEpoch);
  assert.deepEqual(
    (history.messages as Json[]).map((m) => [m.seq, m.text]),
    [
      [3, 'new 3'],
      [4, 'new 4'],
    ],
    'the recent history instead of a replay',
  );
});
