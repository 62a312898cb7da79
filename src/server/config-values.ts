/**
 * One option's value checked against its spec (kind, range, choices) and
 * parsed, whichever source it came from; the address forms of `--metrics`
 * and `--redis-cluster`. Every mistake is a ConfigError saying where, which
 * option and what is accepted.
 */
import { LOG_LEVELS, type ListenAddress, type OptionSpec } from './option-spec.js';

/** A configuration mistake the user can fix; the message says where and how. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
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

/** The value of `spec` from a source, checked and parsed; `where` names the source and option. */
export function coerce(spec: OptionSpec, value: unknown, where: string): unknown {
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string' || value === '')
        throw new ConfigError(`${where} must be a non-empty string`);
      if (spec.match && !spec.match.pattern.test(value)) {
        throw new ConfigError(
          `${where} must be ${spec.match.means} (got ${JSON.stringify(value)})`,
        );
      }
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
