/**
 * Issue 5 items 4 and 7, docs/protocol.md §6 "Connections": a connection storm.
 * 500 connects in one burst from one address meet the default accept rate
 * (20/s, bursts of 40): most are refused, in the client's own mode, with
 * `rate_limited`, the rest past the refusal backlog are dropped; a storm from
 * many addresses fills `--max-connections` and the rest hear `server_full`.
 * The server stays up and two ordinary users lose nothing meanwhile.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { attackerAddress, connectFrom, startBench, type Json } from '../helpers/hostile.js';
import type { LineClient } from '../helpers/line-client.js';

const WAIT_MS = 10_000;

type Outcome = 'welcomed' | 'refused' | 'dropped' | 'connect failed';

interface Result {
  outcome: Outcome;
  client?: LineClient;
  code?: string;
  mode: 'text' | 'json';
  /** The refusal came in the client's own mode (a `! … [code]` line, or a JSON error). */
  ownMode?: boolean;
}

/** One storm connection: connect, send a handshake at once, see what comes back. */
async function stormer(t: TestContext, port: number, from: string, i: number): Promise<Result> {
  const mode = i % 2 === 0 ? 'text' : 'json';
  let c: LineClient;
  try {
    c = await connectFrom(port, from);
  } catch {
    return { outcome: 'connect failed', mode };
  }
  t.after(() => c.close());
  if (mode === 'text') c.send(`Storm${i}`);
  else c.sendJson({ type: 'hello', version: 1, name: `Storm${i}`, history: 0 });
  let line: string;
  try {
    line = await c.waitFor(
      (l) =>
        l.startsWith('* Welcome') ||
        l.startsWith('! ') ||
        l.includes('"type":"welcome"') ||
        l.includes('"type":"error"'),
      WAIT_MS,
    );
  } catch (err) {
    if (c.closed) return { outcome: 'dropped', mode };
    throw err;
  }
  // A welcomed stormer stays connected (closed by t.after): it holds its place.
  if (line.startsWith('* Welcome') || line.includes('"type":"welcome"')) {
    return { outcome: 'welcomed', mode, client: c };
  }
  await c.waitClosed(WAIT_MS);
  if (line.startsWith('! ')) {
    const code = /\[([a-z_]+)\]$/u.exec(line)?.[1];
    return { outcome: 'refused', mode, ownMode: mode === 'text', ...(code && { code }) };
  }
  const o = JSON.parse(line) as Json;
  return { outcome: 'refused', mode, ownMode: mode === 'json', code: String(o.code) };
}

function tally(results: readonly Result[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = r.outcome + (r.code ? ` ${r.code}` : '');
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

test('500 connects in a burst from one address: most refused, the server stays up', async (t) => {
  const RATE = 20;
  const bench = await startBench(t, {
    args: ['--handshake-timeout', '2'],
    env: { CHAT_ACCEPTS_PER_SECOND: String(RATE), CHAT_MAX_CONNECTIONS_PER_ADDRESS: '100' },
  });
  const from = attackerAddress(0);
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: 500 }, (_, i) => stormer(t, bench.port, from, i)),
  );
  const tookMs = Date.now() - started;
  for (const r of results) r.client?.close();
  const counts = tally(results);
  const welcomed = results.filter((r) => r.outcome === 'welcomed').length;
  // Bursts of twice the rate pass, plus what refills while the burst is accepted.
  const allowed = 2 * RATE + Math.ceil((RATE * tookMs) / 1000) + 1;
  assert.ok(welcomed >= 1, `nobody got in: ${JSON.stringify(counts)}`);
  assert.ok(
    welcomed <= allowed,
    `${welcomed} got in, at most ${allowed}: ${JSON.stringify(counts)}`,
  );
  for (const r of results.filter((x) => x.outcome === 'refused')) {
    assert.ok(r.code === 'rate_limited' || r.code === 'server_full', JSON.stringify(r));
    assert.ok(r.ownMode, `a refusal in the wrong mode: ${JSON.stringify(r)}`);
  }
  assert.ok((counts['refused rate_limited'] ?? 0) > 0, JSON.stringify(counts));
  await bench.finish(t, 'connection storm, one address', {
    connects: results.length,
    'storm took (ms)': tookMs,
    ...counts,
  });
});

test('a storm from 200 addresses fills --max-connections; the rest hear server_full', async (t) => {
  const MAX = 61;
  const bench = await startBench(t, {
    args: ['--handshake-timeout', '2', '--max-connections', String(MAX)],
  });
  // Watcher1, Watcher2 and this witness hold three of the places.
  const witness = await connectFrom(bench.port, '127.0.0.1');
  t.after(() => witness.close());
  witness.sendJson({ type: 'hello', version: 1, name: 'Witness', history: 0 });
  await witness.waitForJson((o) => o.type === 'welcome');

  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => stormer(t, bench.port, attackerAddress(i), i)),
  );
  const counts = tally(results);
  const welcomed = results.filter((r) => r.outcome === 'welcomed').length;
  assert.equal(welcomed, MAX - 3, JSON.stringify(counts));
  assert.equal(counts['refused server_full'], 200 - welcomed, JSON.stringify(counts));
  for (const r of results.filter((x) => x.outcome === 'refused')) {
    assert.ok(r.ownMode, `a refusal in the wrong mode: ${JSON.stringify(r)}`);
  }
  // The places come back as the storm leaves: the witness sees every stormer quit.
  for (const r of results) r.client?.close();
  let quits = 0;
  if (welcomed > 0) {
    await witness.waitFor((l) => {
      if (l.includes('"event":"quit"') && l.includes('"user":"Storm')) quits++;
      return quits === welcomed;
    }, WAIT_MS);
  }
  await bench.finish(t, 'connection storm, 200 addresses', { connects: results.length, ...counts });
});
