/**
 * chat-client as a real process for the client's end-to-end tests (piped, or
 * in a pseudo-terminal via util-linux `script`), and a raw text-mode socket
 * (plain or TLS) playing an `nc` user. The server, accounts, certificates and
 * temp directories come from test/helpers. Everything started here is stopped
 * by the test that made it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { CLIENT_BIN, cleanEnv, type Cleanup } from '../helpers/env.js';
import { LineReader, within } from '../helpers/line-reader.js';

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
