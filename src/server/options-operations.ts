/**
 * The options of running the server: logging, shutdown, the message of the
 * day, the metrics endpoint and the config file itself.
 */
import { LOG_LEVELS, type OptionSpec } from './option-spec.js';

/** How much is logged. */
export const LOG_LEVEL_OPTIONS = [
  {
    key: 'logLevel',
    description: `log level (${LOG_LEVELS.join(', ')})`,
    default: 'info',
    kind: 'level',
    live: true,
  },
] as const satisfies readonly OptionSpec[];

/** Shutdown, MOTD, metrics and where and how logs are written. */
export const OPERATION_OPTIONS = [
  {
    key: 'shutdownGrace',
    description: 'seconds to flush and close on SIGINT/SIGTERM',
    default: 5,
    kind: 'int',
    live: true,
    min: 0,
    max: 300,
  },
  {
    key: 'motd',
    description: 'text file shown to every user after the welcome (message of the day)',
    default: undefined,
    kind: 'string',
    path: true,
    live: true,
  },
  {
    key: 'metrics',
    description:
      'serve /metrics, /healthz and /readyz over HTTP on HOST:PORT (a bare port means 127.0.0.1)',
    default: undefined,
    kind: 'address',
  },
  {
    key: 'logFormat',
    description: 'log lines as json or pretty (default: pretty on a terminal, json otherwise)',
    default: undefined,
    kind: 'choice',
    choices: ['json', 'pretty'],
  },
  {
    key: 'logFile',
    description: 'write logs to this file instead of stdout (SIGUSR1 reopens it, for logrotate)',
    default: undefined,
    kind: 'string',
    path: true,
  },
] as const satisfies readonly OptionSpec[];

/** The config file (never read from a config file). */
export const CONFIG_OPTIONS = [
  {
    key: 'config',
    description: 'YAML or JSON file with any of these options',
    default: undefined,
    kind: 'string',
    path: true,
  },
] as const satisfies readonly OptionSpec[];
