/**
 * Time for tests of the server's timers. `mockTime` turns on node:test's
 * `mock.timers` (setTimeout, setInterval and Date, starting at the real
 * time); the server's clock (systemClock underneath) then only moves when the
 * test ticks it. A WatchedClock also tells the test when the server has set a
 * timer, so a tick never comes before the timer it is meant to fire.
 */
import type { TestContext } from 'node:test';
import { systemClock, type Clock, type Timer } from '../../src/core/clock.js';

/**
 * Mock the timers for the rest of the test. Call it after the server has
 * started (its setup may wait on real timers) and before the connections
 * whose timers the test drives. They are restored when the test ends.
 */
export function mockTime(t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: Date.now() });
}

/** Advance mocked time by `ms`, running every timer that falls due. */
export function tick(t: TestContext, ms: number): void {
  t.mock.timers.tick(ms);
}

export class WatchedClock implements Clock {
  /** The delay of every timer set so far, in order. */
  readonly set: number[] = [];
  private waiters: Array<() => void> = [];

  now(): number {
    return systemClock.now();
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.record(ms, systemClock.setTimeout(fn, ms));
  }

  clearTimeout(timer: Timer | undefined): void {
    systemClock.clearTimeout(timer);
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.record(ms, systemClock.setInterval(fn, ms));
  }

  clearInterval(timer: Timer | undefined): void {
    systemClock.clearInterval(timer);
  }

  /**
   * Resolves once a timer of `ms` has been set at index `from` or later
   * (`set.length` taken before the action that should set it).
   */
  async timerSet(ms: number, from: number): Promise<void> {
    while (!this.set.slice(from).includes(ms)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private record(ms: number, timer: Timer): Timer {
    this.set.push(ms);
    for (const wake of this.waiters.splice(0)) wake();
    return timer;
  }
}
