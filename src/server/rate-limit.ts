/**
 * Flood control that forgives pasting (docs/protocol.md §6): a token bucket whose
 * excess is first delayed in a short queue, then refused with a retry hint,
 * and whose sustained abuse ends the connection. Pure: time comes from `now`
 * and the caller owns the timer, so tests can drive it with fake clocks.
 */
export interface RateLimitOptions {
  burst: number;
  perSecond: number;
  /** Requests held back (delayed, not dropped) when the bucket is empty. */
  queue: number;
  /** Refusals within `floodWindowMs` that end the connection. */
  floodRefusals: number;
  floodWindowMs: number;
}

export type Admission<T> =
  | { kind: 'now'; item: T }
  /** Held behind earlier items (a free item waits its turn but takes no token). */
  | { kind: 'queued' }
  | { kind: 'refused'; retryAfterMs: number }
  | { kind: 'flood' };

export class RateLimiter<T> {
  private tokens: number;
  private last: number;
  /** Held items in arrival order; `free` ones take no token (they only keep their place). */
  private readonly waiting: Array<{ item: T; free: boolean }> = [];
  /** How many held items take a token: the queue limit counts these only. */
  private counted = 0;
  private refusals: number[] = [];

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = opts.burst;
    this.last = now();
  }

  /** Offer a request: run it now, hold it in the queue, or refuse it. */
  offer(item: T): Admission<T> {
    this.refill();
    if (this.waiting.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return { kind: 'now', item };
    }
    // Held items a token is already waiting for are as good as gone: they
    // leave at the next drain, which the caller's timer may not have run yet.
    // Counting them would refuse a request sent after `retryAfterMs`, the very
    // wait the refusal asked for (§6).
    if (this.counted - this.wholeTokens() < this.opts.queue) {
      this.waiting.push({ item, free: false });
      this.counted++;
      return { kind: 'queued' };
    }
    const t = this.now();
    this.refusals = this.refusals.filter((r) => t - r < this.opts.floodWindowMs);
    this.refusals.push(t);
    if (this.refusals.length >= this.opts.floodRefusals) return { kind: 'flood' };
    return { kind: 'refused', retryAfterMs: this.msUntilFree() };
  }

  /**
   * Offer an item flood control never refuses and never counts (a heartbeat,
   * `/quit`, an answer that must keep its place): it runs now when nothing
   * is held, else it waits behind what is held, in order.
   */
  offerFree(item: T): Admission<T> {
    if (this.waiting.length === 0) return { kind: 'now', item };
    this.waiting.push({ item, free: true });
    return { kind: 'queued' };
  }

  /**
   * Take `n` tokens for work that was done without a request of its own
   * (the rooms a `hello.resume` joins, §6): the bucket may go below zero, and
   * the requests that follow wait (or are refused) until it has refilled.
   */
  charge(n: number): void {
    if (n <= 0) return;
    this.refill();
    this.tokens -= n;
  }

  /** Items from the queue that may run now, in order. */
  release(): T[] {
    this.refill();
    const out: T[] = [];
    while (this.waiting.length > 0) {
      const head = this.waiting[0]!;
      if (!head.free) {
        if (this.tokens < 1) break;
        this.tokens -= 1;
        this.counted--;
      }
      this.waiting.shift();
      out.push(head.item);
    }
    return out;
  }

  /** Forget every held item (the connection is closing: they will never run). */
  clear(): void {
    this.waiting.length = 0;
    this.counted = 0;
  }

  /** Milliseconds until the next queued item may run (undefined when none waits). */
  nextReleaseInMs(): number | undefined {
    const head = this.waiting[0];
    if (head === undefined) return undefined;
    if (head.free) return 0;
    this.refill();
    return Math.max(0, Math.ceil(((1 - this.tokens) * 1000) / this.opts.perSecond));
  }

  /** Held items that take a token. */
  get queued(): number {
    return this.counted;
  }

  /** Held items of any kind. */
  get held(): number {
    return this.waiting.length;
  }

  /**
   * Time until a refused request, sent again, would be accepted (held in the
   * queue, or run): the queue is full, and a place frees when the next token
   * comes back for its head. Whole milliseconds, rounded up, so a client that
   * waits exactly this long is never refused for having come a little early.
   */
  private msUntilFree(): number {
    const fraction = this.tokens - this.wholeTokens();
    return Math.max(1, Math.ceil(((1 - fraction) * 1000) / this.opts.perSecond));
  }

  /** Tokens as whole ones; a hair of float error must not cost a token. */
  private wholeTokens(): number {
    return Math.floor(this.tokens + 1e-9);
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(
      this.opts.burst,
      this.tokens + ((t - this.last) / 1000) * this.opts.perSecond,
    );
    this.last = t;
  }
}
