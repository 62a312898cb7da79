/**
 * Issue 4 item 8/9, docs/protocol.md §4 "Delivery guarantees": `kill -9` of a real
 * server process in the middle of traffic. Whatever was acked survives, intact,
 * at its seq; seqs continue after the restart (never reused); re-sending the
 * requests that were in flight stores each of them once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ackedOf, checkStored } from '../helpers/audit.js';
import { spawnServer } from '../helpers/server-process.js';
import { TrackedClient, until } from '../helpers/tracked-client.js';
import { prng } from '../helpers/prng.js';
import { Traffic } from '../helpers/traffic.js';
import { tempDir } from '../helpers/env.js';

const ACKS_BEFORE_KILL = 400;

test('kill -9 during traffic: every acked message is in history after a restart, and seq continues at top+1', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const first = await spawnServer(t, { db });
  const rand = prng(0x5eed_0001);
  const clients = ['Ann', 'Ben', 'Cyd', 'Dee'].map((n) => new TrackedClient(n));
  for (const c of clients) await c.connect(first.port, { history: 0 });
  const traffic = clients.map((c) => new Traffic(c, { window: 8, rooms: ['#lobby'], rand }));

  const acks = (): number => clients.reduce((n, c) => n + c.acks.size, 0);
  await until(clients, () => acks() >= ACKS_BEFORE_KILL, `${ACKS_BEFORE_KILL} acks`, 20_000);
  const exit = await first.stop('SIGKILL');
  assert.equal(exit.signal, 'SIGKILL');
  for (const tr of traffic) tr.stop();
  await until(clients, () => clients.every((c) => !c.connected), 'every connection dropped');

  const acked = ackedOf(clients);
  assert.ok(acked.length >= ACKS_BEFORE_KILL);
  assert.equal(new Set(acked.map((a) => a.seq)).size, acked.length, 'no two acks share a seq');
  const inFlight = clients.flatMap((c) => [...c.pending.values()]);
  assert.ok(inFlight.length > 0, 'the kill caught requests in flight');

  const second = await spawnServer(t, { db });
  const reader = new TrackedClient('Reader');
  await reader.connect(second.port, { history: 0 });
  t.after(() => reader.cut());
  const stored = await reader.pageHistory('#lobby');
  checkStored('#lobby', stored, acked);
  const top = stored.length;
  const maxAcked = Math.max(...acked.map((a) => a.seq));
  assert.ok(top >= maxAcked, `top ${top} ≥ highest acked seq ${maxAcked}`);
  // Nothing was stored that nobody sent: at most the acked plus those in flight.
  const sent = new Set([...acked.map((a) => a.text), ...inFlight.map((r) => r.text as string)]);
  for (const m of stored) assert.ok(sent.has(m.text as string), `stored but never sent: ${m.text}`);

  // A new append continues the stream: no seq is reused.
  const id = reader.say('#lobby', 'first after the crash');
  await reader.until(() => reader.acks.has(id), 'ack after the restart');
  assert.equal(reader.acks.get(id)?.seq, top + 1);

  // The senders come back and re-send what was in flight, with the same ids:
  // stored before the kill → the original seq; not stored → a new one.
  const storedSeq = new Map(stored.map((m) => [m.text as string, m.seq as number]));
  for (const c of clients) await c.connect(second.port, { resume: true, history: 0 });
  t.after(() => clients.forEach((c) => c.cut()));
  await until(clients, () => clients.every((c) => c.pending.size === 0), 're-sends acked');
  for (const req of inFlight) {
    const owner = clients.find((c) => c.requests.get(req.id as string) === req)!;
    const ack = owner.acks.get(req.id as string);
    assert.equal(ack?.type, 'ack', `${owner.name} ${String(req.id)} re-sent and acked`);
    const before = storedSeq.get(req.text as string);
    if (before !== undefined) assert.equal(ack.seq, before, `${String(req.id)} keeps its seq`);
    else assert.ok((ack.seq as number) > top + 1, `${String(req.id)} gets a new seq`);
  }
  const after = await reader.pageHistory('#lobby');
  checkStored('#lobby', after, ackedOf([...clients, reader]));
  assert.equal(
    after.length,
    top + 1 + inFlight.filter((r) => !storedSeq.has(r.text as string)).length,
  );
  t.diagnostic(
    `acked before the kill: ${acked.length}, in flight: ${inFlight.length} ` +
      `(${inFlight.filter((r) => storedSeq.has(r.text as string)).length} already stored), top: ${top}`,
  );
});
