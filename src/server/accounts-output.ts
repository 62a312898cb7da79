/**
 * What `chat-server accounts` prints: one line per account or ban on stdout,
 * and every failure as one `chat-server accounts: …` line on stderr with the
 * exit code it maps to (0 done, 1 refused, 2 usage or configuration error).
 */
import { ChatError } from '../protocol/errors.js';
import { StoreError } from '../store/store-error.js';
import type { AccountRecord, BanRecord } from '../store/store.js';
import { SecretCancelled } from '../tty/secret.js';
import { ConfigError } from './config.js';

/** A refusal with the exit code it maps to. */
export class Refused extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * A job failed on a database this run created, and the still-empty file was
 * removed: said after the reason, so the last line is what is left on disk.
 */
export class NewDatabaseRemoved extends Error {
  constructor(
    readonly reason: unknown,
    readonly path: string,
  ) {
    super(`removed the new database ${path}`);
  }
}

/** One line of stdout. */
export function out(line: string): boolean {
  return process.stdout.write(line + '\n');
}

/** One account per line, tab-separated: name, role, created. */
export function formatAccount(a: AccountRecord): string {
  return `${a.name}\t${a.operator ? 'operator' : 'user'}\t${new Date(a.createdAt).toISOString()}`;
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

/** Say why a subcommand failed, on stderr; returns its exit code. Rethrows what is a bug. */
export function reportFailure(err: unknown): number {
  const say = (msg: string): boolean => process.stderr.write(`chat-server accounts: ${msg}\n`);
  if (err instanceof NewDatabaseRemoved) {
    const exitCode = reportFailure(err.reason);
    say(`${err.message}: nothing was written to it`);
    return exitCode;
  }
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
