/**
 * `chat-server audit [--since 1d]`: print the audit trail (kicks, bans,
 * unbans, topic and nick changes, registrations, operator changes, password
 * resets) from the server's database, oldest first, one tab-separated line
 * each. Works while the server runs. Exit 0, or 2 for a usage error.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { parseDuration } from '../core/duration.js';
import { SqliteAccounts } from '../store/sqlite-accounts.js';
import { openDatabase } from '../store/sqlite-store.js';
import { StoreError } from '../store/store-error.js';
import type { AuditRecord } from '../store/store.js';
import { ConfigError, loadConfig } from './config.js';

export function formatAudit(r: AuditRecord): string {
  return [
    new Date(r.at).toISOString(),
    r.action,
    r.actor,
    r.target ?? '-',
    r.room ?? '-',
    r.reason ?? '',
  ].join('\t');
}

export async function auditMain(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const program = new Command('chat-server audit')
    .description('Print moderation and identity events from the chat database, oldest first.')
    .addOption(new Option('--db <path>', 'SQLite file of the server (default: CHAT_DB or chat.db)'))
    .addOption(new Option('--config <file>', 'read --db from this config file'))
    .addOption(new Option('--since <age>', 'only events newer than this: 30m, 12h, 1d, 2w'))
    .exitOverride();
  const fail = (msg: string, code: number): number => {
    process.stderr.write(`chat-server audit: ${msg}\n`);
    return code;
  };
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    const exitCode = (err as { exitCode?: number }).exitCode;
    return exitCode === 0 ? 0 : 2;
  }
  const opts = program.opts<{ db?: string; config?: string; since?: string }>();
  let since = 0;
  if (opts.since !== undefined) {
    const ms = parseDuration(opts.since);
    if (ms === undefined)
      return fail(`--since takes an age such as 30m, 12h, 1d (got ${opts.since})`, 2);
    since = Date.now() - ms;
  }
  try {
    const config = loadConfig(
      { ...(opts.db && { db: opts.db }), ...(opts.config && { config: opts.config }) },
      env,
    );
    if (config.db === ':memory:')
      return fail('the audit trail needs a database file; give --db PATH', 2);
    // A read-only command never creates a database (it would print "no records" for a typo).
    if (!existsSync(config.db)) return fail(`no database at ${config.db}; give --db PATH`, 1);
    const db = openDatabase(config.db);
    try {
      const records = await new SqliteAccounts(db).listAudit(since);
      if (records.length === 0) process.stdout.write('no audit records\n');
      for (const r of records) process.stdout.write(formatAudit(r) + '\n');
    } finally {
      db.close();
    }
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, 2);
    if (err instanceof StoreError) return fail(err.message, 1);
    throw err;
  }
}
