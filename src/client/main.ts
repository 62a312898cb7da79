/**
 * chat-client's command line (PROTOCOL.md §7): options, signals, and the exit
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
 * | 4    | refused at the handshake: bad_alias, alias_taken, banned, a wrong password, or a   |
 * |      | registered alias without CHAT_PASSWORD when no terminal can ask (auth_required)    |
 * | 5    | connection lost after joining and not coming back (--no-reconnect, kicked)         |
 * | 6    | piped input: at least one line was refused (each one reported on stderr)           |
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { readSecret } from '../tty/secret.js';
import { ChatClient, type ClientIO, type SessionEnd } from './app.js';
import { shouldUseColor } from './render.js';

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
  name: string;
  reconnect: boolean;
  /** No terminal bell (--quiet). */
  quiet: boolean;
  /** Present with --tls (implied by --ca and --insecure). */
  tls?: { caFile?: string; insecure: boolean };
  /** CHAT_PASSWORD, given only if the server asks for it. */
  password?: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/u.test(value) || port < 1 || port > 65535) {
    throw new InvalidArgumentError('must be a port number from 1 to 65535');
  }
  return port;
}

/**
 * Parse argv (as process.argv: node, script, args…). Options win over the
 * CHAT_HOST / CHAT_PORT / CHAT_NAME environment variables, which win over defaults.
 * Throws CommanderError for usage errors, help and version.
 */
export function parseOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  stderr: NodeJS.WritableStream,
): ClientOptions {
  const program = new Command('chat-client')
    .description('Terminal client for chat-server (JSON mode, PROTOCOL.md §4).')
    .option('--host <host>', 'server address (env CHAT_HOST)', env.CHAT_HOST || '127.0.0.1')
    .option('--port <port>', 'server port (env CHAT_PORT, default 50000)', parsePort)
    .option('--name <alias>', 'your alias (env CHAT_NAME; one of the two is required)')
    .option('--no-reconnect', 'exit when the connection is lost instead of reconnecting')
    .option('--tls', "connect with TLS, verifying the server's certificate and host name")
    .option('--ca <file>', 'trust this PEM CA certificate for --tls (implies --tls)')
    .option('--insecure', "with --tls, do not verify the server's certificate (implies --tls)")
    .option('--quiet', 'no terminal bell for mentions and private messages')
    .addHelpText(
      'after',
      '\nA registered alias needs its password: from CHAT_PASSWORD, or asked at the terminal.\n' +
        '\nExit codes: 0 ok, 1 internal error, 2 usage, 3 server unreachable (or its TLS\n' +
        'certificate not verified), 4 refused at handshake (or no password), 5 connection\n' +
        'lost, 6 piped line refused.',
    )
    .exitOverride()
    .configureOutput({
      writeErr: (text) => stderr.write(text),
      // One line, in the same form as every other chat-client failure.
      outputError: (text, write) => write(`chat-client: ${text.replace(/^error: /u, '')}`),
    });
  program.parse(argv);
  const opts = program.opts<{
    host: string;
    port?: number;
    name?: string;
    reconnect: boolean;
    tls?: boolean;
    ca?: string;
    insecure?: boolean;
    quiet?: boolean;
  }>();
  let port = opts.port ?? 50000;
  if (opts.port === undefined && env.CHAT_PORT) {
    try {
      port = parsePort(env.CHAT_PORT);
    } catch (err) {
      program.error(`CHAT_PORT ${(err as Error).message}`);
    }
  }
  const name = (opts.name ?? env.CHAT_NAME ?? '').trim();
  if (!name) program.error('no alias given: use --name ALIAS or set CHAT_NAME');
  const options: ClientOptions = {
    host: opts.host,
    port,
    name,
    reconnect: opts.reconnect,
    quiet: opts.quiet === true,
  };
  if (opts.tls || opts.ca !== undefined || opts.insecure) {
    options.tls = {
      insecure: opts.insecure === true,
      ...(opts.ca !== undefined ? { caFile: opts.ca } : {}),
    };
  }
  if (env.CHAT_PASSWORD) options.password = env.CHAT_PASSWORD;
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
      io.stderr.write(`chat-client: ${end.message}\n`);
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
