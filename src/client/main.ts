/**
 * chat-client's command line (docs/protocol.md §7): options, signals, and the exit
 * code of a run. Every failure the user can cause or meet ends with one line
 * on stderr and one of these codes, never a stack trace:
 *
 * | code | meaning                                                                            |
 * |------|------------------------------------------------------------------------------------|
 * | 0    | left normally: exit, quit, /quit, Ctrl-D, Ctrl-C, SIGTERM; piped: every line acked |
 * | 1    | internal error (a bug in chat-client)                                              |
 * | 2    | usage: unknown or invalid option, or no alias (--name / CHAT_NAME)                 |
 * | 3    | server unreachable: connection refused, unknown host, timed out, TLS certificate   |
 * |      | not verified (--tls without --ca for a private CA), TLS handshake failed           |
 * | 4    | refused at the handshake: bad_alias, alias_taken, banned, a wrong password, a      |
 * |      | registered alias without CHAT_PASSWORD when no terminal can ask (auth_required),   |
 * |      | or an alias with no account on a --require-account server (auth_required, with     |
 * |      | its detail account_required: no prompt, no word of CHAT_PASSWORD)                  |
 * | 5    | connection lost after joining and not coming back (--no-reconnect, kicked,        |
 * |      | this account signed in from another connection, or the alias taken by someone     |
 * |      | else while reconnecting)                                                          |
 * | 6    | piped input: at least one line (or the --room join) was refused, each on stderr    |
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/constants.js';
import { parseRoom } from '../protocol/names.js';
import { readLine } from '../tty/line.js';
import { readSecret } from '../tty/secret.js';
import { ChatClient, type ClientIO, type SessionEnd } from './app.js';
import { parseEndpoints, type Endpoint } from './dial.js';
import { shouldUseColor } from './render.js';
import { expandHome } from './transfer-files.js';
import { VERSION } from '../meta/version.js';
import { wrapLine } from './width.js';

/**
 * A last line for a person: broken at spaces on a terminal, as every other
 * line is (the terminal cut them mid-word); a script's pipe gets it whole.
 */
function forPeople(stream: NodeJS.WritableStream, line: string): string {
  const tty = stream as Partial<NodeJS.WriteStream>;
  return tty.isTTY === true && tty.columns ? wrapLine(line, tty.columns) : line;
}

/** Exit codes of chat-client; see the table above. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  unreachable: 3,
  refused: 4,
  lost: 5,
  lineRefused: 6,
} as const;

const END_CODES: Record<SessionEnd['kind'], number> = {
  ok: EXIT.ok,
  line_refused: EXIT.lineRefused,
  unreachable: EXIT.unreachable,
  refused: EXIT.refused,
  lost: EXIT.lost,
};

/** The parsed command line. */
export interface ClientOptions {
  host: string;
  port: number;
  /** Further servers from `--host a,b` (or several --host): tried in turn when one fails. */
  failover?: Endpoint[];
  name: string;
  reconnect: boolean;
  /** No terminal bell (--quiet). */
  quiet: boolean;
  /** Present with --tls (implied by --ca and --insecure). */
  tls?: { caFile?: string; insecure: boolean };
  /** CHAT_PASSWORD, sent in the first hello. */
  password?: string;
  /** Where received files go (--download-dir, CHAT_DOWNLOAD_DIR). */
  downloadDir?: string;
  /** A room to join at start and make current (--room, CHAT_ROOM). */
  room?: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/u.test(value) || port < 1 || port > 65535) {
    throw new InvalidArgumentError('must be a port number from 1 to 65535');
  }
  return port;
}

/** The --host default, by identity: the first --host given replaces it, later ones add. */
const DEFAULT_HOSTS: readonly string[] = [DEFAULT_HOST];

function collectHosts(value: string, previous: readonly string[]): readonly string[] {
  return previous === DEFAULT_HOSTS ? [value] : [...previous, value];
}

/**
 * Every option, once: flag, help, environment variable, default and parser.
 * Commander reads the environment (`.env()`), so flags win over CHAT_*
 * variables, which win over defaults, and `--help` shows all three.
 */
const OPTION_TABLE: readonly Option[] = [
  new Option(
    '--host <host[:port],...>',
    'server address; several (comma-separated, or --host again) are tried in turn',
  )
    .env('CHAT_HOST')
    .default(DEFAULT_HOSTS, DEFAULT_HOST)
    .argParser(collectHosts),
  new Option('--port <port>', 'server port, for hosts given without one')
    .env('CHAT_PORT')
    .default(DEFAULT_PORT)
    .argParser(parsePort),
  new Option('--name <alias>', 'your alias (required)').env('CHAT_NAME'),
  new Option('--no-reconnect', 'exit when the connection is lost instead of reconnecting'),
  new Option('--tls', "connect with TLS, verifying the server's certificate and host name"),
  new Option('--ca <file>', 'trust this PEM CA certificate for --tls (implies --tls)').env(
    'CHAT_CA',
  ),
  new Option('--insecure', "with --tls, do not verify the server's certificate (implies --tls)"),
  new Option('--quiet', 'no terminal bell for mentions and private messages'),
  new Option(
    '--room <room>',
    'join this room at start and make it current (dev means #dev); piped lines go there',
  ).env('CHAT_ROOM'),
  new Option(
    '--download-dir <dir>',
    'where received files are saved, created when missing (default ~/Downloads/chat)',
  ).env('CHAT_DOWNLOAD_DIR'),
];

