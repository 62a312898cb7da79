/**
 * The startup check of a Redis used as the chat's Store. Resume after a
 * failure is only sound if Redis keeps either all of its data or none of it:
 * with every write in the append-only file and fsynced (`appendonly yes`,
 * `appendfsync always`), and no key ever evicted (`maxmemory-policy
 * noeviction`). A total loss is then seen by clients as a new epoch (a reset);
 * anything else can lose acknowledged messages or, worse, part of a stream.
 */
import type { Cluster, Redis } from 'ioredis';
import { StoreError } from './store-error.js';

export type Severity = 'refuse' | 'warn';

export interface RedisFinding {
  /** Stable code for logs and tests. */
  code:
    | 'redis_no_aof'
    | 'redis_fsync_everysec'
    | 'redis_fsync_no'
    | 'redis_eviction'
    | 'redis_config_hidden';
  severity: Severity;
  /** Which node (host:port) it concerns. */
  node: string;
  /** What is at stake, for the operator. */
  message: string;
}

/** Thrown when a finding is a refusal and the operator did not accept the risk. */
export class RedisConfigError extends Error {
  override readonly name = 'RedisConfigError';
  readonly code = 'redis_config';

  constructor(readonly findings: RedisFinding[]) {
    super(
      `Redis is not safe for chat history: ${findings
        .filter((f) => f.severity === 'refuse')
        .map((f) => `${f.node}: ${f.message}`)
        .join(' ')}`,
    );
  }
}

/** What one node's settings put at stake; empty when it is safe. */
export function judgeRedisConfig(node: string, config: Record<string, string>): RedisFinding[] {
  const out: RedisFinding[] = [];
  const appendonly = config.appendonly;
  const fsync = config.appendfsync;
  const policy = config['maxmemory-policy'];
  if (appendonly === undefined || fsync === undefined || policy === undefined) {
    out.push({
      code: 'redis_config_hidden',
      severity: 'warn',
      node,
      message:
        'CONFIG GET is not allowed here, so durability cannot be checked: make sure the provider runs appendonly yes, appendfsync always and maxmemory-policy noeviction, or a Redis failure can lose acknowledged messages.',
    });
    return out;
  }
  if (appendonly !== 'yes') {
    out.push({
      code: 'redis_no_aof',
      severity: 'refuse',
      node,
      message:
        'appendonly is "no": a Redis restart loses every message, account, ban and alias lease (clients see a history reset). Set appendonly yes.',
    });
  } else if (fsync === 'everysec') {
    out.push({
      code: 'redis_fsync_everysec',
      severity: 'warn',
      node,
      message:
        'appendfsync is "everysec": a Redis or machine crash can lose up to the last second of messages that senders were told were stored. Use appendfsync always to lose none.',
    });
  } else if (fsync !== 'always') {
    out.push({
      code: 'redis_fsync_no',
      severity: 'refuse',
      node,
      message: `appendfsync is "${fsync}": the OS decides when to write, so a machine crash can lose tens of seconds of acknowledged messages. Use appendfsync always.`,
    });
  }
  if (policy !== 'noeviction') {
    out.push({
      code: 'redis_eviction',
      severity: 'refuse',
      node,
      message: `maxmemory-policy is "${policy}": when memory runs out Redis silently deletes keys, so part of a room's history, its seq counter or someone's alias lease can vanish without any visible reset. Set maxmemory-policy noeviction (writes then fail loudly instead).`,
    });
  }
  return out;
}

/**
 * CONFIG GET of the three settings on one node. A refusal by Redis (CONFIG
 * renamed or not permitted, as on managed services) reads as unknown; not
 * reaching Redis at all is a StoreError, so the server does not start blind.
 */
async function nodeConfig(client: Redis): Promise<Record<string, string>> {
  try {
    const flat = (await client.config(
      'GET',
      'appendonly',
      'appendfsync',
      'maxmemory-policy',
    )) as string[];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
    return out;
  } catch (err) {
    if ((err as Error | null)?.name === 'ReplyError') return {};
    const where = `${client.options.host}:${client.options.port}`;
    throw new StoreError(
      'open',
      `Cannot reach Redis at ${where}: ${(err as Error).message.replace(/\.$/, '')}. Check --redis / --redis-cluster and that Redis is up.`,
      { cause: err },
    );
  }
}

/** Inspect every master (one for a single Redis) and judge each one's settings. */
export async function inspectRedis(client: Redis | Cluster): Promise<RedisFinding[]> {
  const nodes: Redis[] = 'nodes' in client ? client.nodes('master') : [client];
  const all = await Promise.all(
    nodes.map(async (n) =>
      judgeRedisConfig(`${n.options.host}:${n.options.port}`, await nodeConfig(n)),
    ),
  );
  return all.flat();
}

/**
 * The startup check: warnings go to `warn` (loudly, at startup), refusals
 * throw RedisConfigError unless the operator accepted the risk, in which case
 * they are warned about as well.
 */
export async function checkRedis(
  client: Redis | Cluster,
  options: { acceptRisk: boolean; warn: (finding: RedisFinding) => void },
): Promise<RedisFinding[]> {
  const findings = await inspectRedis(client);
  const refusals = findings.filter((f) => f.severity === 'refuse');
  if (refusals.length > 0 && !options.acceptRisk) throw new RedisConfigError(findings);
  for (const f of findings) options.warn(f);
  return findings;
}
