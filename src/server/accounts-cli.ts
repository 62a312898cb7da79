/**
 * `chat-server accounts add|remove|list|passwd|operator|import`: manage accounts in
 * the server's database, also while the server runs (docs/protocol.md §2, §7):
 * the SQLite `--db` file, or in cluster mode the Redis of `--redis` /
 * `--redis-cluster`, opened as the server opens it (config.ts redisTarget).
 * Returns an exit code: 0 done, 1 refused (no such account, already exists),
 * 2 usage or configuration error.
 */
import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { ChatError } from '../protocol/errors.js';
import { parseAlias } from '../protocol/names.js';
import { checkPasswordRules, hashPassword } from '../core/passwords.js';
import { connectRedisClient, type RedisTarget } from '../bus/redis-bus.js';
import { RedisStore } from '../store/redis-store.js';
import { SqliteAccounts } from '../store/sqlite-accounts.js';
import { openDatabase } from '../store/sqlite-store.js';
import { StoreError } from '../store/store-error.js';
import type { AccountStore, BanRecord } from '../store/store.js';
import { readSecret, SecretCancelled } from '../tty/secret.js';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { planImport } from './accounts-import.js';
import { ConfigError, describeSource, redisTarget, resolveConfig, showValue } from './config.js';
import { SERVER_OPTIONS } from './options.js';

/** A refusal with the exit code it maps to. */
class Refused extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Runs `fn` as one transaction where the store has them (SQLite), else as it comes. */
type Atomically = (fn: () => Promise<void>) => Promise<void>;

/** How long to wait for Redis before saying it cannot be reached. */
const REDIS_CONNECT_MS = 5000;

/**
 * Open the Redis the servers share and check it answers. An unreachable Redis
 * is one line naming the URL and what to do (exit 1, as a missing --db file),
 * not ioredis's retries and stack.
 */
