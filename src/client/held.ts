/**
 * Says and dms the server could not store right now (§4 `internal`, detail
 * `unavailable`: nothing was stored), kept and sent again with their ids,
 * and the requests made meanwhile, which wait for them: a line typed after
 * a held one is not stored before it. A line is held for HELD_GIVE_UP_MS at
 * most, then refused as the server said, so a script ends instead of
 * waiting for ever on a store that stays down.
 */

/** When a held say goes again, unless the server says (`retryAfterMs`). */
export const HELD_RETRY_MS = 2000;
/** How long one line is kept trying. */
export const HELD_GIVE_UP_MS = 30_000;

export class HeldRequests {
  /** Requests being retried, by id: when first held. */
  private readonly since = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Requests made while one was held, by id: not written yet. */
  private readonly waiting = new Set<string>();

  /** Whether a new request must wait (not be written) until the held ones are answered. */
  get blocking(): boolean {
    return this.since.size > 0;
  }

  /**
   * Keep `id` (refused as unavailable) and write it again after the delay
   * the server asked for; false once it has been kept HELD_GIVE_UP_MS: the
   * caller refuses it then. `send` is called when the delay is over.
   */
  hold(id: string, afterMs: number | undefined, send: () => void): number | undefined {
    const now = Date.now();
    const since = this.since.get(id) ?? now;
    if (now - since >= HELD_GIVE_UP_MS) return undefined;
    this.since.set(id, since);
    const delayMs = Math.min(Math.max(afterMs ?? HELD_RETRY_MS, 500), 10_000);
    clearTimeout(this.timers.get(id));
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        send();
      }, delayMs),
    );
    return delayMs;
  }

  /** A request made while others are held: written once they are answered. */
  defer(id: string): void {
    this.waiting.add(id);
  }

  /**
   * Request `id` was answered (or refused for good). When nothing is held
   * any more, the ids of the requests that waited, to write now.
   */
  answered(id: string): ReadonlySet<string> | undefined {
    this.since.delete(id);
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    if (this.since.size > 0 || this.waiting.size === 0) return undefined;
    const ready = new Set(this.waiting);
    this.waiting.clear();
    return ready;
  }

  /**
   * The connection ended: no timer outlives it. After a reconnect every
   * unanswered request is written again in order, the waiting ones too.
   */
  dropped(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
  }

  /** Closed for good: every unanswered request has been refused. */
  clear(): void {
    this.dropped();
    this.since.clear();
  }
}