const HELP_AFTER = `
A registered alias needs its password: from CHAT_PASSWORD (sent when connecting;
never a flag, which other users could see in ps), or asked at the terminal.

Exit codes: 0 ok, 1 internal error, 2 usage, 3 server unreachable (or its TLS
certificate not verified), 4 refused at handshake (or no password), 5 connection
lost (kicked, or signed in from elsewhere), 6 piped line refused.

Examples:
  chat-client --name Alice                        # the server on this machine
  chat-client --host chat.example.org --tls --name Alice
  chat-client --host a.example:50000,b.example:50000 --name Alice   # fail over
  CHAT_PASSWORD=secret chat-client --name Alice   # a registered alias
  printf 'hello\\n/join #dev\\nhi dev\\n' | chat-client --name Bot  # a script
  echo 'build 1234 is green' | chat-client --name ci --room builds  # post to #builds`;

/**
 * Parse argv (as process.argv: node, script, args…). Options win over the
 * CHAT_* environment variables (read by commander from process.env), which
 * win over defaults. `env` is where CHAT_PASSWORD is read, which has no flag.
 * Throws CommanderError for usage errors, help and version.
 */
export function parseOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  stderr: NodeJS.WritableStream,
): ClientOptions {
  const program = new Command('chat-client')
    .description('Terminal client for chat-server.')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .addHelpText('after', HELP_AFTER)
    .exitOverride()
    .configureOutput({
      writeErr: (text) => stderr.write(text),
      // One line, in the same form as every other chat-client failure.
      outputError: (text, write) =>
        write(`chat-client: ${text.replace(/^error: /u, '').trimEnd()} (see --help)\n`),
    });
  for (const option of OPTION_TABLE) program.addOption(option);
  program.parse(argv);
  const opts = program.opts<{
    host: readonly string[];
    port: number;
    name?: string;
    reconnect: boolean;
    downloadDir?: string;
    tls?: boolean;
    ca?: string;
    insecure?: boolean;
    quiet?: boolean;
    room?: string;
  }>();
  let endpoints: Endpoint[];
  try {
    endpoints = opts.host.flatMap((h) => parseEndpoints(h, opts.port));
  } catch (err) {
    return program.error(`--host ${(err as Error).message}`);
  }
  const name = (opts.name ?? '').trim();
  if (!name) program.error('no alias given: use --name ALIAS or set CHAT_NAME');
  const [first, ...failover] = endpoints;
  const options: ClientOptions = {
    host: first?.host ?? DEFAULT_HOST,
    port: first?.port ?? opts.port,
    name,
    reconnect: opts.reconnect,
    quiet: opts.quiet === true,
  };
  if (failover.length > 0) options.failover = failover;
  if (opts.tls || opts.ca !== undefined || opts.insecure) {
    options.tls = {
      insecure: opts.insecure === true,
      ...(opts.ca !== undefined ? { caFile: opts.ca } : {}),
    };
  }
  if (env.CHAT_PASSWORD) options.password = env.CHAT_PASSWORD;
  if (opts.downloadDir) options.downloadDir = expandHome(opts.downloadDir);
  if (opts.room !== undefined) {
    const raw = opts.room.trim();
    try {
      // Checked here, so a typo is a usage error before anything is sent (§3 room names).
      options.room = parseRoom(raw.startsWith('#') ? raw : `#${raw}`).display;
    } catch (err) {
      return program.error(`--room: ${(err as Error).message}`);
    }
  }
  return options;
}

/** Run chat-client with `argv`; resolves with the process exit code. */
export async function main(
  argv: string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
  io: ClientIO = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    color: shouldUseColor(process.stdout.isTTY, env),
    readSecret: (prompt) => {
      // readSecret turns echo off only after writing the prompt; a quick typist
      // (or a script driving a terminal) could see the first keys echoed.
      if (process.stdin.isTTY) process.stdin.setRawMode(true);
      return readSecret(prompt);
    },
    readLine: (prompt) => readLine(prompt),
  },
): Promise<number> {
  let options: ClientOptions;
  try {
    options = parseOptions(argv, env, io.stderr);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; commander has already printed everything.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw err;
  }

  const { caFile, insecure } = options.tls ?? {};
  let ca: Buffer | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile);
    } catch (err) {
      io.stderr.write(`chat-client: cannot read --ca ${caFile}: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
  }
  if (insecure) {
    io.stderr.write(
      "chat-client: warning: --insecure: the server's certificate is not verified; " +
        'anyone on the way can read and change this chat\n',
    );
  }
  const { tls: _tls, ...settings } = options;
  const client = new ChatClient(
    options.tls ? { ...settings, tls: { ca, insecure: insecure === true } } : settings,
    io,
  );
  // A signal (or Ctrl-C when stdin is not a terminal) leaves like /quit.
  const leave = (): void => void client.leave();
  process.on('SIGINT', leave);
  process.on('SIGTERM', leave);
  try {
    const end = await client.run();
    if (end.kind !== 'ok' && end.kind !== 'line_refused')
      io.stderr.write(`${forPeople(io.stderr, `chat-client: ${end.message}`)}\n`);
    return END_CODES[end.kind];
  } catch (err) {
    io.stderr.write(
      `chat-client: internal error: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return EXIT.internal;
  } finally {
    process.off('SIGINT', leave);
    process.off('SIGTERM', leave);
  }
}
