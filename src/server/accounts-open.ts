/**
 * Which database `chat-server accounts` works on, and opening it as the
 * server does (config.ts redisTarget): the Redis of `--redis` /
 * `--redis-cluster`, checked to answer first, or else the SQLite `--db` file,
 * whose changes can run in one transaction.
 */
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RedisTarget } from '../bus/redis-bus.js';
import { RedisStore } from '../store/redis-store.js';
import { SqliteAccounts } from '../store/sqlite-accounts.js';
import { isNewDatabase } from '../store/sqlite-open.js';
import { openDatabase } from '../store/sqlite-store.js';
import type { AccountStore } from '../store/store.js';
import { NewDatabaseRemoved, Refused } from './accounts-output.js';
import { describeSource, redisTarget, resolveConfig, showValue } from './config.js';
import { SERVER_OPTIONS } from './options.js';

/** Runs `fn` as one transaction where the store has them (SQLite), else as it comes. */
export type Atomically = (fn: () => Promise<void>) => Promise<void>;

/** What a subcommand does with the accounts once they are open. */
export type AccountsJob = (accounts: AccountStore, atomically: Atomically) => Promise<void>;

/** The `chat-server accounts` options that say where the accounts are. */
export interface AccountsFlags {
  db?: string;
  redis?: string;
  redisCluster?: string;
  config?: string;
}

/** How long to wait for Redis before saying it cannot be reached. */
const REDIS_CONNECT_MS = 5000;

/**
 * Open the Redis the servers share and check it answers. An unreachable Redis
 * is one line naming the URL and what to do (exit 1, as a missing --db file),
 * not ioredis's retries and stack.
 */
async function openRedis(target: RedisTarget, where: string, from: string): Promise<RedisStore> {
  // Loaded only for --redis (ioredis is a quarter of a second of every start).
  const { connectRedisClient } = await import('../bus/redis-bus.js');
  const client = connectRedisClient(target);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping(),
      // The first connection error settles it: a one-shot command need not wait
      // out ioredis's reconnects (a Cluster would retry until the timeout).
      // Without a listener ioredis also prints "Unhandled error event" and a stack.
      new Promise((_, reject) => client.on('error', reject)),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer in ${REDIS_CONNECT_MS} ms`)),
          REDIS_CONNECT_MS,
        );
      }),
    ]);
  } catch (err) {
    client.disconnect();
    const why = (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
    throw new Refused(
      `cannot reach Redis at ${where} (from ${from}): ${why}; start Redis or give --redis URL (or --redis-cluster HOST:PORT,…) of the servers' Redis`,
      1,
    );
  } finally {
    clearTimeout(timer);
  }
  // Later errors fail the command that meets them (a StoreError, exit 1).
  client.removeAllListeners('error');
  client.on('error', () => undefined);
  return new RedisStore({ client, publish: () => undefined });
}

/**
 * Run `fn` on the accounts the flags (and CHAT_* variables, and the config
 * file) point at, then close them; says on stderr which database it is.
 * `create`: only `add` and `import` may create a missing database; the others
 * say which file they looked for.
 */
export async function withAccounts(
  flags: AccountsFlags,
  env: NodeJS.ProcessEnv,
  fn: AccountsJob,
  create = false,
): Promise<void> {
  const resolved = resolveConfig(
    {
      ...(flags.db && { db: flags.db }),
      ...(flags.redis && { redis: flags.redis }),
      ...(flags.redisCluster && { redisCluster: flags.redisCluster }),
      ...(flags.config && { config: flags.config }),
    },
    env,
  );
  const config = resolved.config;
  const target = redisTarget(config);
  if (target !== undefined) {
    const key = config.redis !== undefined ? 'redis' : 'redisCluster';
    const spec = SERVER_OPTIONS.find((o) => o.key === key)!;
    const where = showValue(spec, config[key]);
    const from = describeSource(resolved.sources[key]);
    const store = await openRedis(target, where, from);
    process.stderr.write(`chat-server accounts: Redis ${where} (${from})\n`);
    try {
      // No transactions across Redis keys: each account is created on its own
      // (createAccount is atomic); a rerun of an interrupted import keeps them.
      await fn(store, (run) => run());
    } finally {
      await store.close();
    }
    return;
  }
  if (config.db === ':memory:')
    throw new Refused('accounts need a database file; give --db PATH', 2);
  const from = describeSource(resolved.sources.db);
  if (!create && !existsSync(config.db)) {
    throw new Refused(
      `no database at ${resolve(config.db)} (--db from ${from}); give --db PATH of the server's database (or the same --config FILE the server runs with)`,
      1,
    );
  }
  // A new file is said in so many words: a mistyped --db must not pass for the server's.
  const fresh = isNewDatabase(config.db);
  const db = openDatabase(config.db);
  // Said once it is open: a missing directory is refused without claiming a new file.
  process.stderr.write(
    fresh
      ? `chat-server accounts: created a NEW, empty database ${resolve(config.db)} (${from}); if the server uses another file, give its --db\n`
      : `chat-server accounts: database ${resolve(config.db)} (${from})\n`,
  );
  const accounts = new SqliteAccounts(db);
  try {
    await fn(accounts, async (run) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        await run();
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    });
  } catch (err) {
    // "Nothing changed" leaves nothing behind: not the new, empty database
    // either (an `add` whose two passwords differed left one; a hands-on
    // trial). Only while it is still empty: a job that failed after writing
    // keeps what it wrote.
    const empty =
      fresh &&
      (await accounts.listAccounts()).length === 0 &&
      (await accounts.listBans(0)).length === 0;
    db.close();
    if (empty) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(config.db + suffix, { force: true });
      throw new NewDatabaseRemoved(err, resolve(config.db));
    }
    throw err;
  }
  db.close();
}
