/**
 * Per-turn write batching: everything sent to a socket during one turn of the
 * event loop is gathered in its Outbox and written once, in one nextTick, as
 * one Buffer. A broadcast to N sockets thus costs N writes per turn, not one
 * write (and one stream request object) per event per socket.
 */
import type { Socket } from 'node:net';

/** Outboxes with something to write this turn. */
let dirty: Outbox[] = [];

function flushDirty(): void {
  const boxes = dirty;
  dirty = [];
  for (const box of boxes) box.flush();
}

export class Outbox {
  private chunks: Buffer[] | undefined;
  private bytes = 0;

  constructor(private readonly socket: Socket) {}

  /** Queue `bytes`, to be written with the turn's other output to this socket. */
  push(bytes: Buffer): void {
    if (this.chunks) {
      this.chunks.push(bytes);
    } else {
      this.chunks = [bytes];
      if (dirty.length === 0) process.nextTick(flushDirty);
      dirty.push(this);
    }
    this.bytes += bytes.length;
  }

  /**
   * Output the kernel has refused so far. This turn's batch is not counted,
   * so a reader that keeps up is never judged by one turn's burst.
   */
  get backlog(): number {
    return this.socket.writableLength;
  }

  /** Write what is queued now (also before end(), so nothing is lost). */
  flush(): void {
    const chunks = this.chunks;
    if (!chunks) return;
    this.chunks = undefined;
    const bytes = this.bytes;
    this.bytes = 0;
    if (this.socket.destroyed) return;
    this.socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes));
  }

  /** Drop what is queued (the socket is being destroyed). */
  discard(): void {
    this.chunks = undefined;
    this.bytes = 0;
  }
}
