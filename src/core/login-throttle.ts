/**
 * Failed logins per address (docs/protocol.md §2): after a few failures each
 * attempt is slowed down, and after many the address is refused for a while.
 * Pure bookkeeping with an injected clock.
 */
import { ChatError } from '../protocol/errors.js';

export interface ThrottleOptions {
  /** Failures allowed before attempts are delayed. */
  freeFailures: number;
  /** Failures within the window after which the address is locked out. */
  lockoutFailures: number;
  windowMs: number;
  lockoutMs: number;
  /** Delay of the first slowed attempt; doubles per failure, capped at 8 s. */
  baseDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 3,
  lockoutFailures: 10,
  windowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  baseDelayMs: 500,
};

const MAX_DELAY_MS = 8000;
/** Above this many addresses on record, records past the window are dropped. */
const SWEEP_AT = 10_000;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly lockedUntil = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly opts: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Throw while the address is locked out, or while it already has as many
   * checks under way as would lock it out: guesses sent in parallel count
   * before their answers are known.
   */
  assertAllowed(address: string): void {
    if (
      this.recent(address).length + (this.inFlight.get(address) ?? 0) >=
      this.opts.lockoutFailures
    ) {
      throw new ChatError(
        'rate_limited',
        'Too many login attempts from your address at once; try again later',
        1000,
      );
    }
    const until = this.lockedUntil.get(address);
    if (until === undefined) return;
    const left = until - this.now();
    if (left <= 0) {
      this.lockedUntil.delete(address);
      return;
    }
    throw new ChatError(
      'rate_limited',
      `Too many failed logins from your address; try again in ${Math.ceil(left / 60_000)} min`,
      left,
    );
  }

  /**
   * Start a password check: returns how long to hold back its answer, counting
   * the failures so far and the checks already under way. Pair with end().
   */
  begin(address: string): number {
    const inFlight = this.inFlight.get(address) ?? 0;
    this.inFlight.set(address, inFlight + 1);
    const n = this.recent(address).length + inFlight - this.opts.freeFailures;
    return n < 0 ? 0 : Math.min(MAX_DELAY_MS, this.opts.baseDelayMs * 2 ** n);
  }

  /** A password check started with begin() has its answer. */
  end(address: string): void {
    const n = (this.inFlight.get(address) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(address);
    else this.inFlight.set(address, n);
  }

  /** How long the next check from this address would be held back. */
  delayMs(address: string): number {
    const n =
      this.recent(address).length + (this.inFlight.get(address) ?? 0) - this.opts.freeFailures;
    return n < 0 ? 0 : Math.min(MAX_DELAY_MS, this.opts.baseDelayMs * 2 ** n);
  }

  /** Record a failed password. */
  fail(address: string): void {
    const list = this.recent(address);
    list.push(this.now());
    this.failures.set(address, list);
    if (this.failures.size > SWEEP_AT) this.sweep();
    if (list.length >= this.opts.lockoutFailures) {
      this.lockedUntil.set(address, this.now() + this.opts.lockoutMs);
      this.failures.delete(address);
    }
  }

  /** A correct password clears the address's record. */
  succeed(address: string): void {
    this.failures.delete(address);
  }

  private recent(address: string): number[] {
    const cutoff = this.now() - this.opts.windowMs;
    return (this.failures.get(address) ?? []).filter((t) => t > cutoff);
  }

  private sweep(): void {
    for (const address of this.failures.keys()) {
      if (this.recent(address).length === 0) this.failures.delete(address);
    }
  }
}
