/**
 * Issue 13 / 9.9 / 18.6, driving the real chat-server binary: /metrics
 * moving during a chat, /healthz and /readyz, SIGHUP changing the rate limit
 * (native and IRC) and the MOTD under a live chat (and refusing a bad file), SIGUSR1 log
 * rotation under load without losing a line, `chat-server backup` opened by
 * a second server, and the command line's one-line errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runServerBin, type Child } from '../helpers/process.js';
import { freePort } from '../helpers/server-process.js';
import { IrcClient } from '../helpers/irc.js';
import { LineClient } from '../helpers/line-client.js';
import { cleanEnv, SERVER_BIN, tempDir } from '../helpers/env.js';

/** Start the binary with `args`; resolves with the chat port once it logs "listening". */
async function start(
  t: TestContext,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: Child; port: number }> {
  const child = runServerBin(t, ['--host', '127.0.0.1', '--port', '0', ...args], cleanEnv(env));
  // Generous: on a loaded machine a node process can take seconds to start.
  const { line } = await child.waitStdout((l) => l.includes('"msg":"listening"'), 0, 20_000);
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^(\S+) (\S+)$/u.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [SERVER_BIN, ...args], {
    cwd,
    env: cleanEnv(env),
    encoding: 'utf8',
  });
}

test('metrics: counters move during a chat; /healthz and /readyz answer', async (t) => {
  const metricsPort = await freePort();
  const { child, port } = await start(t, ['--db', ':memory:', '--metrics', String(metricsPort)]);
  await child.waitStdout((l) => l.includes('metrics listening'));
  const before = await scrape(metricsPort);
  assert.equal(before.get('chat_users'), 0);
  assert.ok(before.has('process_cpu_user_seconds_total'), 'default process metrics');
  assert.ok(before.has('nodejs_eventloop_lag_seconds'), 'event-loop lag');

  const alice = await LineClient.text(port, 'Alice');
  const bob = await LineClient.json(port, 'Bob');
  t.after(() => {
    alice.close();
    bob.close();
  });
  for (let i = 0; i < 5; i++) alice.send(`hello ${i}`);
  await bob.waitForJson((o) => o.type === 'message' && o.text === 'hello 4');
  bob.sendJson({ type: 'join', room: '#x y' }); // a bad room name: one refusal
  await bob.waitForJson((o) => o.type === 'error');

  const after = await scrape(metricsPort);
  assert.equal(after.get('chat_users'), 2);
  assert.equal(after.get('chat_connections{mode="text"}'), 1);
  assert.equal(after.get('chat_connections{mode="json"}'), 1);
  assert.equal(after.get('chat_messages_in_total{kind="room"}'), 5);
  assert.ok(after.get('chat_messages_out_total')! >= 5, 'Bob got five messages');
  assert.ok(after.get('chat_deliveries_total')! > after.get('chat_messages_out_total')!);
  assert.ok(after.get('chat_bytes_in_total')! > 0);
  assert.ok(after.get('chat_bytes_out_total')! > 0);
  assert.equal(after.get('chat_store_append_seconds_count'), 5);
  const refused = [...after].filter(([k]) => k.startsWith('chat_refusals_total'));
  assert.equal(
    refused.reduce((n, [, v]) => n + v, 0),
    1,
    'one error event sent',
  );

  const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
  assert.equal(health.status, 200);
  const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
  assert.equal(ready.status, 200);
});

test('metrics: messages out are counted once per recipient when two senders share a burst', async (t) => {
  const metricsPort = await freePort();
  const { child, port } = await start(t, ['--db', ':memory:', '--metrics', String(metricsPort)], {
    CHAT_RATE_BURST: '1000',
    CHAT_RATE_PER_SECOND: '1000',
  });
  await child.waitStdout((l) => l.includes('metrics listening'));
  const alice = await LineClient.text(port, 'Alice');
  const bob = await LineClient.text(port, 'Bob');
  const carol = await LineClient.json(port, 'Carol');
  t.after(() => {
    for (const c of [alice, bob, carol]) c.close();
  });
  await alice.waitFor((l) => l.includes('Carol joined'));
  await bob.waitFor((l) => l.includes('Carol joined'));
  const before = (await scrape(metricsPort)).get('chat_messages_out_total')!;
  // Both pastes are in the server's socket buffers before it reads either,
  // so one burst usually holds both senders' lines: each sender's copy
  // leaves out its own, and the count must leave them out too.
  const paste = (who: string): string =>
    Array.from({ length: 6 }, (_, i) => `${who} line ${i}\n`).join('');
  // Several rounds: a round whose pastes the server happens to read in two
  // turns counts right either way.
  const rounds = 6;
  for (let r = 0; r < rounds; r++) {
    alice.sendRaw(paste(`a${r}`));
    bob.sendRaw(paste(`b${r}`));
    // The two senders' lines reach Carol in either order.
    const last = new Set([`"a${r} line 5"`, `"b${r} line 5"`]);
    while (last.size > 0) {
      const line = await carol.waitFor((l) => [...last].some((text) => l.includes(text)));
      for (const text of last) if (line.includes(text)) last.delete(text);
    }
    await alice.waitFor((l) => l.endsWith(`b${r} line 5`));
    await bob.waitFor((l) => l.endsWith(`a${r} line 5`));
  }
  const after = (await scrape(metricsPort)).get('chat_messages_out_total')!;
  // Each round: Carol got 12, Alice Bob's 6, Bob Alice's 6.
  assert.equal(after - before, 24 * rounds);
});

