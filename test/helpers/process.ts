/**
 * Spawning the built binaries for end-to-end tests: the server as a child
 * process on port 0 (its "listening" log line says which port), and `nc` as
 * a real third-party text client. Everything spawned is killed by `t.after`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cleanEnv, SERVER_BIN, type Cleanup } from './env.js';
import { DEFAULT_WAIT_MS } from './line-client.js';
import { LineReader } from './line-reader.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process whose output is collected line by line. */
export class Child {
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;
  private readonly out: LineReader;
  private readonly err: LineReader;

  constructor(readonly proc: ChildProcess) {
    if (!proc.stdout || !proc.stderr) throw new Error('Child needs piped stdout and stderr');
    this.out = new LineReader(proc.stdout);
    this.err = new LineReader(proc.stderr);
    proc.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** Lines of stdout so far. */
  get stdout(): string[] {
    return this.out.lines;
  }

  /** Lines of stderr so far. */
  get stderr(): string[] {
    return this.err.lines;
  }

  /** Wait for a stdout line (from `from` on) that matches; returns its index and text. */
  async waitStdout(
    pred: (line: string) => boolean,
    from = 0,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<{ index: number; line: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.stdout.findIndex((l, i) => i >= from && pred(l));
      if (index >= 0) return { index, line: this.stdout[index]! };
      const seen = () => `stdout:\n${this.stdout.join('\n')}\nstderr:\n${this.stderr.join('\n')}`;
      if (this.out.ended) {
        const exit = await this.exited;
        throw new Error(`process exited (${JSON.stringify(exit)}); ${seen()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; ${seen()}`);
      // Output can still be in the pipe at the exit: wait for its end, not the exit.
      await this.out.changed(left);
    }
  }

  /** The exit, or a failure naming what was seen if it does not come within `timeoutMs`. */
  async waitExit(timeoutMs = DEFAULT_WAIT_MS): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`still running after ${timeoutMs} ms; stderr:\n${this.stderr.join('\n')}`),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Spawn `node chat-server.js args…`, killed at the end of the test if still running. */
export function runServerBin(t: Cleanup, args: string[], env = cleanEnv()): Child {
  const child = new Child(
    spawn(process.execPath, [SERVER_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  t.after(async () => {
    if (!child.exit) {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
  });
  return child;
}

/** A server on 127.0.0.1, a free port and an in-memory store; resolves once it listens. */
export async function startServerProcess(
  t: Cleanup,
  extraArgs: string[] = [],
): Promise<{ child: Child; port: number }> {
  const child = runServerBin(t, [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--db',
    ':memory:',
    ...extraArgs,
  ]);
  const { line } = await child.waitStdout((l) => l.includes('"msg":"listening"'));
  const port = (JSON.parse(line) as { port?: unknown }).port;
  if (typeof port !== 'number') throw new Error(`no port in: ${line}`);
  return { child, port };
}

/**
 * Whether `nc` can be run. When it cannot, CI must fail (it installs it);
 * elsewhere the caller skips with this message.
 */
export function ncMissing(): string | undefined {
  const r = spawnSync('nc', ['-h'], { stdio: 'ignore' });
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err?.code !== 'ENOENT') return undefined;
  const message = 'nc (netcat-openbsd) is not installed';
  if (process.env.CI) throw new Error(`${message}, and CI must run this test`);
  return `${message}; install it (apt-get install netcat-openbsd) to run this test`;
}

/** `nc 127.0.0.1 port`: a real third-party text client, typed at through its stdin. */
export class Nc extends Child {
  static start(t: Cleanup, port: number): Nc {
    const nc = new Nc(
      spawn('nc', ['127.0.0.1', String(port)], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: cleanEnv(),
      }),
    );
    t.after(async () => {
      if (!nc.exit) {
        nc.proc.kill('SIGKILL');
        await nc.exited;
      }
    });
    return nc;
  }

  private cursor = 0;

  /** Type a line, as a user at the terminal would. */
  type(line: string): void {
    this.proc.stdin?.write(line + '\n');
  }

  /** The next stdout line matching `pred`; earlier lines are skipped. */
  async waitFor(pred: (line: string) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const { index, line } = await this.waitStdout(pred, this.cursor, timeoutMs);
    this.cursor = index + 1;
    return line;
  }

  /** The next stdout line, whatever it is. */
  async next(timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    return this.waitFor(() => true, timeoutMs);
  }
}
