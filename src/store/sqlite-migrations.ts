import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { encodeChunk } from './sqlite-chunk.js';
import { encodeKeyChunk, type KeyRecord } from './sqlite-key-chunk.js';
import { textDigest } from './sqlite-keys.js';
import type { StoredMessage } from './store.js';

/**
 * One schema step. Steps are append-only: a released step is never edited,
 * because databases in the field have already run it; later changes are new steps.
 */
export type Migration = (db: Database.Database) => void;

/** Messages per chunk when migration 6 → 7 copies a ring. */
const CHUNK_ROWS = 256;

/** A row of schema 5–6's `history`. */
interface HistoryRow {
  slot: number;
  stream: string;
  seq: number;
  ts: number;
  sender: string;
  recipient: string | null;
  text: string;
  action: number;
}

/** A row of schema 6–7's `idempotency_keys`. */
interface KeyRow {
  key: string;
  at: number;
  stream: string;
  seq: number;
  ts: number;
  sender: string;
  recipient: string | null;
  action: number;
  digest: string;
}

/**
 * Keys per chunk when migration 7 → 8 copies `idempotency_keys`, and how far
 * apart in time a chunk's keys may be: a chunk is stamped with its newest
 * key's time, so no key outlives its TTL by more than this.
 */
const KEY_CHUNK_ROWS = 512;
const KEY_CHUNK_SPAN_MS = 1000;

