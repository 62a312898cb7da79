/**
 * End to end: the built chat-server binary as a process. A real `nc` talks
 * with test clients both ways; SIGTERM and SIGINT shut down as §8 says; the
 * command line refuses a busy port and bad option values with exit codes.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import split2 from 'split2';
import { LineClient } from '../helpers/line-client.js';
import { Nc, ncMissing, runServerBin, startServerProcess } from '../helpers/process.js';
import { cleanEnv } from '../helpers/env.js';

const STAMP = String.raw`^\[\d\d:\d\d\] `;

test('nc as a third-party text client talks with text and JSON clients both ways', async (t) => {
  const missing = ncMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const { port } = await startServerProcess(t);
  const alice = await LineClient.text(port, 'Alice');
  t.after(() => alice.close());
  const bot = await LineClient.json(port, 'Bot');
  t.after(() => bot.close());
  await alice.waitFor((l) => l === '* Bot joined #lobby');

  const nc = Nc.start(t, port);
  nc.type('Nelly');
  assert.match(await nc.waitFor((l) => l.startsWith('* Welcome')), /^\* Welcome, Nelly!/u);
  assert.equal(await alice.next(), '* Nelly joined #lobby');
  await bot.waitForJson((o) => o.event === 'join' && o.user === 'Nelly');

  nc.type('hello from nc');
  assert.match(await alice.next(), new RegExp(`${STAMP}<Nelly> hello from nc$`, 'u'));
  const msg = await bot.waitForJson((o) => o.type === 'message');
  assert.equal(msg.from, 'Nelly');
  assert.equal(msg.text, 'hello from nc');

  alice.send('hi Nelly');
  assert.match(await nc.next(), new RegExp(`${STAMP}<Alice> hi Nelly$`, 'u'));
  bot.sendJson({ type: 'say', id: 'b1', text: 'beep\nboop' });
  assert.match(await nc.next(), new RegExp(`${STAMP}<Bot> beep$`, 'u'));
  assert.match(await nc.next(), new RegExp(`${STAMP}<Bot> boop$`, 'u'));
  bot.sendJson({ type: 'dm', id: 'b2', to: 'nelly', text: 'psst' });
  assert.match(await nc.next(), new RegExp(`${STAMP}\\*Bot\\* psst$`, 'u'));

  nc.type('/who');
  assert.equal(await nc.next(), '* 3 users in #lobby: Alice, Bot, Nelly');
  nc.type('/quit bye all');
  assert.equal(await alice.waitFor((l) => l.includes('Nelly quit')), '* Nelly quit (bye all)');
  // The server hung up; nc exits once its input ends too.
  nc.proc.stdin?.end();
  assert.equal((await nc.waitExit()).code, 0);
});

test('SIGTERM: clients are told in both modes, the process exits 0 within 5 s', async (t) => {
  const { child, port } = await startServerProcess(t);
  const alice = await LineClient.text(port, 'Alice');
  t.after(() => alice.close());
  const bot = await LineClient.json(port, 'Bot');
  t.after(() => bot.close());
  await alice.waitFor((l) => l === '* Bot joined #lobby');
  // Still typing an alias: told too (§8 "every client").
  const typing = await LineClient.connect(port);
  t.after(() => typing.close());
  await typing.waitFor((l) => l.includes('alias'));

  const started = Date.now();
  child.proc.kill('SIGTERM');
  assert.equal(await alice.next(), '* Server shutting down');
  await typing.waitFor((l) => l === '* Server shutting down');
  await typing.waitClosed();
  const event = await bot.waitForJson((o) => o.type === 'system');
  assert.equal(event.event, 'shutdown');
  await alice.waitClosed();
  await bot.waitClosed();
  const exit = await child.waitExit(6000);
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(Date.now() - started < 5000, `exited after ${Date.now() - started} ms`);
  // It stopped accepting: nobody listens on the port any more.
  await assert.rejects(LineClient.connect(port));
});

test('SIGINT as soon as the server says it listens: a graceful exit 0', async (t) => {
  // Whoever reads "listening" (a supervisor, a test) may signal at once: the
  // handlers must already be installed, or the default action kills the process.
  const { child } = await startServerProcess(t);
  child.proc.kill('SIGINT');
  assert.deepEqual(await child.waitExit(3000), { code: 0, signal: null });
});

test('a second signal during a slow shutdown exits at once', async (t) => {
  const { child, port } = await startServerProcess(t, ['--shutdown-grace', '30']);
  // A client that never answers the server's FIN keeps the graceful close waiting.
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  t.after(() => socket.destroy());
  socket.on('error', () => undefined);
  const lines: string[] = [];
  let notify: (() => void) | undefined;
  socket.pipe(split2()).on('data', (l: string) => {
    lines.push(l);
    notify?.();
  });
  const waitLine = async (pred: (l: string) => boolean): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (!lines.some(pred)) {
      if (Date.now() > deadline) throw new Error(`timed out; lines:\n${lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        notify = resolve;
        setTimeout(resolve, 100).unref();
      });
    }
  };
  socket.write('Stubborn\n');
  await waitLine((l) => l.startsWith('* Welcome'));

  child.proc.kill('SIGTERM');
  await waitLine((l) => l === '* Server shutting down');
  assert.equal(child.exit, undefined, 'the first signal alone has not finished yet');
  const second = Date.now();
  child.proc.kill('SIGINT');
  const exit = await child.waitExit(3000);
  const took = Date.now() - second;
  assert.ok(took < 1000, `exited ${took} ms after the second signal`);
  // docs/protocol.md §8: "A second signal exits at once with code 1."
  assert.deepEqual(exit, { code: 1, signal: null });
});

/** A loopback port another server listens on until the test ends. */
async function occupiedPort(t: TestContext): Promise<number> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  return (blocker.address() as AddressInfo).port;
}

