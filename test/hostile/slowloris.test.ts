/**
 * Issue 5 item 7, docs/protocol.md §2: slowloris. Connections that trickle one
 * byte a second and never complete a handshake are closed by
 * `--handshake-timeout` (here 2 s) with a final `timeout` error line, whatever
 * they trickle: a partial alias, blank lines, a partial JSON hello, telnet
 * negotiation. The trickle is the attack, so it is paced by a timer; it is
 * bounded to a few seconds. Two ordinary users keep chatting meanwhile.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attackerAddress, connectFrom, startBench } from '../helpers/hostile.js';
import type { LineClient } from '../helpers/line-client.js';

const HANDSHAKE_TIMEOUT_S = 2;
/** How long a trickler keeps trickling at most, whatever happens. */
const TRICKLE_LIMIT_MS = 6000;
const PER_KIND = 10;

const KINDS: Record<string, Buffer> = {
  'a partial alias': Buffer.from('Mallory'),
  'blank lines': Buffer.from('\n\n\n\n\n\n'),
  'a partial JSON hello': Buffer.from('{"type":"hello","version":1,"na'),
  'telnet negotiation': Buffer.from([0xff, 0xf1, 0xff, 0xf1, 0xff, 0xf1, 0xff, 0xf1]),
  'spaces and CRs': Buffer.from(' \r \r \r \r'),
};

interface Outcome {
  kind: string;
  closedAfterMs: number;
  lastLine: string | undefined;
  bytesSent: number;
}

/** Trickle `bytes` one a second until the server closes the connection (or the limit). */
async function trickle(c: LineClient, kind: string, bytes: Buffer): Promise<Outcome> {
  const started = Date.now();
  let sent = 0;
  const send = (): void => {
    if (c.closed) return;
    c.sendRaw(bytes.subarray(sent % bytes.length, (sent % bytes.length) + 1));
    sent++;
  };
  send();
  const timer = setInterval(send, 1000);
  try {
    await c.waitClosed(TRICKLE_LIMIT_MS);
  } catch {
    // Still open at the limit: reported by the caller.
  } finally {
    clearInterval(timer);
  }
  const closedAfterMs = Date.now() - started;
  c.close();
  return { kind, closedAfterMs, lastLine: c.lines.at(-1), bytesSent: sent };
}

test('slowloris: tricklers are closed by the handshake timeout with a timeout error', async (t) => {
  const bench = await startBench(t, {
    args: ['--handshake-timeout', String(HANDSHAKE_TIMEOUT_S)],
  });
  const runs: Promise<Outcome>[] = [];
  let i = 0;
  for (const [kind, bytes] of Object.entries(KINDS)) {
    for (let n = 0; n < PER_KIND; n++) {
      const c = await connectFrom(bench.port, attackerAddress(i++ % 3));
      t.after(() => c.close());
      runs.push(trickle(c, kind, bytes));
    }
  }
  const outcomes = await Promise.all(runs);
  for (const o of outcomes) {
    assert.ok(
      o.closedAfterMs < TRICKLE_LIMIT_MS,
      `${o.kind}: still open after ${o.closedAfterMs} ms (${o.bytesSent} bytes trickled)`,
    );
    // Timers fire a little early or late; the close comes at the timeout, not before a second of it.
    assert.ok(
      o.closedAfterMs >= HANDSHAKE_TIMEOUT_S * 1000 - 1000,
      `${o.kind}: closed after only ${o.closedAfterMs} ms`,
    );
    assert.match(o.lastLine ?? '', /\[timeout\]$|"code":"timeout"/u, `${o.kind}: the final line`);
  }
  const worst = Math.max(...outcomes.map((o) => o.closedAfterMs));
  await bench.finish(t, 'slowloris', {
    connections: outcomes.length,
    'bytes trickled': outcomes.reduce((n, o) => n + o.bytesSent, 0),
    'latest close (ms)': worst,
  });
});
