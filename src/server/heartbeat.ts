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
  private lastTick: number;
  /** When the unanswered ping went out; undefined when input came since. */
  private pingSentAt: number | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastInput = now();
    this.lastTick = this.lastInput;
  }

  /** Any input from the client answers the heartbeat. */
  input(): void {
    this.lastInput = this.now();
    this.pingSentAt = undefined;
  }

  /** Called every interval: what to do now. */
  tick(): Beat {
    const t = this.now();
    // Ticks are an interval apart; one more than two late means this process
    // stood still, and whatever the client sent meanwhile is still unread.
    const stalled = t - this.lastTick > 2 * this.intervalMs;
    this.lastTick = t;
    if (this.pingSentAt !== undefined && !stalled) {
      return t - this.pingSentAt >= 2 * this.intervalMs ? 'timeout' : 'none';
    }
    if (stalled || t - this.lastInput >= this.intervalMs) {
      this.pingSentAt = t;
      return 'ping';
    }
    return 'none';
  }
}

/**
 * The heartbeat on a timer of `intervalMs`: `on.ping` and `on.timeout` are
 * called as the Heartbeat decides. Clear the returned timer when the
 * connection goes.
 */
export function runHeartbeat(
  clock: Clock,
  intervalMs: number,
  on: { ping(): void; timeout(): void },
): { heartbeat: Heartbeat; timer: Timer } {
  const heartbeat = new Heartbeat(intervalMs, () => clock.now());
  const timer = clock.setInterval(() => {
    switch (heartbeat.tick()) {
      case 'ping':
        on.ping();
        break;
      case 'timeout':
        on.timeout();
        break;
      case 'none':
        break;
    }
  }, intervalMs);
  timer.unref();
  return { heartbeat, timer };
}
