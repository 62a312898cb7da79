/**
 * Real `chat-server` processes for fault tests: spawned from the built binary
 * (process.ts), ready once they log "listening", killed by PID when the test
 * ends. Also a free port for restarts on the same port.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { cleanEnv } from './env.js';
import { runServerBin, type Exit } from './process.js';

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

export interface ServerProcess {
  readonly pid: number;
  readonly port: number;
  readonly child: ChildProcess;
  /** Log lines (JSON, from pino) seen on stdout. */
  readonly log: readonly string[];
  /** Lines seen on stderr. */
  readonly stderr: readonly string[];
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
  const args = [
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
  const server = runServerBin(t, args, cleanEnv({ ...FAULT_ENV, ...opts.env }));
  const pid = server.proc.pid;
  if (pid === undefined) throw new Error('chat-server did not start');
  const { line } = await server.waitStdout(
    (l) => l.includes('"msg":"listening"'),
    0,
    opts.timeoutMs ?? 10_000,
  );
  const port = (JSON.parse(line) as { port?: unknown }).port;
  if (typeof port !== 'number') throw new Error(`no port in: ${line}`);
  return {
    pid,
    port,
    child: server.proc,
    log: server.stdout,
    stderr: server.stderr,
    exited: server.exited,
    async stop(signal) {
      if (!server.exit) process.kill(pid, signal);
      return server.exited;
    },
  };
}
