/**
 * Per-turn write batching: everything sent to a socket during one turn of the
 * event loop is gathered here and written once, in one nextTick, as one
 * Buffer. A broadcast to N sockets thus costs N writes per turn, not one write
 * (and one stream request object) per event per socket.
 */
import type { Socket } from 'node:net';

interface Batch {
  chunks: Buffer[];
  bytes: number;
}

const batches = new Map<Socket, Batch>();
let scheduled = false;

function writeOut(socket: Socket, batch: Batch): void {
  if (socket.destroyed) return;
  socket.write(
    batch.chunks.length === 1 ? batch.chunks[0]! : Buffer.concat(batch.chunks, batch.bytes),
  );
}

function flushAll(): void {
  scheduled = false;
  for (const [socket, batch] of batches) writeOut(socket, batch);
  batches.clear();
}

/** Queue `bytes` for `socket`, to be written with the turn's other output to it. */
export function writeBatched(socket: Socket, bytes: Buffer): void {
  const batch = batches.get(socket);
  if (batch) {
    batch.chunks.push(bytes);
    batch.bytes += bytes.length;
    return;
  }
  batches.set(socket, { chunks: [bytes], bytes: bytes.length });
  if (!scheduled) {
    scheduled = true;
    process.nextTick(flushAll);
  }
}

/**
 * Output the kernel has refused so far. This turn's batch is not counted, so
 * a reader that keeps up is never judged by one turn's burst.
 */
export function backlog(socket: Socket): number {
  return socket.writableLength;
}

/** Write out a socket's batch now (before end()), and stop tracking it. */
export function forget(socket: Socket): void {
  const batch = batches.get(socket);
  if (!batch) return;
  batches.delete(socket);
  writeOut(socket, batch);
}

/** Drop a socket's batch unwritten (it is being destroyed). */
export function discard(socket: Socket): void {
  batches.delete(socket);
}
