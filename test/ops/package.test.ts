/**
 * 13.6: what `npm pack` ships installs and runs. The tarball holds only what
 * runs (no tests, benchmarks or source maps); installed into a temporary
 * prefix, its two programs print their versions and chat with each other.
 * Also checks that deploy/ (Dockerfile, systemd unit) names paths and options
 * that exist. Docker itself is not run here.
 *
 * The install uses npm's cache (--offline, then --prefer-offline) with
 * --ignore-scripts; the native SQLite addon is taken from this checkout's
 * node_modules rather than compiled again (minutes of CPU on a shared box).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SERVER_OPTIONS, envName, flagName } from '../../src/server/options.js';
import { Child } from '../helpers/process.js';
import { cleanEnv, tempDir } from '../helpers/env.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const KNOWN_ENV = new Set(SERVER_OPTIONS.map((s) => envName(s.key)));
const KNOWN_FLAGS = new Set(SERVER_OPTIONS.map((s) => '--' + flagName(s.key)));

function npm(args: string[], cwd: string) {
  return spawnSync('npm', args, { cwd, encoding: 'utf8', env: cleanEnv() });
}

test(
  'npm pack holds only what runs, installs offline, and its programs chat',
  { timeout: 180_000 },
  async (t) => {
    const dir = tempDir(t, 'chat-pack-');
    const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    assert.equal(packed.status, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = info!.files.map((f) => f.path);
    for (const must of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/src/bin/chat-server.js',
      'dist/src/bin/chat-client.js',
      'docs/operations.md',
      'docs/protocol.md',
      'docs/protocol.schema.json',
      'dist/src/client/index.js',
      'dist/src/client/index.d.ts',
      'examples/node-bot.mjs',
    ])
      assert.ok(files.includes(must), `${must} in the tarball`);
    const stray = files.filter((f) =>
      /^(dist\/(test|bench)\/|test\/|bench\/|src\/)|\.map$|(?<!\.d)\.ts$/u.test(f),
    );
    assert.deepEqual(stray, [], 'no tests, benchmarks, sources or maps');

    const prefix = join(dir, 'prefix');
    mkdirSync(prefix);
    const tarball = join(dir, info!.filename);
    const base = [
      'install',
      '--prefix',
      prefix,
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      tarball,
    ];
    let installed = npm([...base, '--offline'], dir);
    if (installed.status !== 0) installed = npm([...base, '--prefer-offline'], dir);
    assert.equal(installed.status, 0, installed.stderr);
    const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    mkdirSync(join(prefix, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
    copyFileSync(join(ROOT, addon), join(prefix, addon));

    // The client library resolves by its package name, with its declarations.
    const lib = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('chat/client'); if (typeof m.connect !== 'function') process.exit(3);",
      ],
      { cwd: prefix, encoding: 'utf8', env: cleanEnv() },
    );
    assert.equal(lib.status, 0, `import 'chat/client' from the installed package: ${lib.stderr}`);

    const bin = join(prefix, 'node_modules/.bin');
    const version = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    const versionAndExamples = (program: string): void => {
      const r = spawnSync(join(bin, program), ['--version'], { encoding: 'utf8', env: cleanEnv() });
      assert.equal(r.status, 0, `${program} --version: ${r.stderr}`);
      assert.equal(r.stdout.trim(), version);
      const help = spawnSync(join(bin, program), ['--help'], { encoding: 'utf8', env: cleanEnv() });
      assert.match(
        help.stdout,
        /Examples:\n(?: {2}.*\n?)+$/u,
        `${program} --help ends with examples`,
      );
    };
    versionAndExamples('chat-server');
    versionAndExamples('chat-client');

    const server = new Child(
      spawn(join(bin, 'chat-server'), ['--port', '0', '--db', join(dir, 'chat.db')], {
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    t.after(() => server.proc.kill('SIGKILL'));
    const { line } = await server.waitStdout((l) => l.includes('"msg":"listening"'), 0, 15_000);
    const port = String((JSON.parse(line) as { port: number }).port);
    // Bob stays connected (stdin held open); Alice pipes one line and exits once it is acknowledged.
    const bob = new Child(
      spawn(join(bin, 'chat-client'), ['--port', port, '--name', 'Bob'], {
        env: cleanEnv(),
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    t.after(() => bob.proc.kill('SIGKILL'));
    await server.waitStdout((l) => l.includes('"alias":"Bob"'), 0, 15_000);
    const alice = spawnSync(join(bin, 'chat-client'), ['--port', port, '--name', 'Alice'], {
      input: 'hello from an installed client\n',
      encoding: 'utf8',
      env: cleanEnv(),
    });
    assert.equal(alice.status, 0, alice.stderr);
    await bob.waitStdout((l) => l.includes('hello from an installed client'), 0, 15_000);
    bob.proc.stdin?.end();
    assert.equal((await bob.waitExit(15_000)).code, 0);
    server.proc.kill('SIGTERM');
    assert.equal((await server.waitExit(15_000)).code, 0);
  },
);

/** `KEY=VALUE` and `KEY value` settings of a unit or Dockerfile, for checks by name. */
function directives(text: string, pattern: RegExp): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const joined = text.replace(/\\\n\s*/gu, ' ');
  for (const line of joined.split('\n')) {
    const m = pattern.exec(line.trim());
    if (m) out.push([m[1]!, m[2]!.trim()]);
  }
  return out;
}

