/**
 * Where the SQLite store keeps messages: per stream, chunks. A commit writes
 * one row per stream it touched, holding that stream's messages of the
 * commit (sqlite-chunk.ts), so a burst of 300 messages costs one row, not
 * 300 (docs/performance.md, sixth pass). A chunk is deleted once every
 * message in it is older than the newest `retention`; until then reads skip
 * the older ones, so retention stays exact.
 *
 * `streams.first` is the lowest seq that may still be kept: it rises as
 * chunks are trimmed, so a retention raised between runs does not claim
 * messages trimmed under the old one.
 */
import type Database from 'better-sqlite3';
import { decodeChunk, encodeChunk } from './sqlite-chunk.js';
import type { StoredMessage, StreamKey } from './store.js';

/** A stream's top (highest seq handed out), epoch and lowest seq that may be kept. */
export interface StreamState {
  top: number;
  epoch: string;
  /** No seq below this is kept (older ones were trimmed under another retention). */
  first: number;
}

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;

export class SqliteHistory {
  private readonly insert: Stmt<[stream: string, first: number, last: number, data: Buffer]>;
  private readonly trim: Stmt<[stream: string, keepFrom: number, again: number]>;
  private readonly chunkStart: Stmt<[stream: string, seq: number], number | null>;
  private readonly chunks: Stmt<[stream: string, from: number, to: number], ChunkRow>;
  private readonly selectStream: Stmt<[string], StreamState>;
  private readonly upsertStream: Stmt<[string, number, string, number]>;

  constructor(
    db: Database.Database,
    private readonly retention: number,
  ) {
    this.insert = db.prepare(
      'INSERT INTO history_chunks (stream, first, last, data) VALUES (?, ?, ?, ?)',
    );
    // `first < ?` keeps the scan to the chunks that start before the window:
    // the trimmed ones and at most one that straddles its edge.
    this.trim = db.prepare(
      'DELETE FROM history_chunks WHERE stream = ? AND first < ? AND last < ?',
    );
    this.chunkStart = db
      .prepare<[string, number], number | null>(
        'SELECT max(first) FROM history_chunks WHERE stream = ? AND first <= ?',
      )
      .pluck();
    this.chunks = db.prepare(
      'SELECT first, data FROM history_chunks WHERE stream = ? AND first BETWEEN ? AND ? ORDER BY first',
    );
    this.selectStream = db.prepare('SELECT top, epoch, first FROM streams WHERE stream = ?');
    this.upsertStream = db.prepare(
      `INSERT INTO streams (stream, top, epoch, first) VALUES (?, ?, ?, ?)
         ON CONFLICT (stream) DO UPDATE SET top = excluded.top, first = max(first, excluded.first)`,
    );
  }

  /** The stored state of a stream, or undefined when it has none yet. */
  loadStream(key: StreamKey): StreamState | undefined {
    return this.selectStream.get(key);
  }

  /**
   * Store a commit's messages (in seq order within each stream) and trim
   * what retention no longer keeps (inside the caller's transaction).
   */
  write(messages: readonly StoredMessage[]): void {
    if (this.retention <= 0 || messages.length === 0) return;
    const stream = messages[0]!.stream;
    if (messages.every((m) => m.stream === stream)) {
      this.writeChunk(stream, messages);
      return;
    }
    const byStream = new Map<StreamKey, StoredMessage[]>();
    for (const m of messages) {
      const list = byStream.get(m.stream);
      if (list) list.push(m);
      else byStream.set(m.stream, [m]);
    }
    for (const [key, list] of byStream) this.writeChunk(key, list);
  }

  private writeChunk(stream: StreamKey, messages: readonly StoredMessage[]): void {
    const first = messages[0]!.seq;
    const last = messages[messages.length - 1]!.seq;
    this.insert.run(stream, first, last, encodeChunk(messages, first));
    const keepFrom = this.keepFrom(last);
    this.trim.run(stream, keepFrom, keepFrom);
  }

  /** Record a stream's new top (once per stream per batch), and how far back it is kept. */
  setTop(stream: StreamKey, top: number, epoch: string): void {
    this.upsertStream.run(stream, top, epoch, this.keepFrom(top));
  }

  /** The lowest seq still kept (top + 1 when none is). */
  firstRetained(s: StreamState): number {
    return Math.max(s.first, this.keepFrom(s.top));
  }

  /** The lowest seq retention keeps when `top` is the newest (top + 1: none). */
  private keepFrom(top: number): number {
    return this.retention <= 0 ? top + 1 : Math.max(top - this.retention + 1, 1);
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

  /** Seqs lo..hi (all retained), in seq order. */
  private range(stream: StreamKey, lo: number, hi: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    if (lo > hi) return out;
    // The chunk holding lo starts at or before it; the rest start within the range.
    const from = this.chunkStart.get(stream, lo) ?? lo;
    for (const row of this.chunks.iterate(stream, from, hi)) {
      decodeChunk(row.data, stream, row.first, lo, hi, out);
    }
    return out;
  }
}

interface ChunkRow {
  first: number;
  data: Buffer;
}
