/**
 * Real processes for the client's end-to-end tests: the built chat-server on
 * port 0, chat-client (piped, or in a pseudo-terminal via util-linux `script`),
 * a raw text-mode socket (plain or TLS) playing an `nc` user, and the files
 * they need (accounts, a private CA made with openssl). Everything started
 * here is stopped, and every file removed, by the test that made it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LineReader, within } from './helpers.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SERVER_BIN = path.join(DIST, 'src/bin/chat-server.js');
export const CLIENT_BIN = path.join(DIST, 'src/bin/chat-client.js');

/** Anything that can register cleanup, like node:test's TestContext. */
export interface Cleanup {
  after(fn: () => Promise<void> | void): void;
}

/** The environment without CHAT_* settings, so the host's own cannot leak into a test. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('CHAT_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** A child process with its output collected as text. */
export class Child {
  stdout = '';
  stderr = '';
  /** Set once the process has exited and its output is all read (or it failed to start). */
  finished = false;
  readonly exited: Promise<number | null>;

  constructor(readonly proc: ChildProcess) {
    proc.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': by then all of its output has been read.
      proc.once('close', (code) => {
        this.finished = true;
        resolve(code);
      });
      // A spawn failure (e.g. no `script` installed) fails the waits with its reason.
      proc.once('error', (err) => {
        this.stderr += `spawn failed: ${err.message}\n`;
        this.finished = true;
        resolve(null);
      });
    });
  }

  /** Everything seen so far, for failure messages. */
  seen(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Wait for the exit code, failing after `ms` with the output seen. */
  exitCode(ms = 10_000): Promise<number | null> {
    return within(this.exited, ms, 'the process to exit', () => this.seen());
  }

  /** Wait until stdout (with terminal escapes removed) satisfies `test`. */
  async output(test: RegExp, what: string, ms = 10_000): Promise<void> {
    await within(
      (async () => {
        while (!test.test(plainText(this.stdout))) {
          await Promise.race([once(this.proc.stdout!, 'data'), this.exited]);
          if (this.finished && !test.test(plainText(this.stdout))) {
            throw new Error(
              `process exited (${this.proc.exitCode}) before ${what}\n${this.seen()}`,
            );
          }
        }
      })(),
      ms,
      what,
      () => this.seen(),
    );
  }

  /** Stop the process if it still runs. */
  async stop(): Promise<void> {
    if (this.finished) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/** Remove ANSI/VT sequences and CRs, leaving what a user would read. */
export function plainText(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching terminal escapes is the point
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\r/gu, '');
}

/** Start chat-server on a free port; resolves once it logs "listening". */
export async function startServer(
  t: Cleanup,
  args: string[] = [],
): Promise<{ server: Child; port: number }> {
  const proc = spawn(
    process.execPath,
    [
      SERVER_BIN,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--log-level',
      'info',
      '--db',
      ':memory:',
      ...args,
    ],
    { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = new Child(proc);
  t.after(() => server.stop());
  let port = 0;
  await within(
    (async () => {
      for (;;) {
        for (const line of server.stdout.split('\n')) {
          if (!line.includes('"msg":"listening"')) continue;
          port = (JSON.parse(line) as { port: number }).port;
          return;
        }
        await Promise.race([once(proc.stdout!, 'data'), server.exited]);
        if (server.finished) throw new Error(`chat-server exited early\n${server.seen()}`);
      }
    })(),
    10_000,
    'chat-server to listen',
    () => server.seen(),
  );
  return { server, port };
}

/** Start chat-client with piped stdin and stdout; `env` adds variables (CHAT_PASSWORD). */
export function startClient(t: Cleanup, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [CLIENT_BIN, ...args], {
    env: cleanEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const child = new Child(proc);
  t.after(() => child.stop());
  return child;
}

/**
 * Start chat-client in a pseudo-terminal: util-linux `script` runs it on a pty
 * (-q quiet, -f flush, -e return its exit code, -c command), so stdin and
 * stdout are a TTY as for a user at a terminal.
 */
export function startTtyClient(
  t: Cleanup,
  args: string[],
  env: Record<string, string> = {},
): Child {
  const command = [process.execPath, CLIENT_BIN, ...args].map((a) => `'${a}'`).join(' ');
  const proc = spawn('script', ['-qfec', command, '/dev/null'], {
    env: cleanEnv({ TERM: 'xterm', NO_COLOR: '1', ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const child = new Child(proc);
  t.after(() => child.stop());
  return child;
}

/**
 * A text-mode user on a raw socket, like `nc` (or `openssl s_client` when
 * `ca` is given: TLS, trusting that CA): the first line sent is the alias.
 */
export async function textUser(
  t: Cleanup,
  port: number,
  alias: string,
  ca?: Buffer,
): Promise<{ socket: net.Socket; reader: LineReader; say: (line: string) => void }> {
  const socket = ca
    ? tls.connect({ host: '127.0.0.1', port, ca })
    : net.connect({ host: '127.0.0.1', port });
  t.after(() => {
    socket.destroy();
  });
  await once(socket, ca ? 'secureConnect' : 'connect');
  const reader = new LineReader(socket);
  socket.write(`${alias}\n`);
  await reader.find((l) => l.startsWith(`* Welcome, ${alias}!`), `${alias}'s welcome`);
  return { socket, reader, say: (line) => socket.write(`${line}\n`) };
}

/** A temporary directory, removed after the test. */
export async function tempDir(t: Cleanup): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chat-client-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const run = promisify(execFile);

/** PEM files of a private CA and a server certificate it signed. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/**
 * Make a private CA and a server certificate for `names` (subjectAltName
 * syntax) with openssl, in `dir` (a temporary directory: keys are never kept).
 */
export async function makeTlsFiles(
  dir: string,
  names = 'DNS:localhost,IP:127.0.0.1',
): Promise<TlsFiles> {
  const file = (name: string): string => path.join(dir, name);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=chat-client test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req',
    ...ecKey,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  await writeFile(
    file('server.ext'),
    `subjectAltName=${names}\n` +
      'basicConstraints=CA:FALSE\n' +
      'keyUsage=critical,digitalSignature\n' +
      'extendedKeyUsage=serverAuth\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '1',
    '-extfile',
    file('server.ext'),
  ]);
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}

/**
 * Create an account as an administrator would:
 * `printf 'PASSWORD\n' | chat-server accounts add NAME --db DB`.
 */
export async function addAccount(db: string, name: string, password: string): Promise<void> {
  const proc = spawn(process.execPath, [SERVER_BIN, 'accounts', 'add', name, '--db', db], {
    env: cleanEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const child = new Child(proc);
  proc.stdin?.end(`${password}\n`);
  const code = await child.exitCode(20_000);
  if (code !== 0) throw new Error(`accounts add ${name} exited ${code}\n${child.seen()}`);
}
