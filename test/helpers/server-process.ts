/**
 * Real `chat-server` processes for fault tests: spawned from the built binary,
 * ready once they log "listening", killed by PID when the test ends. Also temp
 * directories and a free port for restarts on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The built server binary, next to this file in dist/. */
export const SERVER_BIN = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../src/bin/chat-server.js',
);

/**
 * Options that are not what fault tests are about, set through the
 * environment so that a server that does not know one yet still starts:
 * generous flood control and connection admission (§6).
 */
export const FAULT_ENV: Readonly<Record<string, string>> = {
  CHAT_RATE_BURST: '10000',
  CHAT_RATE_PER_SECOND: '100000',
  CHAT_RATE_QUEUE: '10000',
  CHAT_ACCEPTS_PER_SECOND: '100000',
  CHAT_MAX_CONNECTIONS_PER_ADDRESS: '10000',
  CHAT_SHUTDOWN_GRACE: '5',
};

/** A temp directory removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'chat-fault-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A TCP port that was free a moment ago (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen({ host: '127.0.0.1', port: 0 }, res);
  });
  const address = server.address();
  await new Promise<void>((res) => server.close(() => res()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly pid: number;
  readonly port: number;
  readonly child: ChildProcess;
  /** Log lines (JSON, from pino) seen on stdout. */
  readonly log: string[];
  readonly stderr: string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Send a signal to this process (by PID) and wait for it to exit. */
  stop(signal: NodeJS.Signals): Promise<Exit>;
}

export interface SpawnOptions {
  db: string;
  /** Fixed port (restart on the same port); default 0. */
  port?: number;
  args?: string[];
  env?: Record<string, string>;
  /** How long to wait for "listening". */
  timeoutMs?: number;
}

/**
 * Spawn `chat-server --host 127.0.0.1 --port P --db FILE` and resolve once it
 * logs "listening". Whatever is still running when the test ends is killed
 * with SIGKILL, by its PID.
 */
export async function spawnServer(t: TestContext, opts: SpawnOptions): Promise<ServerProcess> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('CHAT_')) env[k] = v;
  }
  Object.assign(env, FAULT_ENV, opts.env ?? {});
  const args = [
    SERVER_BIN,
    '--host',
    '127.0.0.1',
    '--port',
    String(opts.port ?? 0),
    '--db',
    opts.db,
    '--log-level',
    'info',
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('chat-server did not start');
  const exited = new Promise<Exit>((res) => {
    child.once('exit', (code, signal) => res({ code, signal }));
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  t.after(async () => {
    if (running()) {
      process.kill(pid, 'SIGKILL');
      await exited;
    }
  });

  const log: string[] = [];
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => stderr.push(s));
  const port = await new Promise<number>((res, rej) => {
    let partial = '';
    const timer = setTimeout(
      () => rej(new Error(`chat-server did not listen in time; stderr: ${stderr.join('')}`)),
      opts.timeoutMs ?? 10_000,
    );
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        log.push(line);
        let o: { msg?: unknown; port?: unknown };
        try {
          o = JSON.parse(line) as typeof o;
        } catch {
          continue;
        }
        if (o.msg === 'listening' && typeof o.port === 'number') {
          clearTimeout(timer);
          res(o.port);
        }
      }
    });
    void exited.then((e) => {
      clearTimeout(timer);
      rej(
        new Error(
          `chat-server exited (${e.code ?? e.signal}) before listening; stderr: ${stderr.join('')}`,
        ),
      );
    });
  });

  return {
    pid,
    port,
    child,
    log,
    stderr,
    exited,
    async stop(signal) {
      if (running()) process.kill(pid, signal);
      return exited;
    },
  };
}
