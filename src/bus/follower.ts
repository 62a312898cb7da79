/**
 * Exactly-once, in-order delivery of one stream on top of an at-most-once
 * doorbell (docs/architecture.md).
 *
 * A consumer keeps the last seq it delivered. For each announced message:
 * seq <= last is dropped (already delivered), seq === last + 1 is delivered,
 * and seq > last + 1 means announcements were missed, so the gap is read from
 * the Store (which is the truth) before anything else is delivered. After the
 * Bus reconnects (onResync) the consumer reads everything after its last seq
 * the same way. If the Store answers with another epoch, its history was
 * reset: `onReset` is told and delivery restarts from the new history.
 */
import type { ReadResult, StoredMessage, StreamKey } from '../store/store.js';

export interface FollowerOptions {
  stream: StreamKey;
  /** The Store's read (bound); gaps and resyncs are read through it. */
  read: (stream: StreamKey, afterSeq: number, limit: number) => Promise<ReadResult>;
  /** Receives messages exactly once, in seq order. */
  deliver: (messages: StoredMessage[]) => void;
  /** The position already delivered (e.g. what a resume read returned). */
  last: number;
  /**
   * The stream's epoch as of `last`; undefined when the stream is known to
   * be new (nothing in it to compare with): the first read's epoch is its.
   */
  epoch: string | undefined;
  /** The history was reset (Redis lost its data) or trimmed past `last`. */
  onReset?: (
    info: { epoch: string; top: number; firstRetained: number },
    stream: StreamKey,
  ) => void;
  /** Messages read per Store page while repairing. Default 500. */
  pageSize?: number;
}

export class StreamFollower {
  private last: number;
  private epoch: string | undefined;
  /**
   * Work runs one at a time, in arrival order, so repairs never interleave
   * with delivery. Made at the first repair: most followers never need one.
   */
  private queue: Promise<void> | undefined;
  private readonly pageSize: number;
  /** Work queued and not finished: while any is, new messages queue behind it (order). */
  private pending = 0;

  constructor(private readonly options: FollowerOptions) {
    this.last = options.last;
    this.epoch = options.epoch;
    this.pageSize = options.pageSize ?? 500;
  }

  /** The last seq delivered. */
  get position(): { epoch: string | undefined; last: number } {
    return { epoch: this.epoch, last: this.last };
  }

  /** The Bus listener: announced messages of this stream, in the order they arrived. */
  readonly onMessages = (messages: StoredMessage[]): void => {
    // The common case, nothing queued and the burst follows on: deliver it now
    // and as one unit (a burst is fanned out with one write per reader).
    if (this.pending === 0) {
      const fresh = messages.filter((m) => m.seq > this.last);
      if (fresh.length === 0) return;
      if (fresh.every((m, i) => m.seq === this.last + 1 + i)) {
        this.last = fresh[fresh.length - 1]!.seq;
        this.options.deliver(fresh);
        return;
      }
    }
    void this.enqueue(async () => {
      for (const m of messages) {
        if (m.seq <= this.last) continue;
        if (m.seq === this.last + 1) {
          this.last = m.seq;
          this.options.deliver([m]);
        } else {
          await this.catchUp(m.seq);
        }
      }
    });
  };

  /** Re-read everything after the last delivered seq (after a Bus reconnect). */
  resync(): Promise<void> {
    return this.enqueue(() => this.catchUp(Infinity));
  }

  /** Read from the Store until `upTo` (inclusive) or its top has been delivered. */
  private async catchUp(upTo: number): Promise<void> {
    for (;;) {
      const r = await this.options.read(this.options.stream, this.last, this.pageSize);
      this.epoch ??= r.epoch;
      if (r.epoch !== this.epoch || r.top < this.last || r.firstRetained > this.last + 1) {
        // Another history, or ours trimmed past what we delivered: report it
        // and carry on from what the Store has now.
        const reset = r.epoch !== this.epoch || r.top < this.last;
        this.epoch = r.epoch;
        this.options.onReset?.(
          { epoch: r.epoch, top: r.top, firstRetained: r.firstRetained },
          this.options.stream,
        );
        if (reset) {
          this.last = Math.max(0, r.firstRetained - 1);
          continue;
        }
      }
      const fresh = r.messages.filter((m) => m.seq > this.last);
      if (fresh.length > 0) {
        this.last = fresh[fresh.length - 1]!.seq;
        this.options.deliver(fresh);
      }
      if (fresh.length === 0 || this.last >= Math.min(upTo, r.top)) return;
    }
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.pending++;
    const next = (this.queue ?? Promise.resolve()).then(work).finally(() => this.pending--);
    // A failed read (Store down) must not wedge later work; the next gap or resync retries.
    this.queue = next.catch(() => undefined);
    return next;
  }
}
