/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs
 * inside the commit that crosses `wal_autocheckpoint` pages and fsyncs the
 * WAL and the database there: on this machine about 15 µs of blocked event
 * loop per 512-byte message (docs/performance.md, third pass). A worker
 * thread with its own connection checkpoints instead, asked once about
 * CHECKPOINT_BYTES were committed (a page written many times meanwhile, like
 * a ring's head, is copied once), one request at a time; the writer's own
 * automatic checkpoint stays on,
 * at a higher threshold, only as a backstop that bounds the WAL if the
 * thread falls behind. Durability is unchanged: a commit still writes its
 * WAL frames before it returns, and checkpoints only copy committed frames.
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** Pages in the WAL before the writer checkpoints by itself (the backstop; SQLite's default is 1000). */
const BACKSTOP_PAGES = 16_000;
/**
 * Committed bytes between two requests. A room's ring of 10,000 messages of
 * 512 bytes is about 5 MB of pages, rewritten in place as it turns: at 16 MB
 * a checkpoint copies each of them once for about three rewrites. At 4 MB
 * (SQLite's own cadence) the thread cost 0.73–0.85 µs of CPU per message,
 * at 16 MB 0.38–0.44 (docs/performance.md, sixth pass). The WAL file grows to
 * about this size and is then reused from its start.
 */
const CHECKPOINT_BYTES = 16 * 1024 * 1024;

export class Checkpointer {
  private readonly worker: Worker;
  /** A request is with the worker; commits meanwhile are covered by the next one. */
  private busy = false;
  /** Bytes committed since the last request (an estimate: the rows' sizes). */
  private pending = 0;
  private readonly exited: Promise<void>;
  private readonly waiting: (() => void)[] = [];

  constructor(db: Database.Database, path: string) {
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    this.worker = new Worker(new URL('./sqlite-checkpoint-worker.js', import.meta.url), {
      workerData: { path },
    });
    // Idle between requests: the thread must not keep the process alive.
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('message', () => {
      this.busy = false;
      if (this.pending >= CHECKPOINT_BYTES) this.committed(0);
      else for (const resolve of this.waiting.splice(0)) resolve();
    });
    // A thread that cannot run (no file, no memory) leaves the backstop to checkpoint.
    this.worker.on('error', () => undefined);
  }

  /** Called after each commit of about `bytes`: ask for a checkpoint when enough has piled up. */
  committed(bytes: number, force = false): void {
    this.pending += bytes;
    if (this.busy || (this.pending < CHECKPOINT_BYTES && !force)) return;
    this.busy = true;
    this.pending = 0;
    this.worker.postMessage('checkpoint');
  }

  /** Resolves once no checkpoint is asked for or under way (for tests). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Stop the thread (its connection closes); the writer's close then checkpoints the rest. */
  async close(): Promise<void> {
    // Referenced again, or nothing would keep the process up to see it exit.
    this.worker.ref();
    this.worker.postMessage('close');
    await this.exited;
  }
}
