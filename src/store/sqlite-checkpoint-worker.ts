/**
 * The body of the checkpoint thread (sqlite-checkpointer.ts): its own
 * connection to the store's file, which copies committed WAL frames into
 * the database when asked, so that the fsyncs of a checkpoint block this
 * thread instead of the event loop that serves clients.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const port = parentPort;
if (!port) throw new Error('sqlite-checkpoint-worker runs as a worker thread');
const db = new Database((workerData as { path: string }).path, { fileMustExist: true });

port.on('message', (msg: 'checkpoint' | 'close') => {
  if (msg === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    // PASSIVE: copies what no reader still needs and never waits for the
    // writer, so it cannot delay a commit. A failure (a full disk) loses
    // nothing: the frames stay in the WAL and the next request retries.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Reported by the commits themselves if the disk really is failing.
  }
  port.postMessage('done');
});