test('SIGHUP: a new rate limit and MOTD apply under a live chat; a bad file is refused', async (t) => {
  const dir = tempDir(t, 'chat-ops-');
  const config = join(dir, 'chat.yaml');
  const motd = join(dir, 'motd.txt');
  writeFileSync(motd, 'first motd\n');
  writeFileSync(config, 'motd: motd.txt\nrate-burst: 100\nrate-per-second: 100\n');
  const { child, port } = await start(t, [
    '--db',
    ':memory:',
    '--config',
    config,
    '--irc-port',
    '0',
    '--irc-host',
    '127.0.0.1',
  ]);
  const ircListening = await child.waitStdout((l) => l.includes('"msg":"irc listening"'));
  const ircPort = (JSON.parse(ircListening.line) as { port: number }).port;
  const alice = await LineClient.text(port, 'Alice');
  t.after(() => alice.close());
  await alice.waitFor((l) => l === '* first motd');
  const erin = await IrcClient.register(t, ircPort, 'Erin');

  const bob = await LineClient.text(port, 'Bob');
  t.after(() => bob.close());
  // Under the old limit a burst of 5 passes.
  for (let i = 0; i < 5; i++) alice.send(`before ${i}`);
  await bob.waitFor((l) => l.endsWith('<Alice> before 4'));
  assert.ok(!alice.lines.some((l) => l.includes('slow down')));
  erin.c.sendRaw([0, 1, 2].map((i) => `PRIVMSG #lobby :irc before ${i}\r\n`).join(''));
  await bob.waitFor((l) => l.endsWith('<Erin> irc before 2'));

  writeFileSync(motd, 'second motd\nline two\n');
  writeFileSync(
    config,
    'motd: motd.txt\nrate-burst: 1\nrate-per-second: 1\nrate-queue: 0\nhistory-limit: 5\n',
  );
  let mark = child.stdout.length;
  child.proc.kill('SIGHUP');
  const { line } = await child.waitStdout((l) => l.includes('configuration reloaded'), mark);
  const changed = (JSON.parse(line) as { changed: string[] }).changed;
  for (const name of ['rate-burst', 'rate-per-second', 'rate-queue', 'motd'])
    assert.ok(changed.includes(name), `${name} in ${JSON.stringify(changed)}`);
  await child.waitStdout(
    (l) => l.includes('not applied until a restart') && l.includes('history-limit'),
    mark,
  );

  // The open connection is now paced: of three at once, two are refused.
  alice.send('after 1');
  alice.send('after 2');
  alice.send('after 3');
  await alice.waitFor((l) => l.includes('rate_limited') || l.includes('slow down'));
  // So is the open IRC connection (fakelag), which the reload did not drop.
  erin.c.sendRaw([1, 2, 3].map((i) => `PRIVMSG #lobby :irc after ${i}\r\n`).join(''));
  await erin.expect((m) => m.command === 'NOTICE' && /Too many commands/u.test(m.params[1]!));
  const carol = await LineClient.text(port, 'Carol');
  t.after(() => carol.close());
  await carol.waitFor((l) => l === '* second motd');
  await carol.waitFor((l) => l === '* line two');

  // A file that fails validation: refused, old configuration kept.
  writeFileSync(config, 'rate-burst: lots\n');
  mark = child.stdout.length;
  child.proc.kill('SIGHUP');
  const refused = await child.waitStdout((l) => l.includes('reload refused'), mark);
  assert.match(refused.line, /rate-burst/u);
  const dave = await LineClient.json(port, 'Dave');
  t.after(() => dave.close());
  const motdEvent = await dave.waitForJson((o) => o.type === 'system' && o.event === 'motd');
  assert.equal(motdEvent.text, 'second motd\nline two');
});

