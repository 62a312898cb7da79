/**
 * How long a login may wait on the store (docs/protocol.md §9 "Takeover and
 * failover": the server never holds a login open long enough for a client
 * to give up on it and be admitted behind its back).
 *
 * A login's store calls normally answer in milliseconds. When Redis is
 * frozen (SIGSTOP, a partition that drops packets), a call neither answers
 * nor fails; a hello then waited until Redis came back, long after the
 * client had given up and dialled another server, and was admitted then:
 * as an account, taking over the session that client had opened since.
 * So a login stops waiting at the deadline with `unavailable`, and its
 * steps check `expired` before anything that acts on its behalf (claiming
 * the alias, taking it over), so the abandoned login never completes.
 */
import { unavailable } from './cluster-signal.js';
import type { Clock, Timer } from './clock.js';

/** A login's time to wait on the store in all; a client gives up after 10 s (chat-client). */
export const LOGIN_STORE_MS = 5000;

export class LoginDeadline {
  private until: number;
  private passed = false;

  constructor(
    private readonly clock: Clock,
    ms = LOGIN_STORE_MS,
  ) {
    this.until = clock.now() + ms;
  }

  /** Whether the login was answered `unavailable` for taking too long: it must not act now. */
  get expired(): boolean {
    return this.passed;
  }

  /** Time the login spent on other things (checking a password) is not the store's. */
  extend(ms: number): void {
    this.until += ms;
  }

  /**
   * `step`, or `unavailable` once the deadline passes first; `undo` gets
   * what the step yields after that (a lease it claimed, to release).
   */
  wait<T>(step: Promise<T>, undo?: (late: T) => void): Promise<T> {
    if (this.passed) return Promise.reject(unavailable());
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: Timer | undefined;
      // Re-armed when the deadline moved meanwhile (extend() while it waits).
      const arm = (): void => {
        timer = this.clock.setTimeout(
          () => {
            if (this.until > this.clock.now()) return arm();
            settled = this.passed = true;
            reject(unavailable());
          },
          Math.max(0, this.until - this.clock.now()),
        );
      };
      arm();
      step.then(
        (value) => {
          if (settled) return undo?.(value);
          settled = true;
          this.clock.clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          this.clock.clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}
