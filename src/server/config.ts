/**
 * Server configuration: defaults < config file < environment < command line,
 * validated once into a frozen ServerConfig. Every value remembers where it
 * came from (`chat-server config` shows it); errors name that source, the
 * option and what is accepted.
 */
import { readFileSync } from 'node:fs';
import type { RedisTarget } from '../bus/redis-bus.js';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import {
  envName,
  flagName,
  LOG_LEVELS,
  SERVER_OPTIONS,
  type ListenAddress,
  type OptionSpec,
  type ServerConfig,
} from './options.js';

export type { ServerConfig };

/** A configuration mistake the user can fix; the message says where and how. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

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

/** `9100` → 127.0.0.1:9100 (never public by accident); `HOST:PORT`; `[::1]:9100`. */
export function parseAddress(value: string): ListenAddress | undefined {
  const m = /^(?:(\[[^\]]+\]|[^:]+|.*:.*):)?(\d{1,5})$/u.exec(value.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  const host = (m[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/u, '$1');
  return host === '' ? undefined : { host, port };
}

function coerce(spec: OptionSpec, value: unknown, where: string): unknown {
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string' || value === '')
        throw new ConfigError(`${where} must be a non-empty string`);
      return value;
    case 'level':
    case 'choice': {
      const allowed = spec.kind === 'level' ? LOG_LEVELS : (spec.choices ?? []);
      if (typeof value !== 'string' || !allowed.includes(value)) {
        throw new ConfigError(
          `${where} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`,
        );
      }
      return value;
    }
    case 'address': {
      const addr = parseAddress(String(value));
      if ((typeof value !== 'string' && typeof value !== 'number') || !addr) {
        throw new ConfigError(
          `${where} must be HOST:PORT or a port from 0 to 65535 (got ${JSON.stringify(value)})`,
        );
      }
      return Object.freeze(addr);
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      throw new ConfigError(`${where} must be true or false (got ${JSON.stringify(value)})`);
    case 'int': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && /^\d+$/u.test(value.trim())
            ? Number(value)
            : NaN;
      const min = spec.min ?? 0;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        throw new ConfigError(
          `${where} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`,
        );
      }
      return n;
    }
  }
}

/** Edit distance, for "did you mean" on a mistyped key. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The known option name closest to `key`, when it is close enough to be a typo. */
export function closestOption(key: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const wanted = flagName(key).toLowerCase();
  for (const spec of SERVER_OPTIONS) {
    if (spec.key === 'config') continue;
    const name = flagName(spec.key);
    const d = distance(wanted, name);
    if (d < bestD) {
      bestD = d;
      best = name;
    }
  }
  return bestD <= Math.max(2, Math.floor(wanted.length / 4)) ? best : undefined;
}

interface FileValues {
  values: Raw;
  lines: Record<string, number>;
}

/**
 * Read a YAML (or JSON) file of `option: value`. Keys may be the flag's
 * kebab-case or the camelCase key; relative paths resolve against the
 * file's folder, so a config works from wherever the server is started.
 */
function fromFile(path: string): FileValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      `config file ${path} is not valid YAML or JSON: ${doc.errors[0]!.message}`,
    );
  }
  const out: FileValues = { values: {}, lines: {} };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return out;
  if (!isMap(doc.contents))
    throw new ConfigError(`config file ${path} must hold a mapping of option: value`);
  const known = new Map<string, OptionSpec>(
    SERVER_OPTIONS.flatMap((s) => [
      [s.key, s],
      [flagName(s.key), s],
    ]),
  );
  const folder = dirname(resolve(path));
  for (const pair of doc.contents.items) {
    const k = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const offset = isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
    const line = lineCounter.linePos(offset).line;
    const spec = known.get(k);
    if (!spec || spec.key === 'config') {
      const near = closestOption(k);
      throw new ConfigError(
        `${path}:${line}: unknown option "${k}"${near ? ` (did you mean "${near}"?)` : ''}; see chat-server --help`,
      );
    }
    let value: unknown = isScalar(pair.value) ? pair.value.value : pair.value?.toJSON();
    if ('path' in spec && spec.path && typeof value === 'string' && value !== ':memory:') {
      if (value !== '' && !isAbsolute(value)) value = resolve(folder, value);
    }
    out.values[spec.key] = value;
    out.lines[spec.key] = line;
  }
  return out;
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
  return {
    config: Object.freeze(out as unknown as ServerConfig),
    sources: Object.freeze(sources as Record<OptionKey, Source>),
    file: configPath === undefined ? undefined : resolve(configPath),
  };
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

/** `host:port,host:port,…` as seed nodes; throws ConfigError naming a malformed entry. */
export function parseRedisCluster(value: string): Array<{ host: string; port: number }> {
  return value.split(',').map((entry) => {
    const m = /^\s*([^\s:]+|\[[^\]]+\]):(\d{1,5})\s*$/.exec(entry);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) {
      throw new ConfigError(`--redis-cluster: "${entry}" is not host:port (e.g. 10.0.0.5:6379)`);
    }
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
}
