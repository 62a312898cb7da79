/**
 * docs/protocol.md §4 "Order": everything one connection causes reaches each
 * recipient, and its answers reach it, in the order it was sent, through the
 * real store path (SQLite commits once per turn) and real `nc` processes. A
 * half-close is not a quit: every line before it is handled and answered.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import type { LineClient } from '../helpers/line-client.js';
import { jsonUser, raw, serve, stamped, textUser } from '../helpers/fixtures.js';

/** Run `nc` with `input` on its stdin; resolves with its output lines once it exits. */
function nc(port: number, input: string, flags: string[] = []): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('nc', [...flags, '127.0.0.1', String(port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`nc did not end; output:\n${out}`));
    }, 10_000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out.split('\n').filter((l) => l !== ''));
    });
    child.stdin.end(input);
  });
}

/** Wait for the next `n` lines a watcher reads. */
async function nextLines(c: LineClient, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await c.next());
  return out;
}

test("printf 'build 7 finished\\n/quit\\n' | nc: others see the message before the quit (10 runs)", async (t) => {
  const { port } = await serve(t);
  const watcher = await textUser(t, port, 'Watcher');
  for (let run = 0; run < 10; run++) {
    const out = await nc(port, `ci${run}\nbuild ${run} finished\n/quit\n`);
    assert.equal(out.at(-1), '* Bye', out.join('\n'));
    assert.equal(await watcher.next(), `* ci${run} joined #lobby`);
    assert.match(await watcher.next(), stamped(`<ci${run}> build ${run} finished`));
    assert.match(await watcher.next(), new RegExp(`^\\* ci${run} quit\\b`, 'u'));
  }
});

const BURST = [
  'one',
  '/msg Nobody hi',
  'two',
  '/nick bad nick',
  'three',
  '/join #side',
  'four in side',
  '/part #side',
  'five',
  '/nick Renamed',
  'six',
  '/topic build status',
  'seven',
];

for (const halfClose of [true, false]) {
  test(`a 13-line text burst ${halfClose ? 'then a half-close (nc -N)' : 'ending in /quit'}: all lines in order, every answer in place`, async (t) => {
    const { port } = await serve(t);
    const watcher = await textUser(t, port, 'Watcher');
    watcher.send('/join #side');
    await watcher.waitFor((l) => l === '* You are now in #side');
    watcher.send('/join #lobby');
    await watcher.waitFor((l) => l === '* You are now in #lobby');
    const lines = halfClose ? BURST : [...BURST, '/quit'];
    const out = await nc(port, ['Zed', ...lines].join('\n') + '\n', halfClose ? ['-N'] : []);

    // What Zed sees: each answer right after the line that caused it.
    const mine = out.filter((l) => l.startsWith('* ') || l.startsWith('! '));
    const welcome = mine.findIndex((l) => l.startsWith('* Welcome'));
    assert.deepEqual(
      mine.slice(welcome + 1).map((l) => l.replace(/ \[[a-z_]+\]$/u, '')),
      [
        '! No one called Nobody is online (private messages wait only for registered accounts)',
        '! bad is not registered, so it takes no password (and an alias holds no spaces). Usage: /nick newnick',
        '* You are now in #side',
        '* You left #side; current room is #lobby',
        '* You are now known as Renamed',
        '* Topic of #lobby: build status',
        ...(halfClose ? [] : ['* Bye']),
      ],
      out.join('\n'),
    );

    // What the watcher sees: every line, in order, under the right name.
    assert.equal(await watcher.next(), '* Zed joined #lobby');
    const seen = await nextLines(watcher, 11);
    assert.deepEqual(
      seen.map((l) => l.replace(/^\[\d\d:\d\d\] /u, '')),
      [
        '<Zed> one',
        '<Zed> two',
        '<Zed> three',
        '* Zed joined #side',
        '#side <Zed> four in side',
        '* Zed left #side',
        '<Zed> five',
        '* Zed is now known as Renamed',
        '<Renamed> six',
        '* Renamed set the topic of #lobby: build status',
        '<Renamed> seven',
      ],
    );
    assert.match(await watcher.next(), /^\* Renamed quit/u);
  });
}

