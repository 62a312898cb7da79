/**
 * The order of one connection's input (docs/protocol.md §4 "Order") under
 * flood control (§6): every post-login line passes through as a job, counted
 * or not, so one that flood control holds keeps its place and the lines
 * after it wait behind it. This owns the RateLimiter and its release timer.
 */
import type { Clock, Timer } from '../core/clock.js';
import type { ErrorEvent, Request } from '../protocol/messages.js';
import { RateLimiter, type Admission, type RateLimitOptions } from './rate-limit.js';

/** Whether held jobs may still run (the connection is open and logged in). */
export interface InputOwner {
  readonly acceptsInput: boolean;
}

/** What a held job answers: a request to carry out, or a refusal waiting its turn. */
export type Held = Request | ErrorEvent;

export class InputOrder {
  /**
   * Made at the first post-login line, not per connection: an idle
   * connection never needs one, and its size is what limits how many a
   * server holds. A bucket made later starts full, as one made at connect
   * would be by then (it refills up to `burst` and no further).
   */
  private bucket: RateLimiter<() => void> | undefined;
  private drainTimer: Timer | undefined;
  /**
   * What each held job answers, in the bucket's order: its request, or the
   * refusal it sends in its turn (undefined for neither). Kept beside the
   * jobs, not in them, so a job that runs at once costs no object. A
   * shutdown answers these (takeHeld).
   */
  private held: Array<Held | undefined> | undefined;

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly clock: Clock,
    /** An object, not a closure per connection. */
    private readonly owner: InputOwner,
  ) {}

  private get limiter(): RateLimiter<() => void> {
    return (this.bucket ??= new RateLimiter<() => void>(this.opts, () => this.clock.now()));
  }

  /**
   * Run `job` now, or after the held ones (it keeps its place, takes no
   * token). `held` is what it answers, for a shutdown that ends it unrun.
   */
  inTurn(job: () => void, held?: Held): void {
    // Without a bucket nothing was ever held: no need to make one.
    if (!this.bucket) {
      job();
      return;
    }
    const verdict = this.limiter.offerFree(job);
    if (verdict.kind === 'now') job();
    else {
      (this.held ??= []).push(held);
      this.scheduleDrain();
    }
  }

  /**
   * A counted job: run now or held (then run later, in order); a refusal or
   * flood verdict is returned for the caller to answer.
   */
  offer(job: () => void, req?: Request): Admission<() => void> {
    const verdict = this.limiter.offer(job);
    if (verdict.kind === 'now') verdict.item();
    else if (verdict.kind === 'queued') {
      (this.held ??= []).push(req);
      this.scheduleDrain();
    }
    return verdict;
  }

  /**
   * The connection is closing before its held jobs could run (a shutdown):
   * they never will. Returns their requests and refusals, in order, to be answered.
   */
  takeHeld(): Held[] {
    this.stop();
    this.bucket?.clear();
    const reqs = (this.held ?? []).filter((r): r is Held => r !== undefined);
    this.held = undefined;
    return reqs;
  }

  /** Take `n` tokens for work done without a request of its own (a hello.resume's rooms, §6). */
  charge(n: number): void {
    if (n <= 0) return; // nothing to take: no bucket to make
    this.limiter.charge(n);
  }

  /** The connection is gone: held jobs never run. */
  stop(): void {
    this.clock.clearTimeout(this.drainTimer);
  }

  private scheduleDrain(): void {
    if (this.drainTimer) return;
    const wait = this.limiter.nextReleaseInMs();
    if (wait === undefined) return;
    this.drainTimer = this.clock.setTimeout(() => {
      this.drainTimer = undefined;
      if (!this.owner.acceptsInput) return;
      for (const job of this.limiter.release()) {
        if (!this.owner.acceptsInput) return;
        this.held?.shift();
        job();
      }
      this.scheduleDrain();
    }, wait);
  }
}

/**
 * Requests flood control never counts nor refuses: heartbeats, `quit`, file
 * chunks and their acks (a transfer's window paces those, §5). They still
 * wait behind held lines (§4 "Order": lines before a `/quit` run first).
 */
export function uncounted(req: Request): boolean {
  return (
    req.type === 'ping' ||
    req.type === 'pong' ||
    req.type === 'quit' ||
    req.type === 'file-chunk' ||
    req.type === 'file-ack'
  );
}

/** The first words of a dropped request, so its sender knows which one (§6). */
export function quote(req: Request): string {
  return quoteText(req.type === 'say' || req.type === 'dm' ? req.text : `/${req.type}`);
}

/** The first words of `text`, quoted (quote). */
export function quoteText(text: string): string {
  const words = text.trim().split(/\s+/u);
  let out = words.slice(0, 6).join(' ');
  if (out.length > 40) out = out.slice(0, 40);
  return `"${out}${out.length < text.trim().length ? '…' : ''}"`;
}
