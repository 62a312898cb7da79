/**
 * Server configuration: defaults < config file < environment < command line,
 * validated once into a frozen ServerConfig. Every value remembers where it
 * came from (`chat-server config` shows it); errors name that source, the
 * option and what is accepted.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { RedisTarget } from '../bus/redis-bus.js';
import { fromFile } from './config-file.js';
import { ConfigError, coerce, parseRedisCluster } from './config-values.js';
import {
  envName,
  flagName,
  SERVER_OPTIONS,
  type ListenAddress,
  type OptionSpec,
  type ServerConfig,
} from './options.js';

export type { ServerConfig };
export { ConfigError, parseAddress } from './config-values.js';

type Raw = Record<string, unknown>;

/** Where one value came from. */
export type Source =
  | { kind: 'default' }
  | { kind: 'file'; path: string; line: number }
  | { kind: 'env'; name: string }
  | { kind: 'flag'; name: string };

export type OptionKey = keyof ServerConfig;

export interface ResolvedConfig {
  config: Readonly<ServerConfig>;
  sources: Readonly<Record<OptionKey, Source>>;
  /** The config file read, if any (absolute). */
  file: string | undefined;
}

/** `config file chat.yaml:3`, `environment CHAT_PORT`, `command line --port`, `default`. */
export function describeSource(source: Source): string {
  switch (source.kind) {
    case 'default':
      return 'default';
    case 'file':
      return `config file ${source.path}:${source.line}`;
    case 'env':
      return `environment ${source.name}`;
    case 'flag':
      return `command line --${source.name}`;
  }
}

/**
 * Merge the sources into a validated, frozen config, remembering where each
 * value came from. `cli` holds only the options given on the command line.
 */
export function resolveConfig(cli: Raw, env: NodeJS.ProcessEnv): ResolvedConfig {
  const envRaw: Raw = {};
  for (const spec of SERVER_OPTIONS) {
    const v = env[envName(spec.key)];
    if (v !== undefined && v !== '') envRaw[spec.key] = v;
  }
  const configPath = (cli.config ?? envRaw.config) as string | undefined;
  const file = configPath ? fromFile(configPath) : { values: {}, lines: {} };
  const out: Raw = {};
  const sources: Record<string, Source> = {};
  for (const spec of SERVER_OPTIONS) {
    let value: unknown = spec.default;
    let source: Source = { kind: 'default' };
    if (file.values[spec.key] !== undefined) {
      value = file.values[spec.key];
      source = { kind: 'file', path: configPath!, line: file.lines[spec.key] ?? 0 };
    }
    if (envRaw[spec.key] !== undefined) {
      value = envRaw[spec.key];
      source = { kind: 'env', name: envName(spec.key) };
    }
    if (cli[spec.key] !== undefined) {
      value = cli[spec.key];
      source = { kind: 'flag', name: flagName(spec.key) };
    }
    const where = `${describeSource(source)}: ${flagName(spec.key)}`;
    out[spec.key] = value === undefined ? undefined : coerce(spec, value, where);
    sources[spec.key] = source;
  }
  if ((out.tlsCert === undefined) !== (out.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together: give both, or neither');
  }
  if (out.redis !== undefined && out.redisCluster !== undefined) {
    throw new ConfigError('--redis and --redis-cluster exclude each other: give one of them');
  }
  const ircPort = out.ircPort as number | undefined;
  const host = out.host as string;
  if (
    ircPort &&
    ircPort === out.port &&
    sameAddress(host, (out.ircHost as string | undefined) ?? host)
  ) {
    throw samePortError(ircPort);
  }
  return {
    config: Object.freeze(out as unknown as ServerConfig),
    sources: Object.freeze(sources as Record<OptionKey, Source>),
    file: configPath === undefined ? undefined : resolve(configPath),
  };
}

/**
 * Two listen addresses that one port number cannot serve twice: the same,
 * or a wildcard and an address it covers (`::` covers IPv4 too, dual-stack;
 * `0.0.0.0` only IPv4). Host names are compared as written.
 */
export function sameAddress(a: string, b: string): boolean {
  if (a === b || a === '::' || b === '::') return true;
  const covers = (wild: string, other: string): boolean => wild === '0.0.0.0' && isIP(other) === 4;
  return covers(a, b) || covers(b, a);
}

/** --irc-port and --port clash (`address`: where, when it took resolving to see). */
export function samePortError(port: number, address?: string): ConfigError {
  const where = address === undefined ? '' : ` on the same address (${address})`;
  return new ConfigError(
    `--irc-port ${port} is the same port as --port${where}: the IRC listener needs its own port; pick another --irc-port (0 picks a free one)`,
  );
}

/** The validated configuration (see resolveConfig for where each value came from). */
export function loadConfig(cli: Raw, env: NodeJS.ProcessEnv): Readonly<ServerConfig> {
  return resolveConfig(cli, env).config;
}

/** A value as `chat-server config` shows it: secrets and URL credentials masked. */
export function showValue(spec: OptionSpec, value: unknown): string {
  if (value === undefined) return '(unset)';
  if (spec.secret) return '********';
  if (spec.kind === 'address') {
    const a = value as ListenAddress;
    return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
  }
  // A URL may carry a password (redis://user:pass@host): show the rest.
  return String(value).replace(/(\/\/[^/:@]*:)[^@/]*@/u, '$1********@');
}

/** The table `chat-server config` prints: option, value, source. */
export function formatConfig(resolved: ResolvedConfig): string {
  const rows = SERVER_OPTIONS.filter((s) => s.key !== 'config').map((spec) => [
    flagName(spec.key),
    showValue(spec, resolved.config[spec.key]),
    describeSource(resolved.sources[spec.key]),
  ]);
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  const head = resolved.file ? `# config file: ${resolved.file}\n` : '# no config file\n';
  return (
    head +
    rows.map(([k, v, s]) => `${k!.padEnd(w0)}  ${v!.padEnd(w1)}  ${s}`.trimEnd()).join('\n') +
    '\n'
  );
}

/** The Redis a config names (`--redis` or `--redis-cluster`), or undefined for SQLite. */
export function redisTarget(config: Readonly<ServerConfig>): RedisTarget | undefined {
  if (config.redis !== undefined) return { url: config.redis };
  if (config.redisCluster !== undefined) return { cluster: parseRedisCluster(config.redisCluster) };
  return undefined;
}
