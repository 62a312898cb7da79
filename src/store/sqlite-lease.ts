import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { StoreError } from './store-error.js';

/** How long a lease lasts without renewal; a crashed server's lease lapses after this. */
const LEASE_MS = 15_000;
const RENEW_MS = 5_000;

interface LeaseRow {
  owner: string;
  pid: number;
  host: string;
  expires: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One chat-server per database file (CLUSTER.md: presence as leases). The
 * lease row names its owner and is renewed while the server lives; a lease
 * whose process is gone from this host (kill -9) or that has lapsed is taken
 * over at once, so a restart never waits on a dead server.
 */
export class ServerLease {
  private readonly owner = randomUUID();
  private readonly timer: NodeJS.Timeout;

  /** Take the lease or throw a StoreError naming the server that holds it. */
  constructor(
    private readonly db: Database.Database,
    path: string,
    private readonly now: () => number,
  ) {
    const take = db.transaction(() => {
      const row = db
        .prepare<[], LeaseRow>('SELECT owner, pid, host, expires FROM server_lease WHERE id = 1')
        .get();
      const held = row && row.expires > this.now() && (row.host !== hostname() || alive(row.pid));
      if (held) {
        throw new StoreError(
          'open',
          `Cannot open the message database ${path}: chat-server pid ${row.pid} on ${row.host} is using it. Stop that server or choose another --db.`,
        );
      }
      db.prepare(
        'INSERT OR REPLACE INTO server_lease (id, owner, pid, host, expires) VALUES (1, ?, ?, ?, ?)',
      ).run(this.owner, process.pid, hostname(), this.now() + LEASE_MS);
    });
    take.immediate();
    const renew = db.prepare<[number, string]>(
      'UPDATE server_lease SET expires = ? WHERE id = 1 AND owner = ?',
    );
    this.timer = setInterval(() => {
      try {
        renew.run(this.now() + LEASE_MS, this.owner);
      } catch {
        // A busy file delays one renewal; the next one (or the lapse margin) covers it.
      }
    }, RENEW_MS);
    this.timer.unref();
  }

  /** Give the lease up (clean shutdown), so the next server starts at once. */
  release(): void {
    clearInterval(this.timer);
    this.db.prepare('DELETE FROM server_lease WHERE id = 1 AND owner = ?').run(this.owner);
  }
}
