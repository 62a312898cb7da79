/**
 * Issue 5 items 5 and 7: random and malformed JSON over real sockets, then
 * deep nesting and huge strings. Every request object that carries a usable
 * id must get exactly one reply with that id (§4), never `internal`; the
 * connection stays open unless the client itself sent `quit`; two ordinary
 * users keep chatting meanwhile and lose nothing; the server's memory stays
 * bounded and it logs no error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomJsonLine, randomJsonValue, type Rand } from '../helpers/fuzz.js';
import { attackerAddress, connectFrom, startBench, type Json } from '../helpers/hostile.js';
import type { LineClient } from '../helpers/line-client.js';
import { prng } from '../helpers/prng.js';

const SEED = 0x5ec_0001;
/** Attack connections running at once, each with its own seeded stream. */
const WORKERS = 4;
const INPUTS_PER_WORKER = 1500;
const BATCH = 40;
const WAIT_MS = 15_000;

interface Books {
  inputs: number;
  connections: number;
  repliesChecked: number;
  violations: string[];
}

/** Wait for replies to every id in `owed` (and the fence), recording what arrives. */
async function collect(
  c: LineClient,
  owed: Map<string, string>,
  answered: Set<string>,
  fence: string,
  books: Books,
): Promise<void> {
  let fenced = false;
  const check = (line: string): boolean => {
    if (!line.startsWith('{')) return false;
    const o = JSON.parse(line) as Json;
    if (o.type === 'error' && o.code === 'internal') {
      books.violations.push(`internal error: ${line.slice(0, 200)}`);
    }
    const id = o.id;
    if (typeof id === 'string') {
      if (id === fence) fenced = true;
      else if (owed.delete(id)) {
        answered.add(id);
        books.repliesChecked++;
      } else if (answered.has(id)) {
        books.violations.push(`a second reply to ${id}: ${line.slice(0, 200)}`);
      }
    }
    return fenced && owed.size === 0;
  };
  try {
    await c.waitFor(check, WAIT_MS);
  } catch (err) {
    if (c.closed) throw err;
    const missing = [...owed].map(([id, line]) => `${id}: ${line.slice(0, 300)}`);
    throw new Error(`no reply (fence seen: ${fenced}) to:\n${missing.join('\n')}`);
  }
}

/** A JSON-mode attacker: a few broken hellos, a good one, then batches of random requests. */
async function worker(port: number, w: number, books: Books): Promise<void> {
  const rand = prng(SEED + w);
  let sent = 0;
  let c: LineClient | undefined;
  let k = 0;
  let ids = 0;
  while (sent < INPUTS_PER_WORKER) {
    if (!c || c.closed) {
      c?.close();
      c = await connectFrom(port, attackerAddress(w * 100 + k));
      books.connections++;
      // Up to two refused hellos (a third refusal would close the connection).
      for (let i = Math.floor(rand() * 3); i > 0; i--) {
        c.send(JSON.stringify({ type: 'hello', ...(randomJsonValue(rand, 2) as object) }));
        sent++;
      }
      c.sendJson({ type: 'hello', version: 1, name: `fz${w}-${++k}`, history: 0 });
      sent++;
      await c.waitForJson((o) => o.type === 'welcome', WAIT_MS);
    }
    const owed = new Map<string, string>();
    let quit = false;
    const lines: string[] = [];
    for (let i = 0; i < BATCH; i++) {
      const input = randomJsonLine(rand, () => `z${w}-${++ids}`);
      lines.push(input.line);
      // A client's `pong` answers the server's ping: it is owed nothing.
      if (input.id !== undefined && !quit && !input.line.startsWith('{"type":"pong"')) {
        owed.set(input.id, input.line);
      }
      quit ||= input.quit;
    }
    const fence = `fence-${w}-${sent}`;
    c.sendRaw(lines.join('\n') + '\n' + JSON.stringify({ type: 'ping', id: fence }) + '\n');
    sent += BATCH;
    books.inputs += BATCH;
    try {
      await collect(c, owed, new Set(), fence, books);
    } catch (err) {
      if (!c.closed) throw err;
      if (!quit)
        books.violations.push(`connection closed without a quit: ${String(err).slice(-300)}`);
    }
  }
  c?.close();
}

test('random and malformed JSON: every id answered once, connections kept, chat unharmed', async (t) => {
  const bench = await startBench(t, { args: ['--max-line-bytes', '262144'] });
  const books: Books = { inputs: 0, connections: 0, repliesChecked: 0, violations: [] };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(bench.port, w, books)));
  assert.deepEqual(books.violations.slice(0, 10), []);
  assert.ok(books.inputs >= WORKERS * INPUTS_PER_WORKER * 0.9, `inputs: ${books.inputs}`);
  await bench.finish(t, 'random JSON', {
    seed: `0x${SEED.toString(16)}`,
    inputs: books.inputs,
    connections: books.connections,
    'replies checked': books.repliesChecked,
  });
});

/** `depth` nested arrays around `inner`. */
const nested = (depth: number, inner = ''): string => '['.repeat(depth) + inner + ']'.repeat(depth);
/** `depth` nested objects {"a":…} around `inner`. */
const nestedObj = (depth: number, inner = '1'): string =>
  '{"a":'.repeat(depth) + inner + '}'.repeat(depth);

interface Case {
  what: string;
  line: string;
  /** The reply expected: an error code, or a reply type. */
  expect: string;
  id?: string;
}

