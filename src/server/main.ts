/**
 * Composition root of chat-server: parses options, builds the logger, store,
 * bus, core and listener, and owns the process signals. Returns an exit code;
 * only bin/ sets it on the process.
 */
import { Command, Option } from 'commander';
import pino, { type Logger } from 'pino';
import { RedisConfigError } from '../store/redis-check.js';
import { StoreError } from '../store/store-error.js';
import { accountsMain } from './accounts-cli.js';
import { auditMain } from './audit-cli.js';
import { createApp, type App } from './app.js';
import { ConfigError, loadConfig, type ServerConfig } from './config.js';
import { envName, flagName, SERVER_OPTIONS } from './options.js';
import { VERSION } from './version.js';

function buildCli(): Command {
  const cmd = new Command('chat-server')
    .description('A terminal chat relay over TCP. Clients: chat-client, nc, telnet.')
    .version(VERSION)
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nEvery option can also be set as an environment variable, e.g. CHAT_PORT=6000.\nAccounts: chat-server accounts --help',
    );
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

function makeLogger(config: Readonly<ServerConfig>): Logger {
  const options = { level: config.logLevel, base: { pid: process.pid } };
  if (process.stdout.isTTY) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss' } },
    });
  }
  return pino(options, pino.destination({ dest: 1, sync: true }));
}

/** Run the server until a signal stops it; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv[2] === 'accounts') return accountsMain(argv.slice(3), process.env);
  if (argv[2] === 'audit') return auditMain(argv.slice(3), process.env);
  const cli = buildCli();
  cli.exitOverride();
  try {
    cli.parse(argv);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code ?? 2;
  }
  let config: Readonly<ServerConfig>;
  try {
    config = loadConfig(cli.opts(), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chat-server: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = makeLogger(config);
  let app: App;
  try {
    app = createApp(config, log);
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
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  const reload = (): void => {
    try {
      if (app.listener.reloadTls()) log.info('TLS certificate reloaded');
    } catch (err) {
      log.error(
        { err: { message: (err as Error).message } },
        'TLS reload failed; keeping the old certificate',
      );
    }
  };
  process.on('SIGHUP', reload);
  const detach = (): void => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    process.off('SIGHUP', reload);
  };

  try {
    const addr = await app.start();
    log.info({ host: addr.address, port: addr.port, tls: app.listener.tlsEnabled }, 'listening');
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
    const e = err as NodeJS.ErrnoException;
    const hint =
      e.code === 'EADDRINUSE' ? ' (another server is using it: pick another --port)' : '';
    log.fatal({ err: { code: e.code, message: e.message } }, 'cannot listen');
    process.stderr.write(
      `chat-server: cannot listen on ${config.host}:${config.port}: ${e.code ?? e.message}${hint}\n`,
    );
    await app.stop();
    return 1;
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
      void app.stop().then(() => {
        log.info('stopped');
        detach();
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
