import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { StoreError } from './store-error.js';

/** Owners of the leases this process holds now. */
const ownOwners = new Set<string>();

/** How long a lease lasts without renewal; a crashed server's lease on another host lapses after this. */
const LEASE_MS = 15_000;
const RENEW_MS = 5_000;

interface LeaseRow {
  owner: string;
  pid: number;
  host: string;
  expires: number;
}

/**
 * Whether a process of this host is alive. A zombie (killed, not yet reaped
 * by its parent: state Z or X in /proc/PID/stat) is dead: it holds no file
 * and will never renew, so a restart must not wait for the supervisor to reap
 * it. Where /proc is missing, `kill(pid, 0)` answers (zombies count as alive there).
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S …": comm may hold spaces and parentheses, the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One chat-server per database file (docs/security.md "One server per
 * database"). The lease row names its owner and is renewed while the server
 * lives. On this host liveness is checked, not the clock: a holder that is
 * alive keeps its lease even if it missed renewals (paused by SIGSTOP, a VM
 * stall, a long GC), and a dead one (kill -9, a zombie) is taken over at
 * once. A holder on another host keeps it until it lapses. A server that
 * finds its lease taken (it was paused past the lapse on a shared file)
 * reports it through `onLost` and must stop serving: it writes nothing more.
 */
export class ServerLease {
  private readonly owner = randomUUID();
  private readonly timer: NodeJS.Timeout;
  private readonly ownerOf: Database.Statement<[], string>;
  private lost = false;

  /** Take the lease or throw a StoreError naming the server that holds it. */
  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly now: () => number,
    private readonly onLost: (err: StoreError) => void = () => undefined,
  ) {
    const take = db.transaction(() => {
      const row = db
        .prepare<[], LeaseRow>('SELECT owner, pid, host, expires FROM server_lease WHERE id = 1')
        .get();
      // Our own pid: held only by a lease this process really holds; otherwise
      // it is an earlier life of this pid (containers reuse pid 1 on restart).
      const held =
        row &&
        (row.host !== hostname()
          ? row.expires > this.now()
          : row.pid === process.pid
            ? ownOwners.has(row.owner)
            : processAlive(row.pid));
      if (held) {
        const late = row.expires <= this.now() ? ' (it is not renewing its lease: paused?)' : '';
        throw new StoreError(
          'open',
          `Cannot open the message database ${path}: chat-server pid ${row.pid} on ${row.host} is using it${late}. Stop that server or choose another --db.`,
        );
      }
      db.prepare(
        'INSERT OR REPLACE INTO server_lease (id, owner, pid, host, expires) VALUES (1, ?, ?, ?, ?)',
      ).run(this.owner, process.pid, hostname(), this.now() + LEASE_MS);
    });
    take.immediate();
    ownOwners.add(this.owner);
    this.ownerOf = db
      .prepare<[], string>('SELECT owner FROM server_lease WHERE id = 1')
      .pluck() as Database.Statement<[], string>;
    const renew = db.prepare<[number, string]>(
      'UPDATE server_lease SET expires = ? WHERE id = 1 AND owner = ?',
    );
    this.timer = setInterval(() => {
      try {
        if (renew.run(this.now() + LEASE_MS, this.owner).changes === 0) this.lose();
      } catch {
        // A busy or full file delays one renewal; the next one (or the lapse margin) covers it.
      }
    }, RENEW_MS);
    this.timer.unref();
  }

  /**
   * Throw when another server holds the lease now. Called inside every write
   * transaction, so a server that was paused past its lease never writes
   * beside the new holder, even before its renewal timer notices.
   */
  assertHeld(): void {
    if (!this.lost && this.ownerOf.get() === this.owner) return;
    this.lose();
    throw this.lostError();
  }

  get isLost(): boolean {
    return this.lost;
  }

  /** Give the lease up (clean shutdown), so the next server starts at once. Best effort: never throws. */
  release(): void {
    clearInterval(this.timer);
    ownOwners.delete(this.owner);
    if (this.lost) return;
    try {
      this.db.prepare('DELETE FROM server_lease WHERE id = 1 AND owner = ?').run(this.owner);
    } catch {
      // A full disk or read-only file: the next server on this host sees this pid dead and takes over.
    }
  }

  private lostError(): StoreError {
    return new StoreError(
      'lease',
      `Another chat-server took over the message database ${this.path} (this one was paused past its lease?); this server stops serving.`,
    );
  }

  private lose(): void {
    if (this.lost) return;
    this.lost = true;
    clearInterval(this.timer);
    ownOwners.delete(this.owner);
    // Next turn: the appends refused now are answered before the server stops.
    const err = this.lostError();
    setImmediate(() => this.onLost(err));
  }
}
