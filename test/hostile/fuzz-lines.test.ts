/**
 * Issue 5 item 7: random bytes (NUL, telnet IAC, invalid UTF-8, escape
 * sequences, over-long lines, writes split at random points) and random
 * text-mode lines (messages, and commands with hostile arguments) over real
 * sockets, before and after the handshake. The server never answers
 * `internal`, keeps every connection that did not quit or send three
 * over-long lines in a row, and two ordinary users keep chatting meanwhile,
 * lose nothing and never receive a terminal control character.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytesLine, randomTextLine, type Rand } from '../helpers/fuzz.js';
import { attackerAddress, connectFrom, startBench } from '../helpers/hostile.js';
import type { LineClient } from '../helpers/line-client.js';
import { prng } from '../helpers/prng.js';

const WORKERS = 4;
const BATCH = 50;
const WAIT_MS = 15_000;
const MAX_LINE = 4096;

interface Books {
  inputs: number;
  connections: number;
  closedByServer: number;
  violations: string[];
}

/** The lines of one batch, as bytes, and whether the server may close the connection over them. */
interface Batch {
  bytes: Buffer[];
  /** A `/quit`, or three over-long lines in a row. */
  mayClose: boolean;
}

type Generator = (rand: Rand) => Batch;

const bytesBatch: Generator = (rand) => {
  const bytes: Buffer[] = [];
  let longRun = 0;
  let mayClose = false;
  for (let i = 0; i < BATCH; i++) {
    const line = randomBytesLine(rand, MAX_LINE);
    longRun = line.length > MAX_LINE ? longRun + 1 : 0;
    if (longRun >= 3) mayClose = true;
    // A random line may well start with "/quit".
    if (/^\s*\/quit/iu.test(line.toString('latin1'))) mayClose = true;
    bytes.push(line);
  }
  return { bytes, mayClose };
};

const textBatch: Generator = (rand) => {
  const bytes: Buffer[] = [];
  let mayClose = false;
  for (let i = 0; i < BATCH; i++) {
    const line = randomTextLine(rand);
    if (line.startsWith('/quit')) mayClose = true;
    bytes.push(Buffer.from(line, 'utf8'));
  }
  return { bytes, mayClose };
};

/** Send `chunks` as several writes split at random byte offsets (exercises framing across reads). */
function sendSplit(c: LineClient, rand: Rand, data: Buffer): void {
  let at = 0;
  while (at < data.length) {
    const n = Math.min(data.length - at, 1 + Math.floor(rand() * 3000));
    c.sendRaw(data.subarray(at, at + n));
    at += n;
  }
}

async function attack(
  port: number,
  seed: number,
  w: number,
  quota: number,
  gen: Generator,
  books: Books,
): Promise<void> {
  const rand = prng(seed + w);
  let sent = 0;
  let k = 0;
  let c: LineClient | undefined;
  while (sent < quota) {
    if (!c || c.closed) {
      c?.close();
      c = await connectFrom(port, attackerAddress(w * 200 + k));
      books.connections++;
      k++;
      if (rand() < 0.25) {
        // Garbage before any handshake: it is the alias (refused thrice, then closed).
        const pre = gen(rand).bytes.slice(0, 5);
        sendSplit(c, rand, Buffer.concat(pre.flatMap((b) => [b, Buffer.from('\n')])));
        sent += pre.length;
        books.inputs += pre.length;
        c.socket.end();
        try {
          await c.waitClosed(WAIT_MS);
        } catch (err) {
          books.violations.push(
            `a pre-handshake connection stayed open: ${String(err).slice(-300)}`,
          );
        }
        continue;
      }
      c.send(`fz${w}-${k}`);
      await c.waitFor((l) => l.startsWith('* Welcome'), WAIT_MS);
      // Away from #lobby half the time, so the ordinary users see some of it, not all.
      if (rand() < 0.5) c.send('/join #fz');
    }
    const batch = gen(rand);
    const fence = `fence-${w}-${sent}`;
    // The leading LF ends whatever partial line the batch left.
    const data = Buffer.concat([
      ...batch.bytes.flatMap((b) => [b, Buffer.from('\n')]),
      Buffer.from(`\n/away ${fence}\n`),
    ]);
    sendSplit(c, rand, data);
    sent += batch.bytes.length;
    books.inputs += batch.bytes.length;
    try {
      await c.waitFor((line) => {
        if (line.endsWith('[internal]')) books.violations.push(`internal error: ${line}`);
        return line === `* You are marked away: ${fence}`;
      }, WAIT_MS);
    } catch (err) {
      if (!c.closed) throw err;
      books.closedByServer++;
      if (!batch.mayClose) {
        books.violations.push(
          `the server closed a connection that gave no reason: ${String(err).slice(-400)}`,
        );
      }
    }
  }
  c?.close();
}

for (const [name, gen, seed] of [
  ['random bytes', bytesBatch, 0xb17e_0001],
  ['random text lines', textBatch, 0x7e47_0001],
] as const) {
  test(`${name}: no internal error, no unexplained close, chat unharmed`, async (t) => {
    const bench = await startBench(t, {
      args: ['--max-line-bytes', String(MAX_LINE), '--handshake-timeout', '5'],
    });
    const books: Books = { inputs: 0, connections: 0, closedByServer: 0, violations: [] };
    const quota = 1000;
    await Promise.all(
      Array.from({ length: WORKERS }, (_, w) => attack(bench.port, seed, w, quota, gen, books)),
    );
    assert.deepEqual(books.violations.slice(0, 10), []);
    assert.ok(books.inputs >= WORKERS * quota, `inputs: ${books.inputs}`);
    await bench.finish(t, name, {
      seed: `0x${seed.toString(16)}`,
      inputs: books.inputs,
      connections: books.connections,
      'closed by the server': books.closedByServer,
    });
  });
}
