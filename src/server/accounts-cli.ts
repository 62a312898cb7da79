/**
 * `chat-server accounts add|remove|list|passwd|operator|import|bans`: manage accounts in
 * the server's database, also while the server runs (docs/protocol.md §2, §7):
 * the SQLite `--db` file, or in cluster mode the Redis of `--redis` /
 * `--redis-cluster`, opened as the server opens it (accounts-open.ts).
 * Returns an exit code: 0 done, 1 refused (no such account, already exists),
 * 2 usage or configuration error, or a password not taken.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { parseAlias } from '../protocol/names.js';
import { checkPasswordRules, hashPassword } from '../core/passwords.js';
import { accountData } from '../core/inbox.js';
import type { AccountStore, AuditRecord } from '../store/store.js';
import { readSecret } from '../tty/secret.js';
import { planImport } from './accounts-import.js';
import { withAccounts, type AccountsFlags, type AccountsJob } from './accounts-open.js';
import { formatAccount, formatBan, out, Refused, reportFailure } from './accounts-output.js';

async function askPassword(name: string): Promise<string> {
  const first = await readSecret(`Password for ${name}: `);
  checkPasswordRules(first);
  if (process.stdin.isTTY) {
    const again = await readSecret('Again: ');
    if (again !== first) throw new Refused('the two passwords differ; nothing changed', 2);
  }
  return hashPassword(first);
}

/** Who ran a CLI change, for the audit trail: the local user. */
function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Record a change made here in the audit trail, as the local user. */
function audit(
  accounts: AccountStore,
  action: AuditRecord['action'],
  target: string,
  more: { at?: number; operator?: boolean } = {},
): Promise<void> {
  return accounts.addAudit({
    at: more.at ?? Date.now(),
    action,
    actor: cliActor(),
    target,
    ...(more.operator && { reason: 'operator' }),
  });
}

/** Run one accounts subcommand; `argv` is what follows `chat-server accounts`. */
export async function accountsMain(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
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

  const accountsDo = (fn: AccountsJob, create = false): Promise<void> =>
    withAccounts(program.opts<AccountsFlags>(), env, fn, create);

  program
    .command('add <name>')
    .description('create an account; the password is read without echo, or from stdin')
    .option('--operator', 'make it an operator (may /kick, /ban, /unban)')
    .action(async (raw: string, o: { operator?: boolean }) => {
      const name = parseAlias(raw);
      await accountsDo(async (accounts) => {
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
        await audit(accounts, 'account-add', name.display, { operator: o.operator });
        out(`created ${name.display}${o.operator ? ' (operator)' : ''}`);
      }, true);
    });

  program
    .command('remove <name>')
    .description('delete an account, with its private messages and ignore list')
    .action(async (raw: string) => {
      const name = parseAlias(raw);
      await accountsDo(async (accounts) => {
        if (!(await accounts.getAccount(name.key)))
          throw new Refused(`no account ${name.display}`, 1);
        // Its data first: a later account of the same name must not inherit its
        // private messages, and a failure here leaves the account to remove again.
        const { streams, owner } = accountData(name.key);
        await accounts.forgetAccountData(streams, owner);
        if (!(await accounts.deleteAccount(name.key)))
          throw new Refused(`no account ${name.display}`, 1);
        await audit(accounts, 'account-remove', name.display);
        out(`removed ${name.display}`);
      });
    });

  program
    .command('passwd <name>')
    .description("change an account's password")
    .action(async (raw: string) => {
      const name = parseAlias(raw);
      await accountsDo(async (accounts) => {
        if (!(await accounts.getAccount(name.key)))
          throw new Refused(`no account ${name.display}`, 1);
        await accounts.updateAccount(name.key, { hash: await askPassword(name.display) });
        await audit(accounts, 'passwd', name.display);
        out(`password changed for ${name.display}`);
      });
    });

  program
    .command('operator <name>')
    .description('make an account an operator (--off to revoke)')
    .option('--off', 'revoke operator rights')
    .action(async (raw: string, o: { off?: boolean }) => {
      const name = parseAlias(raw);
      await accountsDo(async (accounts) => {
        if (!(await accounts.updateAccount(name.key, { operator: !o.off }))) {
          throw new Refused(`no account ${name.display}`, 1);
        }
        await audit(accounts, o.off ? 'deoperator' : 'operator', name.display);
        out(`${name.display} is ${o.off ? 'no longer' : 'now'} an operator`);
      });
    });

  program
    .command('import <file>')
    .description(
      'add accounts from a CSV file (name,password[,operator]); existing ones are kept; a bad line imports nothing (on Redis, rerun an interrupted import)',
    )
    .action((file: string) => importAccounts(file, accountsDo));

  program
    .command('bans')
    .description('list the bans in force: what, who set them, when, why, until when')
    .action(async () => {
      await accountsDo(async (accounts) => {
        const list = await accounts.listBans(Date.now());
        if (list.length === 0) out('no bans');
        for (const b of list) out(formatBan(b));
      });
    });

  program
    .command('list')
    .description('list accounts')
    .action(async () => {
      await accountsDo(async (accounts) => {
        const list = await accounts.listAccounts();
        if (list.length === 0) out('no accounts');
        for (const a of list) out(formatAccount(a));
      });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportFailure(err);
  }
}

/**
 * `import FILE`: the whole file checked first (a bad line imports nothing),
 * then the new accounts created in one transaction where the store has them;
 * existing accounts are kept as they are.
 */
async function importAccounts(
  file: string,
  accountsDo: (fn: AccountsJob, create: boolean) => Promise<void>,
): Promise<void> {
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
  await accountsDo(async (accounts, atomically) => {
    const fresh: typeof plan.rows = [];
    const existing: string[] = [];
    for (const row of plan.rows) {
      if (await accounts.getAccount(row.name.key)) existing.push(row.name.display);
      else fresh.push(row);
    }
    // Hashing takes a while (scrypt): done before the transaction, so the
    // database is locked only for the inserts (on Redis there is no lock).
    const hashes = await Promise.all(fresh.map((r) => hashPassword(r.password)));
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
        await audit(accounts, 'account-add', row.name.display, { at: now, operator: row.operator });
      }
    });
    for (const name of existing) out(`exists ${name} (kept as it is)`);
    const ops = fresh.filter((r) => r.operator).length;
    out(
      `imported ${created} account(s)${ops ? ` (${ops} operator(s))` : ''}, ${existing.length} already existed, 0 errors`,
    );
  }, true);
}
