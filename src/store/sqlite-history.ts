/**
 * Where the SQLite store keeps messages: per stream, a ring of `retention`
 * slots, the message with seq `s` in slot `s mod retention`. An append
 * overwrites the slot of the message `retention` seqs older, so retention
 * stays exact without a DELETE per message, and a commit dirties only the
 * pages at the ring's head (docs/performance.md, third pass).
 *
 * Reads never scan the ring: the seqs a read wants are a contiguous range
 * of at most `retention`, which is at most two ranges of slots.
 */
import type Database from 'better-sqlite3';
import { type MessageRow, toMessage } from './sqlite-statements.js';
import { RowInserter } from './sqlite-rows.js';
import type { StoredMessage, StreamKey } from './store.js';
import { COLUMNS } from './sqlite-statements.js';

/** A stream's top (highest seq handed out), epoch and lowest seq that may be kept. */
export interface StreamState {
  top: number;
  epoch: string;
  /** No seq below this is kept (older ones were trimmed under another retention). */
  first: number;
}

/** meta key: the retention the slots were computed for (absent: slot = seq, as migrated). */
const RING_KEY = 'history_ring';

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;

export class SqliteHistory {
  private readonly put: RowInserter;
  private readonly slots: Stmt<[string, number, number, number, number], MessageRow>;
  private readonly selectStream: Stmt<[string], StreamState>;
  private readonly upsertStream: Stmt<[string, number, string]>;

  /** Prepare the statements; re-slot the file's history first if it was kept for another retention. */
  constructor(
    db: Database.Database,
    private readonly retention: number,
  ) {
    const ring = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(RING_KEY);
    if (ring !== String(retention)) db.transaction(() => reslot(db, retention))();
    this.put = new RowInserter(db, `INSERT OR REPLACE INTO history (slot, ${COLUMNS})`, 8);
    this.slots = db.prepare(
      `SELECT ${COLUMNS} FROM history
        WHERE stream = ? AND slot BETWEEN ? AND ? AND seq BETWEEN ? AND ? ORDER BY slot`,
    );
    this.selectStream = db.prepare('SELECT top, epoch, first FROM streams WHERE stream = ?');
    this.upsertStream = db.prepare(
      'INSERT INTO streams (stream, top, epoch) VALUES (?, ?, ?) ON CONFLICT (stream) DO UPDATE SET top = excluded.top',
    );
  }

  /** The stored state of a stream, or undefined when it has none yet. */
  loadStream(key: StreamKey): StreamState | undefined {
    return this.selectStream.get(key);
  }

  /** Store messages in their slots, in order (inside the caller's transaction). */
  write(messages: readonly StoredMessage[]): void {
    const r = this.retention;
    if (r <= 0) return;
    const put = this.put;
    put.begin();
    for (const m of messages) {
      put.add(m.seq % r, m.stream, m.seq, m.ts, m.from, m.to ?? null, m.text, m.action ? 1 : 0);
    }
    put.finish();
  }

  /** Record a stream's new top (once per stream per batch). */
  setTop(stream: StreamKey, top: number, epoch: string): void {
    this.upsertStream.run(stream, top, epoch);
  }

  /** The lowest seq still kept (top + 1 when none is). */
  firstRetained(s: StreamState): number {
    if (this.retention <= 0) return s.top + 1;
    return Math.max(s.first, s.top - this.retention + 1, 1);
  }

  /** Up to `limit` messages after `afterSeq`, oldest first (every append committed). */
  after(stream: StreamKey, s: StreamState, afterSeq: number, limit: number): StoredMessage[] {
    if (!(limit > 0)) return [];
    const lo = Math.max(afterSeq + 1, this.firstRetained(s));
    const hi = limit === Infinity ? s.top : Math.min(s.top, lo + Math.floor(limit) - 1);
    return this.range(stream, lo, hi);
  }

  /** The newest `limit` messages before `beforeSeq`, oldest first. */
  before(stream: StreamKey, s: StreamState, beforeSeq: number, limit: number): StoredMessage[] {
    if (!(limit > 0)) return [];
    const hi = Math.min(beforeSeq - 1, s.top);
    const lo = limit === Infinity ? -Infinity : hi - Math.floor(limit) + 1;
    return this.range(stream, Math.max(lo, this.firstRetained(s)), hi);
  }

  /** Seqs lo..hi (all retained, so fewer than `retention` of them), in seq order. */
  private range(stream: StreamKey, lo: number, hi: number): StoredMessage[] {
    if (lo > hi) return [];
    const r = this.retention;
    const a = lo % r;
    const b = hi % r;
    const rows =
      a <= b
        ? this.slots.all(stream, a, b, lo, hi)
        : [...this.slots.all(stream, a, r - 1, lo, hi), ...this.slots.all(stream, 0, b, lo, hi)];
    return rows.map(toMessage);
  }
}

/**
 * Recompute every slot for `retention` (the option changed, or the rows were
 * just migrated with slot = seq): keep each stream's newest `retention`
 * messages and set `first` to the oldest one kept, so firstRetained stays
 * true when retention grows (the ring is not full yet).
 */
function reslot(db: Database.Database, retention: number): void {
  // The columns of migration 4 → 5's `history`, written out again rather than
  // shared: a released migration must not change when this code does.
  db.exec(`
    CREATE TABLE history_next (
      stream TEXT NOT NULL,
      slot INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      sender TEXT NOT NULL,
      recipient TEXT,
      text TEXT NOT NULL,
      action INTEGER NOT NULL,
      PRIMARY KEY (stream, slot)
    ) WITHOUT ROWID
  `);
  if (retention > 0) {
    db.prepare(
      `INSERT INTO history_next (slot, ${COLUMNS})
         SELECT h.seq % ?, h.stream, h.seq, h.ts, h.sender, h.recipient, h.text, h.action
           FROM history h JOIN streams s ON s.stream = h.stream WHERE h.seq > s.top - ?`,
    ).run(retention, retention);
  }
  db.exec('DROP TABLE history; ALTER TABLE history_next RENAME TO history');
  // Exact from what is left: a stream trimmed under a smaller retention before
  // keeps its old first even when this retention would reach further back.
  db.exec(`UPDATE streams SET first = COALESCE(
    (SELECT MIN(seq) FROM history WHERE history.stream = streams.stream), top + 1)`);
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(
    RING_KEY,
    String(retention),
  );
}