test('deploy/chat-server.service: DynamicUser, StateDirectory, SIGHUP reload, hardening; paths and options exist', () => {
  const unit = readFileSync(join(ROOT, 'deploy/chat-server.service'), 'utf8');
  const d = directives(unit, /^([A-Za-z]+)=(.*)$/u);
  const get = (k: string): string[] => d.filter(([key]) => key === k).map(([, v]) => v);
  assert.deepEqual(get('DynamicUser'), ['yes']);
  assert.deepEqual(get('StateDirectory'), ['chat-server']);
  assert.match(get('ExecReload')[0]!, /kill -HUP \$MAINPID/u);
  for (const h of [
    'NoNewPrivileges',
    'ProtectSystem',
    'ProtectHome',
    'PrivateTmp',
    'RestrictAddressFamilies',
    'CapabilityBoundingSet',
  ])
    assert.equal(get(h).length, 1, h);
  // Options come from /etc/chat/chat.yaml only: an Environment= would override
  // the file's without a word (and the accounts CLI, reading the file, would
  // open another database). The default ./chat.db is in the state directory.
  assert.deepEqual(get('Environment'), []);
  assert.deepEqual(get('WorkingDirectory'), ['/var/lib/chat-server']);
  for (const exec of [...get('ExecStart'), ...get('ExecStartPre')]) {
    const [, script, ...args] = exec.split(/\s+/u);
    const shipped = script!.replace('/usr/lib/node_modules/chat/', '');
    assert.ok(
      existsSync(join(ROOT, shipped.replace(/\.js$/u, '.ts').replace(/^dist\//u, ''))),
      `${shipped} is built from a source file`,
    );
    for (const a of args.filter((x) => x.startsWith('--') && x !== '--check'))
      assert.ok(KNOWN_FLAGS.has(a), `${a} is a chat-server option`);
  }
  const analyze = spawnSync(
    'systemd-analyze',
    ['verify', '--man=no', join(ROOT, 'deploy/chat-server.service')],
    { encoding: 'utf8' },
  );
  if (analyze.error === undefined)
    assert.doesNotMatch(analyze.stderr, /Unknown key|Invalid|Failed to parse/u, analyze.stderr);
});

test('deploy/Dockerfile: multi-stage, non-root, HEALTHCHECK on /healthz, db on a volume', () => {
  const text = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
  const d = directives(text, /^([A-Z]+)\s+(.*)$/u);
  const get = (k: string): string[] => d.filter(([key]) => key === k).map(([, v]) => v);
  assert.ok(get('FROM').length >= 2, 'multi-stage');
  assert.ok(get('FROM').some((f) => / AS build$/u.test(f)));
  assert.ok(get('COPY').some((c) => c.startsWith('--from=build')));
  assert.deepEqual(get('USER'), ['node']);
  assert.match(get('HEALTHCHECK')[0]!, /\/healthz/u);
  assert.deepEqual(get('VOLUME'), ['["/data"]']);
  const envs = get('ENV')
    .flatMap((e) => e.split(/\s+/u))
    .filter((x) => x.includes('='));
  for (const kv of envs.filter((x) => x.startsWith('CHAT_')))
    assert.ok(KNOWN_ENV.has(kv.split('=')[0]!), `${kv} is an option`);
  assert.ok(envs.includes('CHAT_DB=/data/chat.db'), 'db on the volume');
  const metrics = envs
    .find((x) => x.startsWith('CHAT_METRICS='))!
    .split(':')
    .pop();
  assert.match(
    get('HEALTHCHECK')[0]!,
    new RegExp(`:${metrics}/healthz`, 'u'),
    'health check on the metrics port',
  );
  // Every path copied from the build context exists in the repository.
  for (const c of get('COPY').filter((x) => !x.startsWith('--from'))) {
    const parts = c.split(/\s+/u);
    for (const src of parts.slice(0, -1)) assert.ok(existsSync(join(ROOT, src)), `${src} exists`);
  }
  assert.match(get('ENTRYPOINT')[0]!, /dist\/src\/bin\/chat-server\.js/u);
});
