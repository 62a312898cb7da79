/**
 * Issue 4 item 9: a bounded soak. Ten clients chat in two rooms and send
 * private messages while, a few at a time, they lose their connection (cut
 * mid-stream, stalled then cut, or quit) and come back with hello.resume,
 * re-sending what was unacked. A watcher that never drops sends too. In the
 * end nobody lost or received twice any message. Bounded by a cycle count and
 * a time budget. Each lane of drops and each sender has its own seeded PRNG,
 * so a failing run replays the same schedule of drops and messages.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ackedOf, assertClean, audit, checkStored, explainDuplicate } from '../helpers/audit.js';
import { spawnServer } from '../helpers/server-process.js';
import { TrackedClient, until, type Json } from '../helpers/tracked-client.js';
import { prng } from '../helpers/prng.js';
import { Traffic } from '../helpers/traffic.js';
import { tempDir } from '../helpers/env.js';

/** Every actor (each lane of drops, each sender) has its own PRNG seeded from this. */
const SEED = 0x5eed_0004;
const CLIENTS = 10;
const CYCLES = 200;
/** Concurrent droppers: up to this many clients are away at once. */
const LANES = 3;
const BUDGET_MS = 20_000;
const ROOMS = ['#lobby', '#soak'] as const;

type Drop = 'cut' | 'stall' | 'quit';

test(`soak: ${CYCLES} reconnect cycles over ${CLIENTS} clients lose and duplicate nothing`, async (t) => {
  const started = Date.now();
  const db = join(tempDir(t), 'chat.db');
  const server = await spawnServer(t, { db });
  const names = Array.from({ length: CLIENTS }, (_, i) => `C${i}`);
  const watcher = new TrackedClient('Watch', { trackPrivate: true });
  const clients = names.map((n) => new TrackedClient(n, { trackPrivate: true }));
  const everyone = [watcher, ...clients];
  t.after(() => everyone.forEach((c) => c.cut()));
  const fresh = { '#lobby': 0, '#soak': 0, '@': 0 };
  for (const c of everyone) await c.connect(server.port, { history: 0, resume: fresh });

  const watcherRand = prng(SEED + 1);
  const traffic = [
    new Traffic(watcher, {
      window: 2,
      rooms: ROOMS,
      rand: watcherRand,
      dmShare: 0.5,
      // Some of these find the recipient away (not_found): not stored, not expected.
      dmTo: () => names[Math.floor(watcherRand() * names.length)],
    }),
    ...clients.map(
      (c, i) =>
        new Traffic(c, {
          window: 2,
          rooms: ROOMS,
          rand: prng(SEED + 100 + i),
          dmShare: 0.1,
          dmTo: () => 'Watch',
        }),
    ),
  ];
  const acks = (): number => everyone.reduce((n, c) => n + c.acks.size, 0);
  await until(everyone, () => acks() >= 100, 'traffic under way');

  const drops = new Map<string, number>();
  const kinds: Record<Drop, number> = { cut: 0, stall: 0, quit: 0 };
  let cycles = 0;
  const deadline = started + BUDGET_MS;

  const cycle = async (c: TrackedClient, rand: () => number): Promise<void> => {
    const r = rand();
    const kind: Drop = r < 0.45 ? 'cut' : r < 0.85 ? 'stall' : 'quit';
    kinds[kind]++;
    if (kind === 'stall') {
      // Stop reading while the others go on: the server writes into a socket that will die.
      c.pause();
      const at = acks();
      await until(everyone, () => acks() >= at + 5, `${c.name}: traffic while stalled`);
      c.cut();
    } else if (kind === 'quit') {
      c.send({ type: 'quit', reason: 'brb' });
      await c.until(() => !c.connected, `${c.name}: closed after quit`);
    } else {
      c.cut();
    }
    const n = (drops.get(c.name) ?? 0) + 1;
    drops.set(c.name, n);
    // The alias is free again once the server has seen the connection go.
    await watcher.until(() => watcher.quitsSeen(c.name) >= n, `${c.name} seen gone (${n})`);
    await c.connect(server.port, { resume: true, history: 0 });
    const conn = c.conn;
    await c.until(
      () => c.received.some((x) => x.conn === conn && !x.replay),
      `${c.name}: live traffic after resume`,
    );
  };

  // Each lane drops and resumes its own clients, one at a time, its own share of the cycles.
  const lane = async (i: number): Promise<void> => {
    const rand = prng(SEED + 10 + i);
    const mine = clients.filter((_, j) => j % LANES === i);
    const share = Math.floor(CYCLES / LANES) + (i < CYCLES % LANES ? 1 : 0);
    for (let k = 0; k < share && Date.now() < deadline; k++) {
      cycles++;
      await cycle(mine[Math.floor(rand() * mine.length)]!, rand);
    }
  };
  await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));

  for (const tr of traffic) tr.stop();
  await until(everyone, () => everyone.every((c) => c.pending.size === 0), 'all acked', 20_000);
  for (const c of everyone) await c.fence();

  // Only the watcher's dms to someone who was away may be refused.
  for (const c of everyone) {
    for (const [id, e] of c.errors) {
      const req = c.requests.get(id);
      assert.ok(
        c === watcher && req?.type === 'dm' && e.code === 'not_found',
        `unexpected refusal: ${c.name} ${JSON.stringify(req)} → ${JSON.stringify(e)}`,
      );
    }
  }
  const capped = everyone.flatMap((c) =>
    c.objects.filter((x) => x.o.type === 'history' && x.o.id === undefined && x.o.more === true),
  );
  assert.deepEqual(capped, [], 'no resume hit the 500 cap (the soak would not test what it says)');
  const resets = everyone.flatMap((c) =>
    c.objects.filter((x) => x.o.type === 'system' && x.o.event === 'reset'),
  );
  assert.deepEqual(resets, [], 'same server, same epochs: no reset');

  const acked = ackedOf(everyone);
  const stored = new Map<string, Json[]>();
  for (const room of ROOMS) {
    const messages = await watcher.pageHistory(room);
    checkStored(room, messages, acked);
    assert.equal(messages.length, acked.filter((a) => a.op === 'say' && a.where === room).length);
    stored.set(room, messages);
  }
  const result = audit(everyone, stored, acked);
  const elapsed = Date.now() - started;
  t.diagnostic(
    `seed ${SEED.toString(16)}: ${cycles} cycles (${JSON.stringify(kinds)}) in ${elapsed} ms; ` +
      `${acked.length} messages (${acked.filter((a) => a.op === 'dm').length} private), ` +
      `${result.expected} deliveries checked, lost ${result.lost.length}, ` +
      `duplicated ${result.duplicated.length}, out of order ${result.reordered.length}`,
  );
  for (const c of everyone.filter((x) => x.duplicates.length > 0).slice(0, 2)) {
    t.diagnostic(explainDuplicate(c));
  }
  assertClean(result);
  assert.ok(cycles >= Math.min(CYCLES, 50), `enough cycles ran (${cycles})`);
});