test('--log-file: moved away and reopened on SIGUSR1 under load, no line lost', async (t) => {
  const dir = tempDir(t, 'chat-ops-');
  const log = join(dir, 'chat.log');
  const child = runServerBin(
    t,
    ['--host', '127.0.0.1', '--port', '0', '--db', ':memory:', '--log-file', log],
    // 200 clients connect at once and close lazily: lift the per-address cap
    // (default 100) so the test counts log lines, not admission refusals.
    cleanEnv({ CHAT_ACCEPTS_PER_SECOND: '100000', CHAT_MAX_CONNECTIONS_PER_ADDRESS: '1000' }),
  );
  // With --log-file nothing goes to stdout: find the port in the file. The
  // deadline is generous because a loaded CI machine can take seconds to
  // start a server; the loop ends as soon as the line is there.
  let port = 0;
  const deadline = Date.now() + 30_000;
  while (port === 0 && Date.now() < deadline) {
    if (existsSync(log)) {
      const m = /"port":(\d+).*"msg":"listening"/u.exec(readFileSync(log, 'utf8'));
      if (m) port = Number(m[1]);
    }
    if (port === 0) await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(port > 0, 'listening line in the log file');
  const N = 200;
  let rotated = false;
  const clients: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    clients.push(
      (async () => {
        const c = await LineClient.text(port, `u${i}`);
        c.close();
      })(),
    );
    if (i === N / 2) {
      renameSync(log, log + '.1');
      child.proc.kill('SIGUSR1');
      rotated = true;
    }
  }
  await Promise.all(clients);
  assert.ok(rotated);
  child.proc.kill('SIGTERM');
  await child.waitExit();
  const lines = [
    ...readFileSync(log + '.1', 'utf8').split('\n'),
    ...readFileSync(log, 'utf8').split('\n'),
  ].filter((l) => l !== '');
  const parsed = lines.map((l) => JSON.parse(l) as { msg: string; alias?: string });
  assert.ok(
    parsed.some((p) => p.msg === 'log file reopened'),
    'the reopen is logged in the new file',
  );
  assert.ok(readFileSync(log, 'utf8').includes('log file reopened'));
  for (const msg of ['connected', 'handshake complete', 'disconnected']) {
    assert.equal(parsed.filter((p) => p.msg === msg).length, N, `${N} "${msg}" lines`);
  }
});

test('backup: a second server opens the copy with all history', async (t) => {
  const dir = tempDir(t, 'chat-ops-');
  const db = join(dir, 'chat.db');
  const { child, port } = await start(t, ['--db', db]);
  // A new file is a warning with its full path: a server started without its usual --db comes up empty.
  const fresh = child.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(
    fresh.some((o) => o.level === 40 && o.db === db && /new, empty database/u.test(String(o.msg))),
    child.stdout.join('\n'),
  );
  const alice = await LineClient.text(port, 'Alice');
  for (let i = 0; i < 30; i++) alice.send(`kept ${i}`);
  const bob = await LineClient.text(port, 'Bob');
  await bob.waitFor((l) => l.endsWith('kept 29'));
  const copy = join(dir, 'copy.db');
  const r = run(['backup', copy, '--db', db], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /copied .*chat\.db to .*copy\.db/u);
  alice.close();
  bob.close();
  child.proc.kill('SIGTERM');
  await child.waitExit();

  const second = await start(t, ['--db', copy]);
  assert.ok(
    second.child.stdout.some((l) => l.includes('"msg":"database"') && l.includes(copy)),
    second.child.stdout.join('\n'),
  );
  const carol = await LineClient.connect(second.port);
  t.after(() => carol.close());
  carol.send('Carol');
  carol.send('/history 40');
  for (let i = 0; i < 30; i++) await carol.waitFor((l) => l.endsWith(`kept ${i}`));

  const again = run(['backup', copy, '--db', db], dir);
  assert.equal(again.status, 1, 'an existing target is not overwritten');
});

