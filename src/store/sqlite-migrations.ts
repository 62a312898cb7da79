import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';

/**
 * One schema step. Steps are append-only: a released step is never edited,
 * because databases in the field have already run it; later changes are new steps.
 */
export type Migration = (db: Database.Database) => void;

/** The schema history; step i brings `PRAGMA user_version` from i to i + 1. */
export const MIGRATIONS: readonly Migration[] = [
  (db) => {
    // `meta.epoch` is born with the database file, so a wiped or replaced
    // database hands out new epochs and resuming clients see a reset
    // (PROTOCOL.md §4) instead of seqs that silently mean other messages.
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE streams (
        stream TEXT PRIMARY KEY,
        top INTEGER NOT NULL,
        epoch TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE messages (
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT,
        text TEXT NOT NULL,
        action INTEGER NOT NULL,
        PRIMARY KEY (stream, seq)
      ) WITHOUT ROWID;
      -- A copy of the message, not a reference: retention may trim the original
      -- while a client can still re-send it and must get the original ack.
      CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT,
        text TEXT NOT NULL,
        action INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX idempotency_at ON idempotency (at);
    `);
    db.prepare("INSERT INTO meta (key, value) VALUES ('epoch', ?)").run(randomUUID());
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Bring `db` up to SCHEMA_VERSION, one transaction per step so an interrupted
 * upgrade resumes at the step that failed. Throws when the file is newer than this build.
 */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `schema version ${version} is newer than this build understands (${SCHEMA_VERSION}); upgrade chat-server`,
    );
  }
  MIGRATIONS.slice(version).forEach((step, i) => {
    db.transaction(() => {
      step(db);
      // user_version lives in the database header, so it commits with the step.
      db.pragma(`user_version = ${version + i + 1}`);
    })();
  });
}
