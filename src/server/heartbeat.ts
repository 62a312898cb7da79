/**
 * The server's side of the heartbeat (docs/protocol.md §4): ping after an
 * interval of silence, close when a ping stays unanswered for two more.
 * Silence is judged from the last ping sent, never from wall-clock time
 * across a stall of this process (a SIGSTOP, a VM pause, a long GC): a tick
 * that comes far too late means the server, not the client, was silent, so
 * it pings again instead of judging. Pure: the clock is injected; runHeartbeat
 * puts it on the clock's timer.
 */
import type { Clock, Timer } from '../core/clock.js';

export type Beat = 'none' | 'ping' | 'timeout';

export class Heartbeat {
  private lastInput: number;
  /**
   * When the next tick is due (nextDelay): an interval after the last input;
   * after a ping, an interval later (an answer then is followed by the next
   * ping an interval after it) and then when it would time out.
   */
  private dueAt: number;
  /** When the unanswered ping went out; undefined when input came since. */
  private pingSentAt: number | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastInput = now();
    this.dueAt = this.lastInput + intervalMs;
  }

  /** Any input from the client answers the heartbeat. */
  input(): void {
    this.lastInput = this.now();
    this.pingSentAt = undefined;
  }

  /** Called when a tick is due (nextDelay): what to do now. */
  tick(): Beat {
    const t = this.now();
    // More than an interval late means this process stood still, and
    // whatever the client sent meanwhile is still unread.
    const stalled = t - this.dueAt > this.intervalMs;
    let beat: Beat = 'none';
    if (this.pingSentAt !== undefined && !stalled) {
      if (t - this.pingSentAt >= 2 * this.intervalMs) beat = 'timeout';
    } else if (stalled || t - this.lastInput >= this.intervalMs) {
      this.pingSentAt = t;
      beat = 'ping';
    }
    this.dueAt =
      this.pingSentAt === undefined
        ? this.lastInput + this.intervalMs
        : beat === 'ping'
          ? t + this.intervalMs
          : this.pingSentAt + 2 * this.intervalMs;
    return beat;
  }

  /**
   * Milliseconds until the next tick is due. Input moves it later without a
   * timer of its own (a timer reset per line would cost every message): a
   * tick that finds input since just waits the rest.
   */
  nextDelay(): number {
    return Math.max(0, this.dueAt - this.now());
  }
}

/**
 * The heartbeat on the clock's timer, each tick when it is due, so a ping
 * goes out an interval after the last input, not up to two (a fixed
 * interval's phase; found by a conformance audit): `on.ping` and
 * `on.timeout` are called as the Heartbeat decides. `stop()` when the
 * connection goes.
 */
export function runHeartbeat(
  clock: Clock,
  intervalMs: number,
  on: { ping(): void; timeout(): void },
): { heartbeat: Heartbeat; stop(): void } {
  const heartbeat = new Heartbeat(intervalMs, () => clock.now());
  let timer: Timer | undefined;
  let stopped = false;
  const arm = (): void => {
    if (stopped) return;
    timer = clock.setTimeout(beat, heartbeat.nextDelay());
    timer.unref();
  };
  const beat = (): void => {
    switch (heartbeat.tick()) {
      case 'ping':
        on.ping();
        break;
      case 'timeout':
        on.timeout();
        return;
      case 'none':
        break;
    }
    arm();
  };
  arm();
  return {
    heartbeat,
    stop: () => {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}
