/**
 * Per-turn write batching: everything sent to a socket during one turn of the
 * event loop is gathered in its Outbox and written once, in one nextTick. A
 * broadcast to N sockets thus costs N writes per turn, not one write (and
 * one stream request object) per event per socket. Small output is copied
 * into one Buffer; large output goes out as the pieces it came in (one
 * writev), so a burst shared by a room is never copied per member.
 */
import type { Socket } from 'node:net';
import type { Bytes } from '../protocol/batch-bytes.js';

/**
 * Output up to this size is copied into one Buffer: cheaper than a stream
 * entry per piece. Above it the pieces are written as they are.
 */
const COPY_BELOW = 16 * 1024;

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

  /** Queue `bytes`, to be written with the turn's other output to this socket; returns their size. */
  push(bytes: Bytes): number {
    let chunks = this.chunks;
    if (!chunks) {
      chunks = this.chunks = [];
      if (dirty.length === 0) process.nextTick(flushDirty);
      dirty.push(this);
    }
    if (Buffer.isBuffer(bytes)) {
      chunks.push(bytes);
      this.bytes += bytes.length;
      return bytes.length;
    }
    let size = 0;
    for (const piece of bytes) {
      chunks.push(piece);
      size += piece.length;
    }
    this.bytes += size;
    return size;
  }

  /**
   * Output the kernel has refused so far. This turn's batch is not counted,
   * so a reader that keeps up is never judged by one turn's burst.
   */
  get backlog(): number {
    return this.socket.writableLength;
  }

  /** This turn's output, not handed to the socket yet. */
  get pending(): number {
    return this.bytes;
  }

  /** Write what is queued now (also before end(), so nothing is lost). */
  flush(): void {
    const chunks = this.chunks;
    if (!chunks) return;
    this.chunks = undefined;
    const bytes = this.bytes;
    this.bytes = 0;
    if (this.socket.destroyed) return;
    if (chunks.length === 1) this.socket.write(chunks[0]!);
    else if (bytes < COPY_BELOW) this.socket.write(Buffer.concat(chunks, bytes));
    else {
      // Corked, the stream hands every piece to the kernel in one writev.
      this.socket.cork();
      for (const chunk of chunks) this.socket.write(chunk);
      this.socket.uncork();
    }
  }

  /** Drop what is queued (the socket is being destroyed). */
  discard(): void {
    this.chunks = undefined;
    this.bytes = 0;
  }
}
