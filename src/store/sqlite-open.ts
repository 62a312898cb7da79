/**
 * Opening the SQLite file: configure, migrate, check. Every failure becomes a
 * one-line StoreError that names the path and what to do (docs/security.md
 * "Storage failures"), never a stack trace.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { migrate } from './sqlite-migrations.js';
import { isStorageFull, StoreError } from './store-error.js';

/** Bytes per page of a database file this server creates. */
export const PAGE_SIZE = 16_384;

/**
 * Whether opening `path` makes a new, empty database: no file, or an empty
 * one (touched, or left by a failed start). Said in so many words by the
 * server and the accounts CLI: a mistyped --db must not pass for the real one.
 */
export function isNewDatabase(path: string): boolean {
  return path !== ':memory:' && (!existsSync(path) || statSync(path).size === 0);
}

/**
 * Open, configure and migrate the file, then run `PRAGMA quick_check` so a
 * file whose header is fine but whose pages are corrupt is refused now, not
 * message by message later.
 */
export function openDatabase(path: string, lockTimeoutMs = 5000): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: lockTimeoutMs });
    // A new file only (an existing one keeps its page size): a commit of a
    // burst of 512-byte messages writes a quarter as many WAL frames, two
    // write calls each, and a message cost about 0.4 µs less of CPU than with
    // 4 KB pages; 64 KB cost more (docs/performance.md, sixth pass).
    db.pragma(`page_size = ${PAGE_SIZE}`);
    if (!db.memory) db.pragma('journal_mode = WAL');
    // The guarantee is "acked ⇒ survives kill -9 of the process". In WAL mode
    // a commit has written the WAL frames to the OS by the time it returns;
    // NORMAL only skips the fsync, so the data sits in the kernel's page cache,
    // which a process crash does not lose, and the WAL is replayed on reopen.
    // Only an OS crash or power cut can lose the last commits (never corrupt).
    db.pragma('synchronous = NORMAL');
    migrate(db);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      throw Object.assign(new Error(`integrity check failed: ${String(check)}`), {
        code: 'SQLITE_CORRUPT',
      });
    }
    return db;
  } catch (err) {
    try {
      db?.close();
    } catch {
      // Closing a file we could not use: nothing more to report than the first error.
    }
    throw new StoreError('open', describeOpenFailure(path, err), { cause: err });
  }
}

/** A sentence for the operator: what is wrong with `path` and how to fix it. */
export function describeOpenFailure(path: string, err: unknown): string {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  const head = `Cannot open the message database ${path}`;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return `${head}: it is not a SQLite database or is corrupt (${reason}). Restore it from a backup, or move it aside to start a new history.`;
  }
  if (code === 'SQLITE_BUSY') {
    return `${head}: another process (a second chat-server?) has it open. Stop that process or choose another --db.`;
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return `${head}: it is read-only (${reason}). Make the file and its directory writable by this user, or choose another --db.`;
  }
  if (isStorageFull(err)) {
    return `${head}: the disk is full or failing (${reason}). Free some space, then start again.`;
  }
  return `${head}: ${reason}. Check that the directory exists and is writable, or choose another --db.`;
}
