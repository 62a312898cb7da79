/**
 * Memory back to the system once a busy server goes quiet
 * (docs/operations.md "Memory"). A burst of joins or messages grows V8's
 * heap, its young generation most of all, and V8 only gives that back at a
 * later collection; an idle server allocates next to nothing, so that
 * collection may not come for hours. At 18,000 idle connections that was
 * 35 MB, 2 KB a connection, in most runs of the bench (docs/performance.md,
 * thirteenth pass). So: after `quietMs` with no input, when V8 holds more
 * heap than it uses, one full collection.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock, Timer } from '../core/clock.js';

/** How long after a collection its effect on RSS is read. */
const RSS_SETTLE_MS = 2000;

/** Heap V8 holds beyond what it uses that makes a collection worth its pause. */
const SLACK_BYTES = 8 * 1024 * 1024;

export interface Reclaimed {
  /** How long the collection took. */
  ms: number;
  /** Heap V8 held beyond what it used, before. */
  slackBytes: number;
  rssBefore: number;
  rssAfter: number;
}

export interface IdleReclaimOptions {
  clock: Clock;
  /** No input for this long counts as quiet. */
  quietMs: number;
  /** A count that grows with activity (bytes read from clients). */
  activity: () => number;
  /** After each collection, once its pages went back (for the log). */
  onReclaim?: (r: Reclaimed) => void;
  /** The collection; V8's full one by default. */
  collect?: () => void;
  /** Heap held beyond what is used, in bytes; V8's by default. */
  slack?: () => number;
}

/**
 * V8's full collection. Node has no API for it: the `gc` function V8 puts
 * in contexts made after `--expose-gc` is set is the documented way
 * (v8.setFlagsFromString), and the flag changes nothing else.
 */
function fullCollection(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapSlack(): number {
  const h = v8.getHeapStatistics();
  return h.total_heap_size - h.used_heap_size;
}

export class IdleReclaim {
  private readonly timer: Timer;
  private seen: number;
  /** Input came since the last collection (or the start). */
  private busy = false;
  private collect: (() => void) | undefined;

  constructor(private readonly opts: IdleReclaimOptions) {
    this.seen = opts.activity();
    this.collect = opts.collect;
    // One check per quiet period, not a timer per input: the collection
    // comes between one and two quiet periods after the last input.
    this.timer = opts.clock.setInterval(() => this.check(), opts.quietMs);
    this.timer.unref();
  }

  private check(): void {
    const now = this.opts.activity();
    if (now !== this.seen) {
      this.seen = now;
      this.busy = true;
      return;
    }
    if (!this.busy) return;
    this.busy = false;
    const slackBytes = (this.opts.slack ?? heapSlack)();
    if (slackBytes < SLACK_BYTES) return;
    const rssBefore = process.memoryUsage.rss();
    const started = performance.now();
    (this.collect ??= fullCollection())();
    const ms = performance.now() - started;
    const onReclaim = this.opts.onReclaim;
    if (!onReclaim) return;
    // V8 hands the freed pages back to the system from its own threads
    // after the collection: RSS read at once would show none of it.
    this.opts.clock
      .setTimeout(
        () => onReclaim({ ms, slackBytes, rssBefore, rssAfter: process.memoryUsage.rss() }),
        RSS_SETTLE_MS,
      )
      .unref();
  }

  stop(): void {
    this.opts.clock.clearInterval(this.timer);
  }
}
