/**
 * When and where the next connection attempt goes (docs/protocol.md §8): the
 * listed servers in turn, and the delay before each reconnect, exponential
 * with jitter (`backoffDelay`, pure) unless the server said when to come back.
 */
import type { Endpoint } from './dial.js';

/**
 * How long to wait before reconnect attempt `attempt` (1, 2, …): exponential
 * from `baseMs`, capped at `maxMs`, with "equal jitter" (at least half the
 * ceiling) so that many clients dropped together spread out instead of
 * returning in one wave. `random` is injectable for tests.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** The servers to try and the attempts since the last session opened; no timers of its own. */
export class Redial {
  /** Indexes the server dialled last. */
  private current = 0;
  private attempt = 0;

  constructor(
    /** Every server to try, in order; never empty. */
    private readonly endpoints: readonly Endpoint[],
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  /** How many servers are listed. */
  get size(): number {
    return this.endpoints.length;
  }

  /** The server in use, or being dialled. */
  get endpoint(): Endpoint {
    // `current` always indexes the non-empty list.
    return this.endpoints[this.current] as Endpoint;
  }

  /** Move on to the next server listed (after the last, the first). */
  skip(): void {
    this.current = (this.current + 1) % this.endpoints.length;
  }

  /** A session opened: the next drop starts the backoff over. */
  opened(): void {
    this.attempt = 0;
  }

  /**
   * Plan the attempt after a drop or a failed attempt. `retryAfterMs`: the
   * server refused with a time to come back (its alias is held by a server
   * that stopped, §9): the same server then, rather than a dead one or a
   * later backoff. `asked`: the attempt that failed was the user's own.
   */
  next(retryAfterMs?: number, asked = false): { attempt: number; delayMs: number } {
    // An attempt the user asked for (Enter while waiting) failing is no
    // reason to wait longer than before it: the backoff stays where it was.
    if (!asked || this.attempt === 0) this.attempt += 1;
    // Round robin: a server that died is likely still down; another may be up (§8).
    if (retryAfterMs === undefined) this.skip();
    const delayMs = retryAfterMs ?? backoffDelay(this.attempt, this.baseMs, this.maxMs);
    return { attempt: this.attempt, delayMs };
  }
}
