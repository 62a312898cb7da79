/**
 * `chat-server accounts …` as an administrator runs it: the built binary,
 * the password piped on stdin (not a TTY, so it is read as the first line).
 */
import { spawn } from 'node:child_process';
import { cleanEnv, SERVER_BIN } from './env.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `chat-server accounts ARGS` with `stdin` piped in; resolves when it exits. */
export function accountsCli(args: readonly string[], stdin = ''): Promise<CliResult> {
  const child = spawn(process.execPath, [SERVER_BIN, 'accounts', ...args], {
    env: cleanEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`accounts ${args.join(' ')} did not exit; stderr: ${stderr}`));
    }, 20_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Create an account (optionally an operator) in `db`; fails the test if the CLI refuses. */
export async function addAccount(
  db: string,
  name: string,
  password: string,
  operator = false,
): Promise<void> {
  const r = await accountsCli(
    ['add', name, '--db', db, ...(operator ? ['--operator'] : [])],
    password + '\n',
  );
  if (r.code !== 0) throw new Error(`accounts add ${name}: exit ${r.code}; ${r.stderr}`);
}
