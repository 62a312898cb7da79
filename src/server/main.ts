/**
 * Composition root of chat-server: parses options, builds the logger, store,
 * bus, core and listener, and owns the process signals (SIGINT/SIGTERM stop,
 * SIGHUP reloads the configuration, SIGUSR1 reopens the log file). Returns an
 * exit code; only bin/ sets it on the process.
 */
import { lookup } from 'node:dns/promises';
import { existsSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { RedisConfigError } from '../store/redis-check.js';
import { StoreError } from '../store/store-error.js';
import { accountsMain } from './accounts-cli.js';
import { auditMain } from './audit-cli.js';
import { createApp, type App } from './app.js';
import { backupMain } from './backup.js';
import {
  ConfigError,
  formatConfig,
  resolveConfig,
  sameAddress,
  samePortError,
  type ServerConfig,
} from './config.js';
import { makeLogger } from './logging.js';
import type { MetricsServer } from './metrics.js';
import { readMotd } from './motd.js';
import { envName, flagName, SERVER_OPTIONS } from './options.js';
import { loadTls } from './tls.js';
import { VERSION } from '../meta/version.js';

const HINT = '(run chat-server --help for the options)';

const EXAMPLES = `
Every option can also be set as an environment variable (CHAT_PORT=6000) or in
a YAML/JSON file given with --config; command line wins over environment, the
environment over the file.

Examples:
  chat-server                                   # 127.0.0.1:50000, history in ./chat.db
  chat-server --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem
  chat-server --config /etc/chat/chat.yaml --metrics 9100
  chat-server config --config chat.yaml         # effective settings and their sources
  chat-server config --check chat.yaml          # validate a file, exit 2 if wrong
  chat-server backup /backups/chat.db --db chat.db
  chat-server accounts add Alice --operator     # see chat-server accounts --help
  chat-server audit --since 1d                  # kicks, bans, mutes, nicks, topics of the last day
  kill -HUP <pid>                               # reload the config, MOTD, TLS certificate
  kill -USR1 <pid>                              # reopen --log-file after logrotate`;

/** The server's options as a commander program (also used by `chat-server config`). */
function buildCli(name = 'chat-server'): Command {
  const cmd = new Command(name)
    .description('A terminal chat relay over TCP. Clients: chat-client, nc, telnet.')
    .version(VERSION)
    .showHelpAfterError(HINT)
    // One line in the same form as every other chat-server failure.
    .configureOutput({
      outputError: (text, write) => write(`chat-server: ${text.replace(/^error: /u, '')}`),
    })
    .addHelpText('after', EXAMPLES);
  for (const spec of SERVER_OPTIONS) {
    const flag =
      spec.kind === 'bool'
        ? `--${flagName(spec.key)}`
        : `--${flagName(spec.key)} <${spec.kind === 'int' ? 'n' : 'value'}>`;
    const def = spec.default === undefined ? '' : ` (default: ${String(spec.default)})`;
    cmd.addOption(new Option(flag, `${spec.description}${def} [${envName(spec.key)}]`));
  }
  return cmd;
}

/** Parse argv with commander; a number is the exit code to return at once. */
function parseCli(cmd: Command, argv: string[]): Record<string, unknown> | number {
  cmd.exitOverride();
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    // --help and --version exit 0; every usage error is one line, the hint, exit 2.
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  return cmd.opts();
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * 18.6: passwords travel in plain text without TLS. Off loopback that is a
 * warning; with --require-account (everyone has a password) it is refused
 * unless the operator says they know.
 */
function exposureCheck(config: Readonly<ServerConfig>): string | undefined {
  if (config.tlsCert !== undefined || isLoopback(config.host)) return undefined;
  if (config.requireAccount && !config.allowPlaintextPasswords) {
    throw new ConfigError(
      `--require-account on ${config.host} without TLS would send every password in plain text; give --tls-cert and --tls-key (or --allow-plaintext-passwords on a network you trust)`,
    );
  }
  return `listening on ${config.host} without TLS: passwords and messages cross the network in plain text; give --tls-cert and --tls-key to encrypt`;
}

/**
 * §7: a bad value stops the server with exit code 2 before it listens, so a
 * listen address that does not resolve is refused here, not by listen().
 */
async function checkHosts(config: Readonly<ServerConfig>): Promise<void> {
  const hosts: Array<[string, string]> = [['--host', config.host]];
  if (config.ircPort !== undefined && config.ircHost !== undefined)
    hosts.push(['--irc-host', config.ircHost]);
  if (config.metrics) hosts.push(['--metrics', config.metrics.host]);
  const address = new Map<string, string>();
  for (const [option, host] of hosts) {
    if (isIP(host) !== 0) {
      address.set(option, host);
      continue;
    }
    try {
      address.set(option, (await lookup(host)).address);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOTFOUND'
          ? 'no such address or host name (ENOTFOUND)'
          : code === 'EAI_AGAIN'
            ? 'the name server did not answer (EAI_AGAIN)'
            : (code ?? (err as Error).message);
      throw new ConfigError(
        `cannot resolve ${option} ${host}: ${why}; give an IP address or a host name that resolves`,
      );
    }
  }
  // Two spellings of one address (localhost and 127.0.0.1) that the
  // configuration's own check, by spelling, could not tell apart.
  const irc = address.get('--irc-host');
  if (
    config.ircPort &&
    config.ircPort === config.port &&
    irc !== undefined &&
    sameAddress(address.get('--host')!, irc)
  ) {
    throw samePortError(config.ircPort, irc);
  }
}

/** `chat-server config [--check FILE] [options]`. */
function configMain(argv: string[], env: NodeJS.ProcessEnv): number {
  const cli = buildCli('chat-server config')
    .description('Print the effective configuration and where each value comes from.')
    .addOption(
      new Option(
        '--check <file>',
        'validate a config file (and the files it names); exit 2 when wrong',
      ),
    );
  const opts = parseCli(cli, argv);
  if (typeof opts === 'number') return opts;
  const check = opts.check as string | undefined;
  delete opts.check;
  try {
    if (check !== undefined) {
      const { config } = resolveConfig({ config: check }, {});
      if (config.motd !== undefined) readMotd(config.motd);
      if (config.tlsCert !== undefined && config.tlsKey !== undefined)
        loadTls(config.tlsCert, config.tlsKey);
      exposureCheck(config);
      process.stdout.write(`${check}: OK\n`);
      return 0;
    }
    process.stdout.write(formatConfig(resolveConfig(opts, env)));
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`chat-server config: ${err.message}\n`);
    return 2;
  }
}

/** Run the server until a signal stops it; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const args = argv.slice(2);
  if (args[0] === 'accounts') return accountsMain(args.slice(1), process.env);
  if (args[0] === 'audit') return auditMain(args.slice(1), process.env);
  if (args[0] === 'config') return configMain(args.slice(1), process.env);
  if (args[0] === 'backup') return backupMain(args.slice(1), process.env);
  const cliOpts = parseCli(buildCli(), args);
  if (typeof cliOpts === 'number') return cliOpts;
  let config: Readonly<ServerConfig>;
  let warning: string | undefined;
  try {
    config = resolveConfig(cliOpts, process.env).config;
    await checkHosts(config);
    warning = exposureCheck(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chat-server: ${err.message}\n${HINT}\n`);
      return 2;
    }
    throw err;
  }
  const logs = makeLogger(config);
  const log = logs.log;
  if (warning) log.warn({ host: config.host }, warning);
  // A server that fails to start must not leave a new, empty database behind.
  const dbIsNew = config.db !== ':memory:' && !existsSync(config.db);
  let app: App;
  try {
    app = await createApp(config, log);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chat-server: ${err.message}\n`);
      return 2;
    }
    if (!(err instanceof StoreError)) throw err;
    log.fatal({ err: { message: err.message } }, 'cannot open the database');
    process.stderr.write(`chat-server: ${err.message}\n`);
    return 1;
  }
  // Signals are handled from before the server listens, so a supervisor that
  // signals as soon as it reads "listening" gets a graceful stop, not a kill.
  const early: NodeJS.Signals[] = [];
  let onSignal = (signal: NodeJS.Signals): void => void early.push(signal);
  const handler = (signal: NodeJS.Signals): void => onSignal(signal);
  const reload = (): void => void reloadConfig(app, cliOpts, log);
  const reopen = (): void => {
    logs.reopen();
    log.info('log file reopened');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', reload);
  process.on('SIGUSR1', reopen);
  const detach = (): void => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    process.off('SIGHUP', reload);
    process.off('SIGUSR1', reopen);
  };

  let metrics: MetricsServer | undefined;
  try {
    const addr = await app.start();
    log.info({ host: addr.address, port: addr.port, tls: app.listener.tlsEnabled }, 'listening');
    const ircAddr = app.irc?.address();
    if (ircAddr)
      log.info(
        { host: ircAddr.address, port: ircAddr.port, tls: app.irc!.tlsEnabled },
        'irc listening',
      );
  } catch (err) {
    detach();
    if (err instanceof RedisConfigError) {
      log.fatal({ code: err.code, findings: err.findings.map((f) => f.code) }, 'redis is unsafe');
      process.stderr.write(
        `chat-server: ${err.message} (--redis-unsafe starts anyway, accepting the risk)\n`,
      );
      await app.stop();
      return 1;
    }
    if (err instanceof StoreError) {
      log.fatal({ err: { message: err.message } }, 'cannot open the store');
      process.stderr.write(`chat-server: ${err.message}\n`);
      await app.stop();
      return 1;
    }
    // A listen error names the address it failed on: the IRC port's is not --port's.
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    const port = e.port ?? config.port;
    const host = e.address ?? config.host;
    const option = port === config.ircPort && port !== config.port ? '--irc-port' : '--port';
    const hint =
      e.code === 'EADDRINUSE' ? ` (another server is using it: pick another ${option})` : '';
    log.fatal({ err: { code: e.code, message: e.message } }, 'cannot listen');
    process.stderr.write(
      `chat-server: cannot listen on ${host}:${port}: ${e.code ?? e.message}${hint}\n`,
    );
    await app.stop();
    if (dbIsNew) removeDatabase(config.db);
    return 1;
  }
  if (config.metrics) {
    try {
      // prom-client is loaded only for --metrics (a tenth of a second of every start).
      const { startMetrics } = await import('./metrics.js');
      metrics = await startMetrics(app, config.metrics, log);
      log.info({ host: metrics.address.address, port: metrics.address.port }, 'metrics listening');
    } catch (err) {
      detach();
      const e = err as NodeJS.ErrnoException;
      log.fatal({ err: { code: e.code, message: e.message } }, 'cannot serve metrics');
      process.stderr.write(
        `chat-server: cannot serve --metrics on ${config.metrics.host}:${config.metrics.port}: ${e.code ?? e.message}\n`,
      );
      await app.stop();
      return 1;
    }
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting at once');
        detach();
        resolve(1);
        return;
      }
      stopping = true;
      log.info({ signal, connections: app.listener.connections }, 'shutting down');
      // /readyz answers 503 while the server drains; the metrics listener goes last.
      void app.stop().then(async () => {
        await metrics?.close();
        log.info('stopped');
        detach();
        logs.flush();
        resolve(0);
      });
    };
    // The database lease was taken by another server: app already stopped serving.
    void app.failed.then(() => {
      stopping = true;
      detach();
      resolve(1);
    });
    for (const signal of early) onSignal(signal);
  });
}

/** SIGHUP: re-read file and environment; apply what can change live, name what cannot. */
async function reloadConfig(
  app: App,
  cliOpts: Record<string, unknown>,
  log: Logger,
): Promise<void> {
  let next: Readonly<ServerConfig>;
  try {
    next = resolveConfig(cliOpts, process.env).config;
    exposureCheck(next);
    const { applied, needRestart } = await app.reconfigure(next);
    log.info({ changed: applied }, 'configuration reloaded');
    if (app.listener.tlsEnabled) log.info('TLS certificate reloaded');
    if (needRestart.length > 0) {
      log.warn(
        { options: needRestart },
        `changed but not applied until a restart: ${needRestart.join(', ')}`,
      );
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) {
      log.error({ err }, 'reload failed; keeping the old configuration');
      return;
    }
    log.error({ err: { message: err.message } }, 'reload refused; keeping the old configuration');
  }
}

function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}
