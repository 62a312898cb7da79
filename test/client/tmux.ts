/**
 * chat-client in a real terminal for tests that care what the screen shows,
 * not only what was written: a tmux server of its own (`-L`, so a user's
 * tmux is never touched), one pane running the client, keys sent with
 * `send-keys` (each call one burst, as a fast typist or a paste gives) and
 * the screen read with `capture-pane`. Waits poll the screen until it shows
 * what is expected, failing with the screen seen after a time limit.
 */
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CLIENT_BIN, type Cleanup } from '../helpers/env.js';

const run = promisify(execFile);

/**
 * Lines as the client printed them: `-J` joins the rows the terminal
 * wrapped, and this the rows chat-client wrapped itself at a space, each
 * continued with a two-space indent (width.ts wrapLine). No line the client
 * prints starts with two spaces otherwise.
 */
function unwrap(text: string): string {
  return text.replace(/\n {2}(?=\S)/gu, ' ');
}

/** One chat-client in a tmux pane. */
export class TmuxClient {
  private constructor(
    private readonly socket: string,
    readonly done: string,
  ) {}

  /**
   * Start `chat-client args` in an 80×24 pane; `env` adds variables. The
   * pane stays after the client exits, with its exit code written to the
   * file `done` names.
   */
  static async start(
    t: Cleanup,
    dir: string,
    args: string[],
    env: Record<string, string> = {},
    /** Run it from an interactive bash, for job control (Ctrl-Z, `fg`). */
    shell = false,
  ): Promise<TmuxClient> {
    const socket = `chat-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const done = `${dir}/${socket}.exit`;
    const quote = (a: string): string => `'${a.replace(/'/gu, `'\\''`)}'`;
    const vars = Object.entries({ TERM: 'xterm-256color', NO_COLOR: '1', ...env })
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ');
    const unset = Object.keys(process.env)
      .filter((k) => k.startsWith('CHAT_'))
      .map((k) => `-u ${k}`)
      .join(' ');
    const client =
      `env ${unset} ${vars} ${quote(process.execPath)} ${quote(CLIENT_BIN)} ` +
      `${args.map(quote).join(' ')} 2>${quote(`${done}.err`)}; echo $? > ${quote(done)}`;
    const command = shell ? `env PS1='$ ' bash --norc --noprofile -i` : `${client}; sleep 3600`;
    await run('tmux', [
      '-L',
      socket,
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-x',
      '80',
      '-y',
      '24',
      command,
    ]);
    t.after(async () => {
      const path = await run('tmux', [
        '-L',
        socket,
        'display-message',
        '-p',
        '#{socket_path}',
      ]).then(
        (r) => r.stdout.trim(),
        () => '',
      );
      await run('tmux', ['-L', socket, 'kill-server']).catch(() => undefined);
      // kill-server leaves the socket file: 120 of them in /tmp after a day of runs.
      if (path !== '') await rm(path, { force: true });
    });
    if (shell) await run('tmux', ['-L', socket, 'send-keys', '-l', `${client}\r`]);
    return new TmuxClient(socket, done);
  }

  /** Type `text` literally, in one burst. */
  async type(text: string): Promise<void> {
    await run('tmux', ['-L', this.socket, 'send-keys', '-l', text]);
  }

  /** Press named keys (`Enter`, `Left`, `C-c`), each its own burst. */
  async press(...keys: string[]): Promise<void> {
    for (const key of keys) await run('tmux', ['-L', this.socket, 'send-keys', key]);
  }

  /** Send raw bytes as the terminal would (a bracketed paste), in one burst. */
  async paste(text: string): Promise<void> {
    const hex = [...Buffer.from(`\x1b[200~${text}\x1b[201~`)].map((b) => b.toString(16));
    await run('tmux', ['-L', this.socket, 'send-keys', '-H', ...hex]);
  }

  /**
   * Paste `text` as a terminal user does, through a tmux paste buffer: tmux
   * brackets it when the client turned bracketed paste on, and writes it in
   * pieces of its own size, as a large paste arrives. For texts too long for
   * one `send-keys` command.
   */
  async pasteBuffer(text: string): Promise<void> {
    const file = `${this.done}.paste`;
    await writeFile(file, text);
    await run('tmux', ['-L', this.socket, 'load-buffer', '-b', 'chat-test', file]);
    await run('tmux', ['-L', this.socket, 'paste-buffer', '-p', '-d', '-b', 'chat-test']);
  }

  /**
   * Resize the window as a user resizing the terminal does (tmux reflows
   * wrapped lines at once). Resolves once the pane's terminal has the new
   * size: tmux tells the program (SIGWINCH) a little later than it reflows.
   */
  async resize(columns: number, rows: number): Promise<void> {
    const tmux = (...args: string[]) => run('tmux', ['-L', this.socket, ...args]);
    await tmux('resize-window', '-x', String(columns), '-y', String(rows));
    const tty = (await tmux('display', '-p', '#{pane_tty}')).stdout.trim();
    const end = Date.now() + 10_000;
    while ((await run('stty', ['-F', tty, 'size'])).stdout.trim() !== `${rows} ${columns}`) {
      if (Date.now() > end) throw new Error(`the pane never became ${columns}×${rows}`);
      // Polling: the size change has no event a test can wait on.
      await delay(20);
    }
  }

  /** Wait for the client to exit; its exit code and what it wrote on stderr. */
  async exited(ms = 10_000): Promise<{ code: number; stderr: string }> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const code = await readFile(this.done, 'utf8').catch(() => '');
      if (code.trim() !== '') {
        return { code: Number(code), stderr: await readFile(`${this.done}.err`, 'utf8') };
      }
      await delay(50);
    }
    throw new Error(
      `timed out after ${ms} ms waiting for chat-client to exit; screen:\n${await this.screen()}`,
    );
  }

  /** The screen as text: trailing spaces and blank lines removed (the prompt reads `#lobby>`). */
  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, 'capture-pane', '-p', '-J']);
    return unwrap(
      stdout
        .split('\n')
        .map((l) => l.trimEnd())
        .join('\n')
        .replace(/\n+$/u, ''),
    );
  }

  /** The whole pane: its scrollback and the screen, as one text. */
  async scrollback(): Promise<string> {
    const { stdout } = await run('tmux', [
      '-L',
      this.socket,
      'capture-pane',
      '-p',
      '-J',
      '-S',
      '-',
    ]);
    return unwrap(stdout);
  }

  /** Wait until the screen matches `test`; returns the screen. */
  async until(test: RegExp, what: string, ms = 10_000): Promise<string> {
    const end = Date.now() + ms;
    let screen = '';
    while (Date.now() < end) {
      screen = await this.screen();
      if (test.test(screen)) return screen;
      // Polling the screen: tmux has no event for "the pane changed".
      await delay(50);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}; screen:\n${screen}`);
  }
}