/** chat-server with `args` on loopback and a throwaway db: its exit and stderr. */
async function refusedStart(t: TestContext, args: string[]) {
  const child = runServerBin(t, ['--host', '127.0.0.1', ...args, '--db', ':memory:']);
  return { exit: await child.waitExit(), stderr: child.stderr };
}

test('a port already in use: exit code 1 and one line on stderr', async (t) => {
  const busy = await occupiedPort(t);
  const { exit, stderr } = await refusedStart(t, ['--port', String(busy)]);
  assert.deepEqual(exit, { code: 1, signal: null });
  assert.equal(stderr.length, 1, stderr.join('\n'));
  assert.match(stderr[0]!, new RegExp(`\\b${busy}\\b`, 'u'));
  assert.match(stderr[0]!, /EADDRINUSE|in use/u);
});

test('the IRC port already in use: the line names that port and --irc-port, not --port', async (t) => {
  const busy = await occupiedPort(t);
  const { exit, stderr } = await refusedStart(t, ['--port', '0', '--irc-port', String(busy)]);
  assert.deepEqual(exit, { code: 1, signal: null });
  const last = stderr[stderr.length - 1]!;
  assert.match(last, new RegExp(`127\\.0\\.0\\.1:${busy}: EADDRINUSE`, 'u'));
  assert.match(last, /pick another --irc-port\)/u);
});

for (const [args, env, option] of [
  [['--port', 'abc'], {}, /port/u],
  [['--port', '70000'], {}, /port/u],
  [['--max-line-bytes', '-5'], {}, /max-line-bytes/u],
  [['--log-level', 'loud'], {}, /log-level/u],
  [[], { CHAT_PORT: 'abc' }, /CHAT_PORT/u],
  [['--server-name', 'bad name'], {}, /server-name must be letters, digits.*"bad name"/u],
  [['--max-topic-bytes', '0'], {}, /max-topic-bytes must be a whole number from 1 to/u],
  [['--port', '55123', '--irc-port', '55123'], {}, /--irc-port 55123 .*own port/u],
  // Another spelling of 127.0.0.1: caught once both are resolved.
  [
    ['--port', '55123', '--irc-port', '55123', '--irc-host', '127.1'],
    {},
    /--irc-port 55123 is the same port as --port on the same address \(127\.0\.0\.1\).*own port/u,
  ],
  [['--motd', '/nonexistent'], {}, /--motd \/nonexistent: file not found.*leave --motd out/u],
] as Array<[string[], Record<string, string>, RegExp]>) {
  test(`a bad option value (${[...args, ...Object.entries(env).map((e) => e.join('='))].join(' ')}) exits 2 naming it`, async (t) => {
    const child = runServerBin(
      t,
      ['--host', '127.0.0.1', '--db', ':memory:', ...args],
      cleanEnv(env),
    );
    const exit = await child.waitExit();
    assert.deepEqual(exit, { code: 2, signal: null }, child.stderr.join('\n'));
    assert.ok(child.stderr.length >= 1, 'a message on stderr');
    assert.match(child.stderr.join('\n'), option);
    assert.equal(
      child.stdout.some((l) => l.includes('"msg":"listening"')),
      false,
      'it never listened',
    );
  });
}

for (const args of [
  ['--host', '999.1.1.1'],
  ['--irc-port', '0', '--irc-host', '999.1.1.1'],
]) {
  test(`an address that does not resolve (${args.join(' ')}) exits 2 before it warns or listens`, async (t) => {
    const child = runServerBin(t, ['--port', '0', '--db', ':memory:', ...args]);
    const exit = await child.waitExit();
    assert.deepEqual(exit, { code: 2, signal: null }, child.stderr.join('\n'));
    const option = args.includes('--irc-host') ? '--irc-host' : '--host';
    assert.match(
      child.stderr[0]!,
      new RegExp(
        `^chat-server: cannot resolve ${option} 999\\.1\\.1\\.1: .+; give an IP address or a host name that resolves$`,
        'u',
      ),
    );
    assert.deepEqual(child.stdout, [], 'no TLS warning, no listening line');
  });
}