async function openRedis(target: RedisTarget, where: string, from: string): Promise<RedisStore> {
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

async function askPassword(name: string): Promise<string> {
  const first = await readSecret(`Password for ${name}: `);
  checkPasswordRules(first);
  if (process.stdin.isTTY) {
    const again = await readSecret('Again: ');
    if (again !== first) throw new Refused('the two passwords differ; nothing changed', 1);
  }
  return hashPassword(first);
}

/** Run one accounts subcommand; `argv` is what follows `chat-server accounts`. */
export async function accountsMain(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const out = (line: string): boolean => process.stdout.write(line + '\n');
  let code = 0;
  const program = new Command('chat-server accounts')
    .description(
      'Manage accounts in the chat database (works while the server runs): the SQLite --db file, or in cluster mode the Redis of --redis / --redis-cluster.',
    )
    .addOption(new Option('--db <path>', 'SQLite file of the server (default: CHAT_DB or chat.db)'))
    .addOption(
      new Option(
        '--redis <url>',
        "cluster mode: the servers' Redis (redis://host:port; CHAT_REDIS)",
      ),
    )
    .addOption(
      new Option(
        '--redis-cluster <nodes>',
        "cluster mode: the servers' Redis Cluster seed nodes (host:port,…; CHAT_REDIS_CLUSTER)",
      ),
    )
    .addOption(
      new Option('--config <file>', 'read --db / --redis / --redis-cluster from this config file'),
    )
    .showHelpAfterError()
    .exitOverride();

  /** `create`: only `add` may create a missing database; the others say which file they looked for. */
  const withAccounts = async (
    fn: (accounts: AccountStore, atomically: Atomically) => Promise<void>,
    create = false,
  ): Promise<void> => {
    const opts = program.opts<{
      db?: string;
      redis?: string;
      redisCluster?: string;
      config?: string;
    }>();
    const resolved = resolveConfig(
      {
        ...(opts.db && { db: opts.db }),
        ...(opts.redis && { redis: opts.redis }),
        ...(opts.redisCluster && { redisCluster: opts.redisCluster }),
        ...(opts.config && { config: opts.config }),
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
        `no database at ${resolve(config.db)} (--db from ${from}); give --db PATH of the server's database`,
        1,
      );
    }
    process.stderr.write(`chat-server accounts: database ${resolve(config.db)} (${from})\n`);
    const db = openDatabase(config.db);
    try {
      await fn(new SqliteAccounts(db), async (run) => {
        db.exec('BEGIN IMMEDIATE');
        try {
          await run();
          db.exec('COMMIT');
        } catch (err) {
          db.exec('ROLLBACK');
          throw err;
        }
      });
    } finally {
      db.close();
    }
  };

  program
    .command('add <name>')
    .description('create an account; the password is read without echo, or from stdin')
    .option('--operator', 'make it an operator (may /kick, /ban, /unban)')
    .action(async (raw: string, o: { operator?: boolean }) => {
      const name = parseAlias(raw);
      await withAccounts(async (accounts) => {
        if (await accounts.getAccount(name.key))
          throw new Refused(`${name.display} already exists`, 1);
        const hash = await askPassword(name.display);
        const created = await accounts.createAccount({
          key: name.key,
          name: name.display,
          hash,
          operator: o.operator === true,
          createdAt: Date.now(),
        });
        if (!created) throw new Refused(`${name.display} already exists`, 1);
        await accounts.addAudit({
          at: Date.now(),
          action: 'account-add',
          actor: cliActor(),
          target: name.display,
          ...(o.operator && { reason: 'operator' }),
        });
        out(`created ${name.display}${o.operator ? ' (operator)' : ''}`);
      }, true);
    });

  program
    .command('remove <name>')
    .description('delete an account')
    .action(async (raw: string) => {
      const name = parseAlias(raw);
      await withAccounts(async (accounts) => {
        if (!(await accounts.deleteAccount(name.key)))
          throw new Refused(`no account ${name.display}`, 1);
        await accounts.addAudit({
          at: Date.now(),
          action: 'account-remove',
          actor: cliActor(),
          target: name.display,
        });
        out(`removed ${name.display}`);
      });
    });

  program
    .command('passwd <name>')
    .description("change an account's password")
    .action(async (raw: string) => {
      const name = parseAlias(raw);
      await withAccounts(async (accounts) => {
        if (!(await accounts.getAccount(name.key)))
          throw new Refused(`no account ${name.display}`, 1);
        await accounts.updateAccount(name.key, { hash: await askPassword(name.display) });
        await accounts.addAudit({
          at: Date.now(),
          action: 'passwd',
          actor: cliActor(),
          target: name.display,
        });
        out(`password changed for ${name.display}`);
      });
    });

  program
    .command('operator <name>')
    .description('make an account an operator (--off to revoke)')
    .option('--off', 'revoke operator rights')
    .action(async (raw: string, o: { off?: boolean }) => {
      const name = parseAlias(raw);
      await withAccounts(async (accounts) => {
        if (!(await accounts.updateAccount(name.key, { operator: !o.off }))) {
          throw new Refused(`no account ${name.display}`, 1);
        }
        await accounts.addAudit({
          at: Date.now(),
          action: o.off ? 'deoperator' : 'operator',
          actor: cliActor(),
          target: name.display,
        });
        out(`${name.display} is ${o.off ? 'no longer' : 'now'} an operator`);
      });
    });

  program
    .command('import <file>')
    .description(
      'add accounts from a CSV file (name,password[,operator]); existing ones are kept; a bad line imports nothing (on Redis, rerun an interrupted import)',
    )
    .action(async (file: string) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new Refused(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, 2);
      }
      const plan = planImport(text);
      if (plan.errors.length > 0) {
        for (const e of plan.errors) process.stderr.write(`${file}:${e}\n`);
        throw new Refused(
          `${plan.errors.length} bad line(s) in ${file}; nothing imported (fix them and run it again)`,
          2,
        );
      }
      await withAccounts(async (accounts, atomically) => {
        const fresh: typeof plan.rows = [];
        const existing: string[] = [];
        for (const row of plan.rows) {
          if (await accounts.getAccount(row.name.key)) existing.push(row.name.display);
          else fresh.push(row);
        }
        // Hashing takes a while (scrypt): done before the transaction, so the
        // database is locked only for the inserts (on Redis there is no lock).
        const hashes = await Promise.all(fresh.map((r) => hashPassword(r.password)));
        const actor = cliActor();
        const now = Date.now();
        let created = 0;
        await atomically(async () => {
          for (const [i, row] of fresh.entries()) {
            const ok = await accounts.createAccount({
              key: row.name.key,
              name: row.name.display,
              hash: hashes[i]!,
              operator: row.operator,
              createdAt: now,
            });
            if (!ok) {
              existing.push(row.name.display);
              continue;
            }
            created++;
            await accounts.addAudit({
              at: now,
              action: 'account-add',
              actor,
              target: row.name.display,
              ...(row.operator && { reason: 'operator' }),
            });
          }
        });
        for (const name of existing) out(`exists ${name} (kept as it is)`);
        const ops = fresh.filter((r) => r.operator).length;
        out(
          `imported ${created} account(s)${ops ? ` (${ops} operator(s))` : ''}, ${existing.length} already existed, 0 errors`,
        );
      }, true);
    });

  program
    .command('bans')
    .description('list the bans in force: what, who set them, when, why, until when')
    .action(async () => {
      await withAccounts(async (accounts) => {
        const list = await accounts.listBans(Date.now());
        if (list.length === 0) out('no bans');
        for (const b of list) out(formatBan(b));
      });
    });

  program
    .command('list')
    .description('list accounts')
    .action(async () => {
      await withAccounts(async (accounts) => {
        const list = await accounts.listAccounts();
        if (list.length === 0) out('no accounts');
        for (const a of list) {
          out(
            `${a.name}\t${a.operator ? 'operator' : 'user'}\t${new Date(a.createdAt).toISOString()}`,
          );
        }
      });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    code = reportFailure(err);
  }
  return code;
}

/** Who ran a CLI change, for the audit trail: the local user. */
function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** One ban per line, tab-separated: what /unban takes comes second. */
export function formatBan(b: BanRecord): string {
  return [
    b.kind,
    b.name,
    `by ${b.by}`,
    new Date(b.at).toISOString(),
    b.expires === undefined ? 'permanent' : `until ${new Date(b.expires).toISOString()}`,
    b.reason ?? '',
  ].join('\t');
}

function reportFailure(err: unknown): number {
  const say = (msg: string): boolean => process.stderr.write(`chat-server accounts: ${msg}\n`);
  if (err instanceof Refused) {
    say(err.message);
    return err.exitCode;
  }
  if (err instanceof ChatError || err instanceof ConfigError) {
    say(err.message);
    return 2;
  }
  if (err instanceof StoreError) {
    say(err.message);
    return 1;
  }
  if (err instanceof SecretCancelled) {
    say(`cancelled (${err.message}); nothing changed`);
    return 1;
  }
  const exitCode = (err as { exitCode?: number }).exitCode;
  if (typeof exitCode === 'number') return exitCode === 0 ? 0 : 2;
  throw err;
}