function cases(rand: Rand): Case[] {
  const big = (n: number): string =>
    Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join('');
  return [
    { what: '500,000 nested arrays', line: nested(500_000), expect: 'bad_request' },
    { what: 'unclosed nesting', line: '['.repeat(900_000), expect: 'bad_request' },
    {
      what: 'deep text',
      id: 'd1',
      line: `{"type":"say","id":"d1","text":${nested(200_000, '"x"')}}`,
      expect: 'bad_request',
    },
    {
      what: 'deep object field',
      id: 'd2',
      line: `{"type":"join","id":"d2","room":${nestedObj(100_000)}}`,
      expect: 'bad_request',
    },
    {
      // Unknown keys are refused, not skipped (docs/protocol.md §4): a typo must not pass silently.
      what: 'deep unknown field',
      id: 'd3',
      line: `{"type":"ping","id":"d3","x":${nestedObj(100_000)}}`,
      expect: 'bad_request',
    },
    {
      what: '1 MB text',
      id: 'h1',
      line: JSON.stringify({ type: 'say', id: 'h1', text: big(1_000_000) }),
      expect: 'bad_request',
    },
    {
      what: '1 MB of escapes',
      id: 'h2',
      line: `{"type":"say","id":"h2","text":"${'\\u001b'.repeat(170_000)}"}`,
      expect: 'bad_request',
    },
    {
      what: '64 KiB text (the limit)',
      id: 'h3',
      line: JSON.stringify({ type: 'say', id: 'h3', room: '#deep', text: big(65_536) }),
      expect: 'ack',
    },
    {
      what: 'a 1 MB id',
      line: JSON.stringify({ type: 'ping', id: big(1_000_000) }),
      expect: 'bad_request',
    },
    {
      what: 'a 1 MB key',
      id: 'h4',
      // Refused as an unknown key, named in at most a few dozen characters (no 1 MB echo).
      line: `{"type":"ping","id":"h4","${big(1_000_000)}":1}`,
      expect: 'bad_request',
    },
    {
      what: '60,000 keys',
      id: 'h5',
      line:
        '{"type":"ping","id":"h5",' +
        Array.from({ length: 60_000 }, (_, i) => `"k${i}":${i}`).join(',') +
        '}',
      expect: 'bad_request',
    },
    {
      what: 'a 200,000-element array',
      id: 'h6',
      line: `{"type":"say","id":"h6","text":[${Array(200_000).fill('"a"').join(',')}]}`,
      expect: 'bad_request',
    },
    {
      what: 'a 100,000-digit number',
      id: 'h7',
      line: `{"type":"history","id":"h7","limit":${'9'.repeat(100_000)}}`,
      expect: 'bad_request',
    },
    {
      what: 'a huge name',
      id: 'h8',
      line: JSON.stringify({ type: 'nick', id: 'h8', name: big(500_000) }),
      expect: 'bad_request',
    },
    {
      what: 'a huge password',
      id: 'h9',
      line: JSON.stringify({ type: 'register', id: 'h9', password: big(500_000) }),
      expect: 'bad_request',
    },
    {
      what: 'deep resume in a request',
      id: 'h10',
      line: `{"type":"history","id":"h10","room":"#deep","before":${nestedObj(50_000)}}`,
      expect: 'bad_request',
    },
  ];
}

test('deep nesting and huge strings are refused with bad_request; the connection stays', async (t) => {
  const MAX = 1_048_576;
  const bench = await startBench(t, {
    args: ['--max-line-bytes', String(MAX), '--handshake-timeout', '10'],
  });
  const rand = prng(SEED + 100);
  let inputs = 0;

  // Before the handshake: deep and huge hellos, and the same as a text alias.
  const pre = [
    `{"type":"hello","version":1,"name":"Deep","resume":${nestedObj(100_000)}}`,
    `{"type":"hello","version":1,"name":${nested(300_000, '"x"')}}`,
    nested(500_000),
  ];
  for (const [i, line] of pre.entries()) {
    const c = await connectFrom(bench.port, attackerAddress(900 + i));
    t.after(() => c.close());
    const started = Date.now();
    c.send(line);
    inputs++;
    const reply = await c.waitFor((l) => l.startsWith('{') || l.startsWith('! '), 10_000);
    const code = reply.startsWith('{')
      ? (JSON.parse(reply) as Json).code
      : /\[([a-z_]+)\]$/u.exec(reply)?.[1];
    assert.ok(
      code === 'bad_request' || code === 'bad_alias',
      `pre-handshake ${i}: ${reply.slice(0, 200)}`,
    );
    t.diagnostic(`pre-handshake case ${i}: ${code} in ${Date.now() - started} ms`);
  }

  const c = await connectFrom(bench.port, attackerAddress(950));
  t.after(() => c.close());
  c.sendJson({ type: 'hello', version: 1, name: 'Deep', history: 0 });
  await c.waitForJson((o) => o.type === 'welcome');
  c.sendJson({ type: 'join', id: 'j', room: '#deep' });
  await c.waitForJson((o) => o.id === 'j');
  for (const k of cases(rand)) {
    const started = Date.now();
    c.send(k.line);
    inputs++;
    const reply = await c.waitForJson(
      (o) => (k.id === undefined ? o.type === 'error' : o.id === k.id),
      10_000,
    );
    const got = reply.type === 'error' ? reply.code : reply.type;
    assert.equal(got, k.expect, `${k.what}: ${JSON.stringify(reply).slice(0, 300)}`);
    c.sendJson({ type: 'ping', id: `after-${inputs}` });
    await c.waitForJson((o) => o.id === `after-${inputs}`, 10_000);
    t.diagnostic(
      `${k.what} (${(k.line.length / 1024).toFixed(0)} KiB): ${String(got)} in ${Date.now() - started} ms`,
    );
  }
  await bench.finish(t, 'deep nesting and huge strings', { inputs });
});
