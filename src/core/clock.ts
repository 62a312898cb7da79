/**
 * Time, injected: the chat and each session read the time and set their
 * timers (heartbeat, handshake timeout, flood control, login hold-back,
 * connection admission) through a Clock, so tests can drive them with
 * node:test's `mock.timers` or a clock of their own instead of waiting.
 */

/** A timer a Clock set; `unref` lets the process exit while it is pending. */
export interface Timer {
  unref(): unknown;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
  setInterval(fn: () => void, ms: number): Timer;
  clearInterval(timer: Timer | undefined): void;
}

/**
 * The process's own clock. Each call looks the global up when it runs (not
 * when this module loads), so `mock.timers` enabled later still drives it.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
};
