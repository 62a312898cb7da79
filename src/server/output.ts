/**
 * Per-turn write batching: the first write to a socket in a turn corks it, and
 * one nextTick uncorks every socket written in that turn, so a burst of events
 * leaves each socket as one writev rather than one syscall per event.
 */
import type { Socket } from 'node:net';

const corked = new Set<Socket>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  for (const s of corked) s.uncork();
  corked.clear();
}

/** Write `bytes` to `socket`, batched with the turn's other writes to it. */
export function writeBatched(socket: Socket, bytes: Buffer): void {
  if (!corked.has(socket)) {
    socket.cork();
    corked.add(socket);
    if (!scheduled) {
      scheduled = true;
      process.nextTick(flushAll);
    }
  }
  socket.write(bytes);
}

/** Forget a socket that is going away (its pending output is flushed by end()). */
export function forget(socket: Socket): void {
  if (corked.delete(socket)) socket.uncork();
}
