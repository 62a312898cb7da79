/**
 * Every server option as data (STYLE.md "Options are one table"): the flag,
 * its CHAT_* environment variable, its default and how to parse it. The CLI,
 * the config file, `--help` and the README's table all come from here.
 */
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/constants.js';

export interface OptionSpec {
  /** Config key, camelCase; the flag is its kebab-case, the env var CHAT_ + SNAKE_CASE. */
  key: string;
  description: string;
  default: string | number | boolean | undefined;
  /**
   * `choice`: one of `choices`; `address`: `HOST:PORT`, or a bare port meaning
   * loopback (for listeners that must not be public by accident).
   */
  kind: 'string' | 'int' | 'bool' | 'level' | 'choice' | 'address';
  /** Smallest accepted value for ints. */
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** A file path: relative paths in a config file resolve against the file's folder. */
  path?: boolean;
  /** Masked by `chat-server config` (passwords, URLs with credentials). */
  secret?: boolean;
  /**
   * Applied on SIGHUP without a restart. Options without it are named in a
   * warning when a reload finds them changed.
   */
  live?: boolean;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const SERVER_OPTIONS = [
  { key: 'host', description: 'address to listen on', default: DEFAULT_HOST, kind: 'string' },
  {
    key: 'port',
    description: 'TCP port to listen on (0 picks a free one)',
    default: DEFAULT_PORT,
    kind: 'int',
    min: 0,
    max: 65535,
  },
  {
    key: 'ircPort',
    description: 'also speak IRC on this TCP port (0 picks a free one; unset: no IRC)',
    default: undefined,
    kind: 'int',
    min: 0,
    max: 65535,
  },
  {
    key: 'ircHost',
    description: 'address for the IRC port (default: --host)',
    default: undefined,
    kind: 'string',
  },
  {
    key: 'serverName',
    description: 'name the IRC port gives itself in replies (default: the host name)',
    default: undefined,
    kind: 'string',
  },
  {
    key: 'tlsCert',
    description: 'PEM certificate (chain): with --tls-key, the port speaks TLS only',
    default: undefined,
    kind: 'string',
    path: true,
    live: true,
  },
  {
    key: 'tlsKey',
    description: 'PEM private key for --tls-cert (SIGHUP reloads both)',
    default: undefined,
    kind: 'string',
    path: true,
    live: true,
  },
  {
    key: 'db',
    description: "SQLite file for history (':memory:' for a throwaway server)",
    default: 'chat.db',
    kind: 'string',
    path: true,
  },
  {
    key: 'redis',
    description: 'Redis URL (redis://host:port) shared by several servers; replaces --db',
    default: undefined,
    kind: 'string',
  },
  {
    key: 'redisCluster',
    description: 'Redis Cluster seed nodes (host:port,host:port,…) instead of --redis',
    default: undefined,
    kind: 'string',
  },
  {
    key: 'redisUnsafe',
    description: 'start even though Redis can lose acknowledged messages (no appendonly, eviction)',
    default: false,
    kind: 'bool',
  },
  {
    key: 'leaseSeconds',
    description:
      'cluster mode: seconds an alias stays held after its server stops renewing it (a crashed node frees its aliases within this)',
    default: 15,
    kind: 'int',
    min: 1,
    max: 300,
  },
  {
    key: 'logLevel',
    description: `log level (${LOG_LEVELS.join(', ')})`,
    default: 'info',
    kind: 'level',
    live: true,
  },
  {
    key: 'handshakeTimeout',
    description: 'seconds a new connection has to send a valid alias',
    default: 30,
    kind: 'int',
    live: true,
    min: 1,
    max: 3600,
  },
  {
    key: 'maxLineBytes',
    description: 'longest accepted input line in bytes',
    default: 16384,
    kind: 'int',
    live: true,
    min: 64,
    max: 1048576,
  },
  {
    key: 'maxQueuedBytes',
    description: 'unsent output after which a slow reader is disconnected',
    default: 4194304,
    kind: 'int',
    live: true,
    min: 1024,
  },
  {
    key: 'maxMessageLines',
    description: 'most lines in one multi-line message',
    default: 20,
    kind: 'int',
    live: true,
    min: 1,
    max: 1000,
  },
  {
    key: 'requireAccount',
    description: 'admit registered accounts only (create them with: chat-server accounts add NAME)',
    default: false,
    kind: 'bool',
    live: true,
  },
  {
    key: 'listenBacklog',
    description: 'pending connections the kernel queues during a connection storm',
    default: 1024,
    kind: 'int',
    min: 1,
    max: 65535,
  },
  {
    key: 'maxConnections',
    description: 'connections the server accepts in all (server_full beyond)',
    default: 20000,
    kind: 'int',
    live: true,
    min: 1,
  },
  {
    key: 'maxConnectionsPerAddress',
    description: 'connections from one IP address',
    default: 100,
    kind: 'int',
    live: true,
    min: 1,
  },
  {
    key: 'acceptsPerSecond',
    description: 'new connections per second from one IP address (bursts of twice that pass)',
    default: 20,
    kind: 'int',
    live: true,
    min: 1,
  },
  {
    key: 'loginFreeFailures',
    description:
      'wrong passwords for one account (any address) before each check on it is held back (0.5 s doubling to 8 s)',
    default: 3,
    kind: 'int',
    live: true,
    min: 0,
    max: 1000,
  },
  {
    key: 'loginAccountFailures',
    description: 'wrong passwords for one account from one address that lock it there',
    default: 10,
    kind: 'int',
    live: true,
    min: 1,
    max: 100000,
  },
  {
    key: 'loginAddressFailures',
    description:
      'wrong passwords from one address (any account) that lock every login from it; high for a shared NAT',
    default: 100,
    kind: 'int',
    live: true,
    min: 1,
    max: 100000,
  },
  {
    key: 'loginWindow',
    description: 'minutes a wrong password counts toward the --login-* limits',
    default: 15,
    kind: 'int',
    live: true,
    min: 1,
    max: 10080,
  },
  {
    key: 'loginLockout',
    description: 'minutes a login lock (--login-account-failures, --login-address-failures) lasts',
    default: 15,
    kind: 'int',
    live: true,
    min: 1,
    max: 10080,
  },
  {
    key: 'rateBurst',
    description: 'messages a connection may send at once before pacing starts',
    default: 10,
    kind: 'int',
    live: true,
    min: 1,
    max: 10000,
  },
  {
    key: 'ratePerSecond',
    description: 'sustained messages per second per connection',
    default: 5,
    kind: 'int',
    live: true,
    min: 1,
    max: 100000,
  },
  {
    key: 'rateQueue',
    description: 'excess messages delayed (not dropped) before refusing',
    default: 20,
    kind: 'int',
    live: true,
    min: 0,
    max: 10000,
  },
  {
    key: 'announceLimit',
    description: 'room size above which joins and leaves are announced once a second in aggregate',
    default: 100,
    kind: 'int',
    live: true,
    min: 1,
  },
  {
    key: 'maxTopicBytes',
    description: 'longest room topic in UTF-8 bytes (a /rooms reply lists every topic)',
    default: 390,
    kind: 'int',
    min: 0,
    max: 16384,
  },
  {
    key: 'maxRoomsPerUser',
    description: 'rooms one connection may be in at once (joins and hello.resume)',
    default: 50,
    kind: 'int',
    min: 1,
    max: 10000,
  },
  {
    key: 'historyOnJoin',
    description: 'messages replayed when joining a room',
    default: 20,
    kind: 'int',
    live: true,
    min: 0,
    max: 500,
  },
  {
    key: 'historyLimit',
    description: 'messages kept per room',
    default: 10000,
    kind: 'int',
    min: 1,
  },
  {
    key: 'heartbeat',
    description: 'seconds of silence before a JSON client is pinged',
    default: 30,
    kind: 'int',
    live: true,
    min: 1,
    max: 3600,
  },
  {
    key: 'maxFileBytes',
    description: 'largest file the server relays between users',
    default: 10485760,
    kind: 'int',
    min: 0,
  },
  {
    key: 'fileIdleTimeout',
    description: 'seconds a file transfer may stall (or wait for a reconnect) before it is aborted',
    default: 120,
    kind: 'int',
    min: 1,
    max: 86400,
  },
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
  {
    key: 'allowPlaintextPasswords',
    description: 'let --require-account run on a public address without TLS',
    default: false,
    kind: 'bool',
  },
  {
    key: 'config',
    description: 'YAML or JSON file with any of these options',
    default: undefined,
    kind: 'string',
    path: true,
  },
] as const satisfies readonly OptionSpec[];

export type LogLevel = (typeof LOG_LEVELS)[number];

type ValueOf<K extends OptionSpec['kind']> = K extends 'int'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends 'level'
      ? LogLevel
      : K extends 'address'
        ? ListenAddress
        : string;

/** Where an extra listener binds (`--metrics`). */
export interface ListenAddress {
  host: string;
  port: number;
}

/** The validated server configuration: one field per option, typed from the table. */
export type ServerConfig = {
  readonly [O in (typeof SERVER_OPTIONS)[number] as O['key']]: O['default'] extends undefined
    ? ValueOf<O['kind']> | undefined
    : ValueOf<O['kind']>;
};

/** `maxLineBytes` → `max-line-bytes`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/gu, (c) => '-' + c.toLowerCase());
}

/** `maxLineBytes` → `CHAT_MAX_LINE_BYTES`. */
export function envName(key: string): string {
  return 'CHAT_' + key.replace(/[A-Z]/gu, (c) => '_' + c).toUpperCase();
}