test('command line: unknown option and busy port are one clean line; no db left behind', async (t) => {
  const dir = tempDir(t, 'chat-ops-');
  const bogus = run(['--bogus'], dir);
  assert.equal(bogus.status, 2);
  const lines = bogus.stderr.trim().split('\n');
  assert.ok(lines.length <= 2, bogus.stderr);
  assert.match(bogus.stderr, /unknown option '--bogus'/u);
  assert.match(bogus.stderr, /--help/u);

  const { port } = await start(t, ['--db', ':memory:']);
  const busy = run(['--host', '127.0.0.1', '--port', String(port), '--db', 'new.db'], dir);
  assert.equal(busy.status, 1);
  assert.equal(busy.stderr.trim().split('\n').length, 1, busy.stderr);
  assert.match(busy.stderr, /EADDRINUSE/u);
  assert.doesNotMatch(busy.stdout + busy.stderr, /\n\s+at /u, 'no stack trace');
  assert.equal(existsSync(join(dir, 'new.db')), false, 'no database created');

  const list = run(['accounts', 'list'], dir);
  assert.equal(list.status, 1);
  assert.match(list.stderr, /no database at .*chat\.db/u);
  assert.equal(existsSync(join(dir, 'chat.db')), false, 'a read-only command creates nothing');
});

test('18.6: off loopback without TLS warns; --require-account there refuses to start', async (t) => {
  const dir = tempDir(t, 'chat-ops-');
  const refused = run(
    ['--host', '0.0.0.0', '--port', '0', '--db', ':memory:', '--require-account'],
    dir,
  );
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /plain text/u);
  assert.match(refused.stderr, /--tls-cert/u);
  assert.match(refused.stderr, /--allow-plaintext-passwords/u);

  const child = runServerBin(
    t,
    [
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--db',
      ':memory:',
      '--require-account',
      '--allow-plaintext-passwords',
    ],
    cleanEnv(),
  );
  const warned = await child.waitStdout((l) => l.includes('plain text'));
  assert.match(warned.line, /--tls-cert/u);
  await child.waitStdout((l) => l.includes('"msg":"listening"'));
});

test('chat-server config: each value with its source; --check names key, source and what is allowed', (t) => {
  const dir = tempDir(t, 'chat-ops-');
  writeFileSync(
    join(dir, 'chat.yaml'),
    '# team server\nport: 6001\nhistory-limit: 500\ndb: data/chat.db\n',
  );
  const r = run(['config', '--config', 'chat.yaml', '--rate-burst', '7'], dir, {
    CHAT_LOG_LEVEL: 'warn',
  });
  assert.equal(r.status, 0, r.stderr);
  const row = (key: string): string => r.stdout.split('\n').find((l) => l.startsWith(key + ' '))!;
  assert.match(row('port'), /6001\s+config file chat\.yaml:2$/u);
  assert.match(row('history-limit'), /500\s+config file chat\.yaml:3$/u);
  assert.match(
    row('db'),
    new RegExp(`${join(dir, 'data/chat.db')}\\s`, 'u'),
    'relative to the file',
  );
  assert.match(row('log-level'), /warn\s+environment CHAT_LOG_LEVEL$/u);
  assert.match(row('rate-burst'), /7\s+command line --rate-burst$/u);
  assert.match(row('host'), /127\.0\.0\.1\s+default$/u);

  writeFileSync(join(dir, 'bad.yaml'), 'port: 6001\nhistroy-limit: 10\n');
  const bad = run(['config', '--check', 'bad.yaml'], dir);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bad\.yaml:2/u);
  assert.match(bad.stderr, /did you mean "history-limit"/u);

  writeFileSync(join(dir, 'range.yaml'), 'rate-burst: 0\n');
  const range = run(['config', '--check', 'range.yaml'], dir);
  assert.equal(range.status, 2);
  assert.match(range.stderr, /range\.yaml:1: rate-burst must be a whole number from 1 to 10000/u);

  const good = run(['config', '--check', 'chat.yaml'], dir);
  assert.equal(good.status, 0, good.stderr);
});

test('/readyz: 503 once shutdown starts, while /healthz still answers', async (t) => {
  const { startServer } = await import('../helpers/server.js');
  const { startMetrics } = await import('../../src/server/metrics.js');
  const pino = (await import('pino')).default;
  const server = await startServer();
  const metrics = await startMetrics(
    server.app,
    { host: '127.0.0.1', port: 0 },
    pino({ level: 'silent' }),
  );
  t.after(() => metrics.close());
  const url = (p: string): string => `http://127.0.0.1:${metrics.address.port}${p}`;
  assert.equal((await fetch(url('/readyz'))).status, 200);
  const client = await LineClient.text(server.port, 'Alice');
  const stopped = server.close();
  assert.equal((await fetch(url('/readyz'))).status, 503);
  assert.equal((await fetch(url('/healthz'))).status, 200);
  client.close();
  await stopped;
  assert.equal((await fetch(url('/readyz'))).status, 503);
});