/** The schema history; step i brings `PRAGMA user_version` from i to i + 1. */
export const MIGRATIONS: readonly Migration[] = [
  (db) => {
    // `meta.epoch` is born with the database file, so a wiped or replaced
    // database hands out new epochs and resuming clients see a reset
    // (docs/protocol.md §4) instead of seqs that silently mean other messages.
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
  (db) => {
    // Accounts and bans (docs/protocol.md §2, §3); `server_lease` says which
    // chat-server owns the message tables, so admin commands can share the
    // file with a running server while a second server cannot.
    db.exec(`
      CREATE TABLE accounts (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        hash TEXT NOT NULL,
        operator INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE bans (
        kind TEXT NOT NULL CHECK (kind IN ('account', 'address')),
        value TEXT NOT NULL,
        name_key TEXT NOT NULL,
        name TEXT NOT NULL,
        by TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (kind, value)
      ) WITHOUT ROWID;
      CREATE INDEX bans_name_key ON bans (name_key);
      CREATE TABLE server_lease (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        owner TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        expires INTEGER NOT NULL
      );
    `);
  },
  (db) => {
    // Bans of guest aliases, with reasons and expiry (the kind's CHECK must
    // change, so the table is rebuilt); persisted topics and ignore lists;
    // the audit trail of moderation and identity events (never message text
    // or passwords). Ignores are keyed by identity: `a:` + account key, or
    // `g:` + a guest session id (docs/protocol.md §2 "Guest sessions").
    db.exec(`
      CREATE TABLE bans_v3 (
        kind TEXT NOT NULL CHECK (kind IN ('account', 'alias', 'address')),
        value TEXT NOT NULL,
        name_key TEXT NOT NULL,
        name TEXT NOT NULL,
        by TEXT NOT NULL,
        at INTEGER NOT NULL,
        reason TEXT,
        expires INTEGER,
        PRIMARY KEY (kind, value)
      ) WITHOUT ROWID;
      INSERT INTO bans_v3 (kind, value, name_key, name, by, at)
        SELECT kind, value, name_key, name, by, at FROM bans;
      DROP TABLE bans;
      ALTER TABLE bans_v3 RENAME TO bans;
      CREATE INDEX bans_name_key ON bans (name_key);
      CREATE TABLE topics (
        room TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        by TEXT NOT NULL,
        at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE ignores (
        owner TEXT NOT NULL,
        key TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (owner, key)
      ) WITHOUT ROWID;
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        target TEXT,
        room TEXT,
        reason TEXT
      );
      CREATE INDEX audit_at ON audit (at);
    `);
  },
  // 3 → 4: mutes and topic locks persist and are shared like bans (they
  // were in memory, lost at restart).
  (db) => {
    db.exec(`
      CREATE TABLE mutes (
        key TEXT PRIMARY KEY,
        name_key TEXT NOT NULL,
        record TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE topic_locks (room TEXT PRIMARY KEY) WITHOUT ROWID;
    `);
  },
  // 4 → 5: the history becomes a ring of retention slots per stream, rewritten
  // in place (an append replaces the message `retention` seqs older), instead
  // of an insert plus a retention delete per message: half the pages each
  // commit and checkpoint write (docs/performance.md, third pass).
  // `streams.first` is the lowest seq that may still be kept (older ones were
  // trimmed). Copied rows keep slot = seq: no `history_ring` in meta says so,
  // and the store re-slots them to its retention when it opens the file
  // (sqlite-history.ts), since a migration does not know the retention.
  (db) => {
    db.exec(`
      CREATE TABLE history (
        stream TEXT NOT NULL,
        slot INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT,
        text TEXT NOT NULL,
        action INTEGER NOT NULL,
        PRIMARY KEY (stream, slot)
      ) WITHOUT ROWID;
      INSERT INTO history (stream, slot, seq, ts, sender, recipient, text, action)
        SELECT stream, seq, seq, ts, sender, recipient, text, action FROM messages;
      ALTER TABLE streams ADD COLUMN first INTEGER NOT NULL DEFAULT 1;
      UPDATE streams SET first = COALESCE(
        (SELECT MIN(seq) FROM messages WHERE messages.stream = streams.stream), top + 1);
      DROP TABLE messages;
    `);
  },
  // 5 → 6: an idempotency key keeps where its message is, its short fields
  // and a SHA-1 digest of its text instead of a second copy of the message
  // (sqlite-keys.ts; docs/performance.md, fourth pass). Keys still within
  // their TTL answer a re-send exactly as before.
  (db) => {
    db.function('chat_sha1', { deterministic: true }, (text: unknown) => textDigest(String(text)));
    db.exec(`
      CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT,
        action INTEGER NOT NULL,
        digest TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX idempotency_keys_at ON idempotency_keys (at);
      INSERT INTO idempotency_keys (key, at, stream, seq, ts, sender, recipient, action, digest)
        SELECT key, at, stream, seq, ts, sender, recipient, action, chat_sha1(text) FROM idempotency;
      DROP TABLE idempotency;
    `);
  },
  // 6 → 7: the history becomes chunks, one row per stream per commit holding
  // that commit's messages (sqlite-chunk.ts; docs/performance.md, sixth
  // pass), instead of a row per message in a ring of slots. The ring's rows
  // are copied in seq order, CHUNK_ROWS to a chunk; `streams.first` carries
  // over, and the ring's retention (meta `history_ring`) is no longer needed.
  (db) => {
    db.exec(`
      CREATE TABLE history_chunks (
        stream TEXT NOT NULL,
        first INTEGER NOT NULL,
        last INTEGER NOT NULL,
        data BLOB NOT NULL
      );
      CREATE INDEX history_chunks_range ON history_chunks (stream, first, last);
    `);
    const insert = db.prepare(
      'INSERT INTO history_chunks (stream, first, last, data) VALUES (?, ?, ?, ?)',
    );
    const streams = db.prepare<[], string>('SELECT DISTINCT stream FROM history').pluck().all();
    // Paged by slot (the primary key), since an open iterator would keep the
    // inserts out. Consecutive slots hold ascending seqs except where the
    // ring wraps, which starts a new chunk: chunks stay disjoint in seq.
    const page = db.prepare<[string, number], HistoryRow>(
      `SELECT slot, stream, seq, ts, sender, recipient, text, action FROM history
        WHERE stream = ? AND slot > ? ORDER BY slot LIMIT ${CHUNK_ROWS}`,
    );
    for (const stream of streams) {
      let slot = -1;
      for (let rows = page.all(stream, slot); rows.length > 0; rows = page.all(stream, slot)) {
        let chunk: StoredMessage[] = [];
        const flush = (): void => {
          if (chunk.length === 0) return;
          const first = chunk[0]!.seq;
          insert.run(stream, first, chunk[chunk.length - 1]!.seq, encodeChunk(chunk, first));
          chunk = [];
        };
        for (const r of rows) {
          if (chunk.length > 0 && r.seq < chunk[chunk.length - 1]!.seq) flush();
          const m: StoredMessage = {
            stream,
            seq: r.seq,
            ts: r.ts,
            from: r.sender,
            text: r.text,
            action: r.action === 1,
          };
          if (r.recipient !== null) m.to = r.recipient;
          chunk.push(m);
        }
        flush();
        slot = rows[rows.length - 1]!.slot;
      }
    }
    db.exec(`DROP TABLE history; DELETE FROM meta WHERE key = 'history_ring'`);
  },
  // 7 → 8: a commit's idempotency keys become one row of `idempotency_chunks`
  // (sqlite-key-chunk.ts; docs/performance.md, ninth pass) instead of a row
  // each. The keys are copied in the order they were written, a chunk per
  // KEY_CHUNK_ROWS or per second, stamped with its newest key's time, so
  // each stays findable at least as long as before and at most a second
  // longer; expired ones are purged at the next commit.
  (db) => {
    db.exec(`
      CREATE TABLE idempotency_chunks (
        at INTEGER NOT NULL,
        data BLOB NOT NULL
      );
    `);
    const insert = db.prepare('INSERT INTO idempotency_chunks (at, data) VALUES (?, ?)');
    const rows = db
      .prepare<[], KeyRow>(
        'SELECT key, at, stream, seq, ts, sender, recipient, action, digest FROM idempotency_keys ORDER BY at',
      )
      .all();
    let part: KeyRow[] = [];
    const flush = (): void => {
      if (part.length === 0) return;
      const records = part.map((r): KeyRecord => {
        const message: KeyRecord['message'] = {
          stream: r.stream,
          seq: r.seq,
          ts: r.ts,
          from: r.sender,
          action: r.action === 1,
        };
        if (r.recipient !== null) message.to = r.recipient;
        return { key: r.key, message, digest: r.digest };
      });
      insert.run(part[part.length - 1]!.at, encodeKeyChunk(records));
      part = [];
    };
    for (const r of rows) {
      if (
        part.length === KEY_CHUNK_ROWS ||
        (part.length > 0 && r.at - part[0]!.at > KEY_CHUNK_SPAN_MS)
      ) {
        flush();
      }
      part.push(r);
    }
    flush();
    db.exec('DROP TABLE idempotency_keys');
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
