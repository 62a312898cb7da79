/**
 * Per-turn write batching: the first write to a socket in a turn corks it, and
 * one nextTick uncorks every socket written in that turn, so a burst of events
 * leaves each socket as one writev rather than one syscall per event.
 */
import type { Socket } from 'node:net';

/** Bytes written to each corked socket this turn, not yet offered to the kernel. */
const corked = new Map<Socket, number>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  for (const s of corked.keys()) s.uncork();
  corked.clear();
}

/** Write `bytes` to `socket`, batched with the turn's other writes to it. */
export function writeBatched(socket: Socket, bytes: Buffer): void {
  const pending = corked.get(socket);
  if (pending === undefined) {
    socket.cork();
    if (!scheduled) {
      scheduled = true;
      process.nextTick(flushAll);
    }
  }
  corked.set(socket, (pending ?? 0) + bytes.length);
  socket.write(bytes);
}

/**
 * Output the kernel has refused so far: the socket's queue less what this
 * turn's batch has not yet offered. A reader that keeps up has none, however
 * large one turn's burst.
 */
export function backlog(socket: Socket): number {
  return socket.writableLength - (corked.get(socket) ?? 0);
}

/** Forget a socket that is going away (its pending output is flushed by end()). */
export function forget(socket: Socket): void {
  if (corked.delete(socket)) socket.uncork();
}
