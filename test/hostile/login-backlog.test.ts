/**
 * Issue 5 items 4 and 7: input that arrives while a login is being checked.
 * A password check takes a while (scrypt, and the throttle's delay: 0.5 s
 * after three failures, up to 8 s); lines that arrive meanwhile wait for its
 * outcome. A client that keeps sending during that wait must not grow the
 * server's memory without bound. Two ordinary users keep chatting meanwhile.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addAccount } from '../helpers/accounts.js';
import { attackerAddress, connectFrom, RssSampler, startBench } from '../helpers/hostile.js';

const PASSWORD = 'the right password';
/** What the attacker sends at most while its login is held (bounded). */
const MAX_BYTES = 512 * 1024 * 1024;
const WAIT_MS = 20_000;
/** One password hash in flight costs 16 MiB; held lines should cost next to nothing. */
const GROWTH_LIMIT_MIB = 64;

test('lines sent while a login is being checked do not grow server memory without bound', async (t) => {
  const bench = await startBench(t, { prepare: (db) => addAccount(db, 'Victim', PASSWORD) });
  const from = attackerAddress(0);
  // Five failures (three free, then 0.5 s and 1 s): the next check is held back 2 s.
  for (const tries of [3, 2]) {
    const warm = await connectFrom(bench.port, from);
    t.after(() => warm.close());
    for (let i = 0; i < tries; i++) {
      warm.sendJson({ type: 'hello', version: 1, name: 'Victim', password: `wrong ${i}` });
      await warm.waitForJson((o) => o.code === 'auth_failed', WAIT_MS);
    }
    warm.close();
  }

  const c = await connectFrom(bench.port, from);
  t.after(() => c.close());
  // Memory from here on: the warm-up's password hashes are not what is measured.
  const during = new RssSampler(bench.server.pid);
  t.after(() => during.stop());
  c.sendJson({ type: 'hello', version: 1, name: 'Victim', password: 'wrong again' });
  // Then as much as the socket takes until the answer comes: 1 kB lines.
  const chunk = Buffer.from(('x'.repeat(1023) + '\n').repeat(64));
  let sent = 0;
  let answered = false;
  void c
    .waitForJson((o) => o.type === 'error', WAIT_MS)
    .then(
      () => (answered = true),
      () => (answered = true),
    );
  while (!answered && !c.closed && sent < MAX_BYTES) {
    if (!c.socket.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          c.socket.off('drain', done);
          c.socket.off('close', done);
          resolve();
        };
        c.socket.once('drain', done);
        c.socket.once('close', done);
      });
    }
    sent += chunk.length;
  }
  c.close();
  const peakMiB = during.stop() / 1024;
  const growthMiB = peakMiB - (during.baselineKiB ?? 0) / 1024;
  t.diagnostic(
    `sent ${(sent / 1048576).toFixed(0)} MiB while the login was held; RSS grew ${growthMiB.toFixed(0)} MiB to ${peakMiB.toFixed(0)} MiB`,
  );
  // Held lines should cost at most a read buffer or two, not what the client sent.
  assert.ok(
    growthMiB < GROWTH_LIMIT_MIB,
    `RSS grew ${growthMiB.toFixed(0)} MiB (peak ${peakMiB.toFixed(0)} MiB) after ${(sent / 1048576).toFixed(0)} MiB sent during one login`,
  );
  await bench.finish(t, 'input during a held login', { 'sent (MiB)': (sent / 1048576).toFixed(0) });
});
