/**
 * Where history, accounts and leases are kept: a SQLite file, or in cluster
 * mode the Redis several servers share, and how long an alias outlives a
 * server that stopped renewing it.
 */
import type { OptionSpec } from './option-spec.js';

/** SQLite or Redis, and cluster-mode leases. */
export const STORAGE_OPTIONS = [
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
] as const satisfies readonly OptionSpec[];
