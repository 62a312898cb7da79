/**
 * docs/protocol.md §4 "hello.resume": a client whose socket dies in the middle of
 * a stream of messages (the server already wrote them; the client never read
 * them) reconnects with its last seq and gets exactly what it missed, in
 * order, then the live messages, with nothing twice — in a room and in its
 * private stream `@`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ackedOf, assertClean, audit } from '../helpers/audit.js';
import { spawnServer } from '../helpers/server-process.js';
import { TrackedClient, until, type Json } from '../helpers/tracked-client.js';
import { prng } from '../helpers/prng.js';
import { Traffic } from '../helpers/traffic.js';
import { tempDir } from '../helpers/env.js';

/** The history events (no id) a client got on one connection, in order. */
function replays(c: TrackedClient, conn: number): Json[] {
  return c.objects
    .filter((x) => x.conn === conn && x.o.type === 'history' && x.o.id === undefined)
    .map((x) => x.o);
}

function isRun(seqs: number[], from: number): boolean {
  return seqs.every((s, i) => s === from + i);
}

test('a socket cut mid-stream resumes with exactly the missed messages, in order, then live ones', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const server = await spawnServer(t, { db });
  const rand = prng(0x5eed_0003);
  const victim = new TrackedClient('Vic');
  const senders = ['Ann', 'Ben', 'Cyd'].map((n) => new TrackedClient(n));
  const all = [victim, ...senders];
  t.after(() => all.forEach((c) => c.cut()));
  for (const c of all) await c.connect(server.port, { history: 0 });
  const traffic = senders.map((c) => new Traffic(c, { window: 4, rooms: ['#lobby'], rand }));
  const acks = (): number => senders.reduce((n, c) => n + c.acks.size, 0);

  await victim.until(() => victim.received.length >= 50, 'Vic got 50 messages');
  victim.pause();
  const pausedAt = acks();
  // These are written to Vic's socket but never read: they die with it.
  await until(senders, () => acks() >= pausedAt + 60, '60 more acks while Vic is not reading');
  victim.cut();
  const lastSeen = victim.last.get('#lobby')!.seq;
  await until(senders, () => senders.every((s) => s.quitsSeen('Vic') === 1), 'Vic seen gone');
  const missedAtLeast = acks() - lastSeen;

  await victim.connect(server.port, { resume: true, history: 0 });
  const resumedAt = acks();
  await until(senders, () => acks() >= resumedAt + 60, '60 acks after the resume');
  for (const tr of traffic) tr.stop();
  await until(senders, () => senders.every((c) => c.pending.size === 0), 'senders acked');
  await victim.fence();

  const [replay, ...moreReplays] = replays(victim, 2);
  assert.ok(replay, 'a replay on the new connection');
  assert.equal(moreReplays.length, 0);
  assert.equal(replay.room, '#lobby');
  assert.equal(replay.more, false);
  assert.equal(replay.gap, false);
  const replayed = (replay.messages as Json[]).map((m) => m.seq as number);
  assert.ok(replayed.length >= missedAtLeast, `replayed ${replayed.length} ≥ ${missedAtLeast}`);
  assert.ok(isRun(replayed, lastSeen + 1), `replay starts right after seq ${lastSeen}, no hole`);
  // On the new connection: the replay, then live messages, one run of seqs.
  const second = victim.stream('#lobby').filter((r) => r.conn === 2);
  assert.ok(
    isRun(
      second.map((r) => r.seq),
      lastSeen + 1,
    ),
    'replay then live, in order',
  );
  const firstLive = second.findIndex((r) => !r.replay);
  assert.ok(firstLive === replayed.length, 'all replayed messages come before the live ones');
  assert.ok(second.length > replayed.length, 'live messages after the replay');

  const stored = new Map([['#lobby', await senders[0]!.pageHistory('#lobby')]]);
  const result = audit(all, stored, ackedOf(all));
  assertClean(result);
  t.diagnostic(
    `missed while cut: ${replayed.length}, then live: ${second.length - replayed.length}`,
  );
});

test('the private stream "@": a cut client resumes its missed private messages, in order, once', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const server = await spawnServer(t, { db });
  const vic = new TrackedClient('Vic', { trackPrivate: true });
  const ann = new TrackedClient('Ann');
  t.after(() => [vic, ann].forEach((c) => c.cut()));
  // Asking to resume "@" at 0 on a first connection gives its epoch in the welcome.
  const welcome = await vic.connect(server.port, { history: 0, resume: { '@': 0 } });
  assert.deepEqual(welcome.rooms, ['#lobby'], 'resuming only "@" still joins #lobby');
  const epoch = (welcome.epochs as Record<string, string>)['@'];
  assert.equal(typeof epoch, 'string');
  await ann.connect(server.port, { history: 0 });

  const dms = (from: number, to: number): void => {
    for (let i = from; i <= to; i++) ann.dm('Vic', `psst ${i}`);
  };
  dms(1, 5);
  await vic.until(() => vic.stream('@').length === 5, 'Vic got 5 private messages');
  assert.deepEqual(
    vic.stream('@').map((r) => r.seq),
    [1, 2, 3, 4, 5],
    'private messages carry their seq in the recipient stream',
  );
  vic.pause();
  dms(6, 12);
  await ann.until(() => ann.pending.size === 0, 'dms acked (stored in Vic’s stream)');
  vic.cut();
  await ann.until(() => ann.quitsSeen('Vic') === 1, 'Vic seen gone');

  const again = await vic.connect(server.port, { resume: true, history: 0 });
  assert.equal((again.epochs as Record<string, string>)['@'], epoch, 'same stream, same epoch');
  dms(13, 15);
  await vic.until(() => vic.stream('@').length === 15, 'Vic got all 15');
  await vic.fence();
  const [replay] = replays(vic, 2).filter((h) => h.room === '@');
  assert.ok(replay, 'a replay of "@"');
  assert.equal(replay.epoch, epoch);
  assert.equal(replay.gap, false);
  assert.equal(replay.more, false);
  assert.deepEqual(
    (replay.messages as Json[]).map((m) => [m.type, m.seq, m.from, m.text]),
    [6, 7, 8, 9, 10, 11, 12].map((i) => ['private', i, 'Ann', `psst ${i}`]),
  );
  assert.deepEqual(
    vic.stream('@').map((r) => r.seq),
    Array.from({ length: 15 }, (_, i) => i + 1),
    'each private message once, in order',
  );
  assert.deepEqual(vic.duplicates, []);
});
