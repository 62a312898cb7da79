/**
 * `chat-server backup PATH`: a consistent copy of the database while the
 * server runs, through SQLite's online backup API (pages are copied in steps;
 * writers are not blocked for the whole copy). The copy is a complete
 * database a second server can open as its --db.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Command, Option } from 'commander';
import { ConfigError, resolveConfig, describeSource } from './config.js';

/** Run `chat-server backup`; `argv` is what follows `backup`. Returns an exit code. */
export async function backupMain(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const say = (msg: string): boolean => process.stderr.write(`chat-server backup: ${msg}\n`);
  const program = new Command('chat-server backup')
    .description('Copy the database to PATH while the server runs (SQLite online backup).')
    .argument('<path>', 'the new file (must not exist)')
    .addOption(new Option('--db <path>', 'SQLite file of the server (default: CHAT_DB or chat.db)'))
    .addOption(new Option('--config <file>', 'read --db from this config file'))
    .showHelpAfterError('(run chat-server backup --help for usage)')
    .addHelpText(
      'after',
      '\nExamples:\n  chat-server backup /backups/chat-$(date +%F).db --db /var/lib/chat/chat.db\n  chat-server --db /backups/chat-2026-11-30.db --port 50001   # a second server on the copy',
    )
    .exitOverride();
  let target: string;
  try {
    program.parse(argv, { from: 'user' });
    target = program.args[0]!;
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const opts = program.opts<{ db?: string; config?: string }>();
  let db: string;
  let from: string;
  try {
    const resolved = resolveConfig(
      { ...(opts.db && { db: opts.db }), ...(opts.config && { config: opts.config }) },
      env,
    );
    db = resolved.config.db;
    from = describeSource(resolved.sources.db);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    say(err.message);
    return 2;
  }
  if (db === ':memory:') {
    say('an in-memory server has nothing to back up; give --db PATH');
    return 2;
  }
  if (!existsSync(db)) {
    say(`no database at ${resolve(db)} (--db from ${from}); nothing copied`);
    return 1;
  }
  if (existsSync(target)) {
    say(`${target} already exists; choose a new file name`);
    return 1;
  }
  const source = new Database(db, { fileMustExist: true, timeout: 5000 });
  try {
    const started = Date.now();
    const result = await source.backup(target);
    process.stdout.write(
      `copied ${resolve(db)} to ${resolve(target)} (${result.totalPages} pages, ${Date.now() - started} ms)\n`,
    );
    return 0;
  } catch (err) {
    say(`backup failed: ${(err as Error).message}`);
    return 1;
  } finally {
    source.close();
  }
}
