/**
 * Pacing of the user's requests. Lines are pipelined (sent without waiting for
 * the previous ack) but at most `window` are unanswered at once, so a pasted
 * block or a piped file stays inside the server's rate-limit queue (§6) instead
 * of being refused; a `rate_limited` refusal is retried after the server's
 * `retryAfterMs`. Requests that change where later lines go (join, part, nick)
 * are waited for before the next line is sent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, ServerEvent } from '../protocol/messages.js';
import { RequestError, type ReplyFor } from './connection.js';

/** Anything that answers requests: a Connection, or a fake in tests. */
export interface Requester {
  request<T extends Request>(request: T): Promise<ReplyFor<T['type']>>;
}

/** How a request ended: its reply, or the refusal. */
export type Outcome = { ok: true; reply: ServerEvent } | { ok: false; error: RequestError };

const BARRIERS = new Set<Request['type']>(['join', 'part', 'nick']);

/** Whether the next line's meaning may depend on this request's outcome (its room, our alias). */
export function isBarrier(request: Request): boolean {
  return BARRIERS.has(request.type);
}

/** Default number of unanswered requests: below the server's default burst of 10 (§6). */
const DEFAULT_WINDOW = 8;

/** See the module comment. */
export class Sender {
  private inFlight = 0;
  private readonly outcomes = new Set<Promise<Outcome>>();
  private wake?: () => void;

  constructor(
    private readonly conn: Requester,
    private readonly window = DEFAULT_WINDOW,
    private readonly maxRetries = 5,
  ) {}

  /**
   * Send `request` as soon as the window allows. Resolves when the next
   * request may be submitted, with the promise of this one's outcome. Callers
   * submit one at a time (awaiting each), which keeps the lines in order.
   */
  async submit(request: Request): Promise<{ outcome: Promise<Outcome> }> {
    while (this.inFlight >= this.window) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    this.inFlight += 1;
    const outcome = this.send(request).finally(() => {
      this.inFlight -= 1;
      this.outcomes.delete(outcome);
      this.wake?.();
      this.wake = undefined;
    });
    this.outcomes.add(outcome);
    if (isBarrier(request)) await outcome;
    return { outcome };
  }

  /** Resolves once every submitted request has its outcome. */
  async drain(): Promise<void> {
    while (this.outcomes.size > 0) await Promise.all(this.outcomes);
  }

  private async send(request: Request): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return { ok: true, reply: await this.conn.request(request) };
      } catch (err) {
        if (!(err instanceof RequestError)) throw err;
        if (err.code !== 'rate_limited' || attempt >= this.maxRetries)
          return { ok: false, error: err };
        await sleep(err.retryAfterMs ?? 1000);
      }
    }
  }
}
