/**
 * Server configuration: defaults < config file < environment < command line,
 * validated once into a frozen ServerConfig. Errors name the source and the
 * option, and say what is accepted.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  envName,
  flagName,
  LOG_LEVELS,
  SERVER_OPTIONS,
  type OptionSpec,
  type ServerConfig,
} from './options.js';

export type { ServerConfig };

/** A configuration mistake the user can fix; the message says where and how. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Raw = Record<string, unknown>;

function coerce(spec: OptionSpec, value: unknown, source: string): unknown {
  const where = `${source}: ${spec.key === 'config' ? 'config' : flagName(spec.key)}`;
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string' || value === '')
        throw new ConfigError(`${where} must be a non-empty string`);
      return value;
    case 'level':
      if (typeof value !== 'string' || !(LOG_LEVELS as readonly string[]).includes(value)) {
        throw new ConfigError(
          `${where} must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(value)})`,
        );
      }
      return value;
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

function fromFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `config file ${path} is not valid YAML or JSON: ${(err as Error).message}`,
    );
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError(`config file ${path} must hold a mapping of option: value`);
  const known = new Map(
    SERVER_OPTIONS.flatMap((s) => [
      [s.key, s.key],
      [flagName(s.key), s.key],
    ]),
  );
  const out: Raw = {};
  for (const [k, v] of Object.entries(data as Raw)) {
    const key = known.get(k);
    if (!key || key === 'config') {
      throw new ConfigError(`config file ${path}: unknown option "${k}" (see chat-server --help)`);
    }
    out[key] = v;
  }
  return out;
}

/**
 * Merge the sources into a validated, frozen config.
 * `cli` holds only the options given on the command line (as strings).
 */
export function loadConfig(cli: Raw, env: NodeJS.ProcessEnv): Readonly<ServerConfig> {
  const envRaw: Raw = {};
  for (const spec of SERVER_OPTIONS) {
    const v = env[envName(spec.key)];
    if (v !== undefined && v !== '') envRaw[spec.key] = v;
  }
  const configPath = (cli.config ?? envRaw.config) as string | undefined;
  const fileRaw = configPath ? fromFile(configPath) : {};
  const out: Raw = {};
  for (const spec of SERVER_OPTIONS) {
    let value: unknown = spec.default;
    let source = 'default';
    for (const [raw, name] of [
      [fileRaw, `config file ${configPath}`],
      [envRaw, `environment ${envName(spec.key)}`],
      [cli, 'command line'],
    ] as const) {
      if (raw[spec.key] !== undefined) {
        value = raw[spec.key];
        source = name;
      }
    }
    out[spec.key] = value === undefined ? undefined : coerce(spec, value, source);
  }
  if ((out.tlsCert === undefined) !== (out.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together: give both, or neither');
  }
  if (out.redis !== undefined && out.redisCluster !== undefined) {
    throw new ConfigError('--redis and --redis-cluster exclude each other: give one of them');
  }
  return Object.freeze(out as unknown as ServerConfig);
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