test('a JSON burst then a half-close: every reply in the order sent, before the server closes', async (t) => {
  const { port } = await serve(t);
  const watcher = await jsonUser(t, port, 'Watcher');
  const bot = await jsonUser(t, port, 'Bot');
  await watcher.waitForJson((o) => o.event === 'join' && o.user === 'Bot');
  const requests = [
    { type: 'say', id: '1', text: 'first' },
    { type: 'dm', id: '2', to: 'Nobody', text: 'hi' },
    { type: 'nick', id: '3', name: 'Bot2' },
    { type: 'say', id: '4', text: 'second' },
    { type: 'join', id: '5', room: '#x' },
    { type: 'who', id: '6' },
    { type: 'part', id: '7', room: '#x' },
    { type: 'say', id: '8', text: 'third' },
  ];
  bot.sendRaw(requests.map((r) => JSON.stringify(r) + '\n').join(''));
  bot.socket.end();
  await bot.waitClosed();
  const replies = bot.lines
    .slice(bot.lines.findIndex((l) => l.includes('"type":"history"')) + 1)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.id !== undefined);
  assert.deepEqual(
    replies.map((o) => `${o.id}:${o.type}`),
    ['1:ack', '2:error', '3:ack', '4:ack', '5:ack', '6:who', '7:ack', '8:ack'],
  );
  const said = [];
  for (;;) {
    const o = await watcher.nextJson();
    if (o.type === 'message') said.push(`${o.from as string}:${o.text as string}`);
    if (o.event === 'nick') said.push('nick');
    if (o.event === 'quit') break;
  }
  assert.deepEqual(said, ['Bot:first', 'nick', 'Bot2:second', 'Bot2:third']);
});

test('a taken alias in a piped script: the next lines are not taken as an alias nor posted (nc)', async (t) => {
  const { port } = await serve(t);
  const bob = await textUser(t, port, 'Bob');
  const out = await nc(port, 'Bob\nhello\nworld\n', ['-N']);
  assert.deepEqual(
    out.filter((l) => l.startsWith('! ')).map((l) => l.replace(/ \[[a-z_]+\]$/u, '')),
    [
      '! Bob is already online; pick another alias',
      '! Not logged in yet; that line was not sent. Type another alias',
      '! Not logged in yet; that line was not sent. Closing',
    ],
  );
  // An explicit /nick picks the alias; the rest is posted under it.
  const out2 = await nc(port, 'Bob\n/nick Bob2\nhello\n/quit\n');
  assert.equal(out2.at(-1), '* Bye');
  assert.equal(await bob.next(), '* Bob2 joined #lobby');
  assert.match(await bob.next(), stamped('<Bob2> hello'));
});

test('a taken alias typed by hand: the next alias typed is tried, as a person expects (nc)', async (t) => {
  const { port } = await serve(t);
  const bob = await textUser(t, port, 'Bob');
  const you = await raw(t, port);
  await you.waitFor((l) => l.includes('type your alias'));
  you.send('Bob');
  assert.equal(
    await you.waitFor((l) => l.startsWith('! ')),
    '! Bob is already online; pick another alias [alias_taken]',
  );
  // Sent after the refusal was read: an answer to it.
  you.send('Bobby');
  assert.match(await you.waitFor((l) => l.startsWith('* Welcome')), /^\* Welcome, Bobby!/u);
  assert.equal(await bob.next(), '* Bobby joined #lobby');
  you.send('hello');
  assert.match(await bob.next(), stamped('<Bobby> hello'));
});

test('/nick to your own name (or one that normalizes to it) announces nothing', async (t) => {
  const { port } = await serve(t);
  const watcher = await textUser(t, port, 'Watcher');
  const ann = await textUser(t, port, 'Ann');
  await watcher.waitFor((l) => l === '* Ann joined #lobby');
  ann.send('/nick Ann');
  assert.equal(await ann.next(), '* You are now known as Ann');
  ann.send('/nick Ａｎｎ');
  assert.equal(await ann.next(), '* You are now known as Ann');
  ann.send('after');
  assert.match(await watcher.next(), stamped('<Ann> after'));
});
