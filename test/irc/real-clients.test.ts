/**
 * Real IRC clients from Debian against the IRC listener (docs/protocol.md
 * §9): weechat-headless (scripted through its FIFO, read through its logs),
 * ii (files and FIFOs) and irssi (under tmux). Each joins #lobby, sees the
 * history, exchanges messages both ways with a native `nc` user, and leaves.
 * In CI a missing client is a failure (.ci/run installs them); elsewhere the
 * test is skipped with the reason.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { serve } from '../helpers/fixtures.js';
import { ircPort } from '../helpers/irc.js';
import { Nc } from '../helpers/process.js';
import { createAccount } from '../helpers/security.js';
import { cleanEnv, tempDir } from '../helpers/env.js';

const WAIT_MS = 15_000;

function missing(bin: string, pkg: string): string | undefined {
  if (spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0)
    return undefined;
  const msg = `${bin} is not installed (apt-get install -y ${pkg})`;
  if (process.env.CI) throw new Error(`${msg}, and CI must run this test`);
  return msg;
}

/**
 * Wait until `probe` returns a value. These clients report only through files
 * and screens, which offer no event to wait on, so the condition is re-checked
 * every 50 ms until the deadline; the failure says what was last seen.
 */
async function until<T>(
  what: string,
  probe: () => T | undefined,
  seen: () => string,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last seen:\n${seen()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Kill a client still running when the test ends (by its pid), and wait for it. */
function reap(t: TestContext, child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return exited;
}

const SKEW_MS = (3 * 60 + 17) * 60_000;

/** `hh:mm:ss` (UTC) names a second between `fromMs` and `toMs`, give or take one. */
function assertSentBetween(hms: string, fromMs: number, toMs: number): void {
  const day = 86_400;
  const [h = 0, m = 0, sec = 0] = hms.split(':').map(Number);
  const shown = h * 3600 + m * 60 + sec;
  const from = Math.floor(fromMs / 1000) % day;
  const late = (shown - from + day + 1) % day;
  assert.ok(
    late <= Math.ceil((toMs - fromMs) / 1000) + 2,
    `shown ${hms}, sent between ${new Date(fromMs).toISOString()} and ${new Date(toMs).toISOString()}`,
  );
}

/** A native nc user in #lobby who already said something (history for the IRC client). */
async function ncUser(t: TestContext, port: number): Promise<Nc> {
  const nc = Nc.start(t, port);
  nc.type('ncuser');
  await nc.waitFor((l) => l.startsWith('* Welcome'));
  nc.type('said before you came');
  return nc;
}

test('weechat-headless logs in with SASL, joins #lobby, sees history with times, chats with nc, quits', async (t) => {
  const skip = missing('weechat-headless', 'weechat-headless');
  if (skip) return t.skip(skip);
  // The server's clock runs 3 h 17 min behind: a history line showing the time
  // it was sent (server-time) is then told apart from one showing its arrival.
  const clock: Clock = { ...systemClock, now: () => Date.now() - SKEW_MS };
  const server = await serve(t, { ircPort: 0, serverName: 'irc.test' }, clock);
  await createAccount(server, 'Wendy', 'wendy password');
  const saidFrom = clock.now();
  const nc = await ncUser(t, server.port);
  const saidBy = clock.now();
  const dir = tempDir(t, 'chat-weechat-');
  const commands = [
    '/set logger.file.flush_delay 0',
    '/set logger.file.time_format "%H:%M:%S"',
    // weechat paces what it sends (2 s a line by default; the option's name
    // changed in 4.0): the test's lines need not wait, so neither does it.
    '/set irc.server_default.anti_flood_prio_high 0',
    '/set irc.server_default.anti_flood 0',
    '/set irc.server_default.nicks wuser',
    `/server add t 127.0.0.1/${ircPort(server)} -notls`,
    '/set irc.server.t.autojoin #lobby',
    '/set irc.server.t.sasl_username Wendy',
    '/set irc.server.t.sasl_password "wendy password"',
    '/connect t',
  ].join(';');
  const weechat = spawn('weechat-headless', ['--dir', dir, '-r', commands], {
    stdio: 'ignore',
    env: cleanEnv({ HOME: dir, TZ: 'UTC' }),
  });
  const exited = reap(t, weechat);
  const log = join(dir, 'logs', 'irc.t.#lobby.weechatlog');
  // SASL made the account's name the nick.
  await nc.waitFor((l) => l.includes('Wendy') && l.includes('joined'));
  // The history arrives with its time (server-time): the log line carries it.
  const history = await until(
    'the history in weechat',
    () =>
      read(log)
        .split('\n')
        .find((l) => l.includes('said before you came')),
    () => read(log),
  );
  assert.match(history, /^\d\d:\d\d:\d\d\tncuser\tsaid before you came$/u);
  assertSentBetween(history.slice(0, 8), saidFrom, saidBy);
  nc.type('hello weechat');
  await until(
    'the nc message in weechat',
    () => (read(log).includes('ncuser\thello weechat') ? true : undefined),
    () => read(log),
  );
  const fifo = await until(
    "weechat's FIFO",
    () => readdirSync(dir).find((f) => f.startsWith('weechat_fifo')),
    () => readdirSync(dir).join(' '),
  );
  writeFileSync(join(dir, fifo), 'irc.t.#lobby *hello nc, from weechat\n');
  assert.match(
    await nc.waitFor((l) => l.includes('from weechat')),
    /<Wendy> hello nc, from weechat$/u,
  );
  writeFileSync(join(dir, fifo), 'irc.t.#lobby */quit off to lunch\n');
  assert.match(await nc.waitFor((l) => l.includes('Wendy') && !l.includes('<')), /off to lunch/u);
  assert.equal(await exited, 0);
});

test('ii joins #lobby through its FIFO, chats with nc, leaves', async (t) => {
  const skip = missing('ii', 'ii');
  if (skip) return t.skip(skip);
  const server = await serve(t, { ircPort: 0, serverName: 'irc.test' });
  const nc = await ncUser(t, server.port);
  const dir = tempDir(t, 'chat-ii-');
  const ii = spawn(
    'ii',
    ['-s', '127.0.0.1', '-p', String(ircPort(server)), '-n', 'iiuser', '-i', dir],
    { stdio: 'ignore', env: cleanEnv() },
  );
  const exited = reap(t, ii);
  const serverDir = join(dir, '127.0.0.1');
  const serverIn = join(serverDir, 'in');
  await until(
    'ii to register',
    () =>
      read(join(serverDir, 'out')).includes(' 001 ') ||
      read(join(serverDir, 'out')).includes('Welcome')
        ? true
        : undefined,
    () => read(join(serverDir, 'out')),
  );
  writeFileSync(serverIn, '/j #lobby\n');
  const lobby = join(serverDir, '#lobby');
  await until(
    'the #lobby directory',
    () => (existsSync(join(lobby, 'in')) ? true : undefined),
    () => readdirSync(serverDir).join(' '),
  );
  const out = join(lobby, 'out');
  // Without server-time, the history is framed by notices and ii stamps it with the time it arrived.
  await until(
    'the history in ii',
    () => (read(out).includes('<ncuser> said before you came') ? true : undefined),
    () => read(out),
  );
  nc.type('hello ii');
  await until(
    'the nc message in ii',
    () => (read(out).includes('<ncuser> hello ii') ? true : undefined),
    () => read(out),
  );
  writeFileSync(join(lobby, 'in'), 'hello nc, from ii\n');
  assert.match(await nc.waitFor((l) => l.includes('from ii')), /<iiuser> hello nc, from ii$/u);
  writeFileSync(serverIn, '/q leaving now\n');
  assert.match(await nc.waitFor((l) => l.includes('iiuser') && !l.includes('<')), /leaving now/u);
  await exited;
});

test('irssi under tmux joins #lobby, chats with nc, quits', async (t) => {
  const skip = missing('irssi', 'irssi') ?? missing('tmux', 'tmux');
  if (skip) return t.skip(skip);
  const server = await serve(t, { ircPort: 0, serverName: 'irc.test' });
  const nc = await ncUser(t, server.port);
  const dir = tempDir(t, 'chat-irssi-');
  // A tmux server of our own (its own socket): nothing else's sessions are touched.
  const socket = join(dir, 'tmux.sock');
  const tmux = (...args: string[]): string => {
    const r = spawnSync('tmux', ['-S', socket, ...args], {
      encoding: 'utf8',
      env: cleanEnv({ HOME: dir }),
    });
    return r.stdout ?? '';
  };
  t.after(() => void tmux('kill-server'));
  // irssi sends 5 lines at once, then one per 2.2 s: its channel sync queries
  // would hold the test's line back for seconds. Unpaced, it behaves the same
  // (irssi with no settings at all was tried by hand: only slower).
  writeFileSync(join(dir, 'config'), 'settings = { "irc/core" = { cmd_queue_speed = "0"; }; };\n');
  tmux(
    'new-session',
    '-d',
    '-x',
    '160',
    '-y',
    '40',
    '-s',
    'irssi',
    `irssi --home=${dir} -n irssiuser -c 127.0.0.1 -p ${ircPort(server)}`,
  );
  const screen = (): string => tmux('capture-pane', '-p', '-t', 'irssi');
  await nc.waitFor((l) => l.includes('irssiuser') && l.includes('joined'), WAIT_MS);
  tmux('send-keys', '-t', 'irssi', '/join #lobby', 'Enter');
  await until(
    'the history in irssi',
    () => (/ncuser.*said before you came/u.test(screen()) ? true : undefined),
    screen,
  );
  nc.type('hello irssi');
  await until(
    'the nc message in irssi',
    () => (/ncuser.*hello irssi/u.test(screen()) ? true : undefined),
    screen,
  );
  tmux('send-keys', '-t', 'irssi', 'hello nc, from irssi', 'Enter');
  assert.match(
    await nc.waitFor((l) => l.includes('from irssi')),
    /<irssiuser> hello nc, from irssi$/u,
  );
  tmux('send-keys', '-t', 'irssi', '/quit see you', 'Enter');
  assert.match(await nc.waitFor((l) => l.includes('irssiuser') && !l.includes('<')), /see you/u);
});
