/**
 * The requests a Connection is waiting on (docs/protocol.md §4): each is
 * given an id here, and its one reply (matched by id) settles it. They stay
 * here across a reconnect, to be sent again with the same id; a refusal
 * settles them for good, so a refused line is never sent again.
 */
import { randomBytes } from 'node:crypto';
import type { Request, ServerEvent } from '../protocol/messages.js';
import { fits, replyId, RequestError } from './wire.js';

/** An unanswered request and how to settle its promise. */
export interface Pending {
  request: Request & { id: string };
  resolve: (event: ServerEvent) => void;
  reject: (err: RequestError) => void;
}

/** See the module comment. */
export class PendingRequests {
  private readonly waiting = new Map<string, Pending>();
  /** Random per Connection: the server deduplicates by id (§4), across reconnects too. */
  private readonly idPrefix = randomBytes(4).toString('hex');
  private nextId = 0;

  /** The id of our `quit`, which waits for no reply. */
  get quitId(): string {
    return `${this.idPrefix}-quit`;
  }

  /**
   * Give `request` an id, hold it until its reply, and hand it to `send`
   * (which writes it when connected). A request longer than `maxLineBytes`
   * is refused here (`line_too_long`): neither held nor sent.
   */
  open(
    request: Request,
    maxLineBytes: number | undefined,
    send: (request: Request & { id: string }) => void,
  ): Promise<ServerEvent> {
    const withId = { ...request, id: `${this.idPrefix}-${++this.nextId}` };
    if (maxLineBytes !== undefined && !fits(withId, maxLineBytes)) {
      return Promise.reject(
        new RequestError(
          'line_too_long',
          `Line longer than ${maxLineBytes} bytes; it was not sent`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.waiting.set(withId.id, { request: withId, resolve, reject });
      send(withId);
    });
  }

  /** Whether `id` is one of ours still waiting for its reply. */
  has(id: string | undefined): boolean {
    return id !== undefined && this.waiting.has(id);
  }

  /** The unanswered request `id`, if it is one of ours. */
  get(id: string | undefined): (Request & { id: string }) | undefined {
    return id === undefined ? undefined : this.waiting.get(id)?.request;
  }

  /** Every unanswered request, oldest first. */
  requests(): (Request & { id: string })[] {
    return [...this.waiting.values()].map((p) => p.request);
  }

  /**
   * Take the request `event` answers, if any. An id-less `line_too_long`
   * answers the line the server could not read an id from (§4): our one
   * request longer than `maxLineBytes`.
   */
  take(event: ServerEvent, maxLineBytes: number | undefined): Pending | undefined {
    const id = replyId(event);
    let found = id === undefined ? undefined : this.waiting.get(id);
    if (
      id === undefined &&
      event.type === 'error' &&
      event.code === 'line_too_long' &&
      maxLineBytes !== undefined
    ) {
      found = [...this.waiting.values()].find((p) => !fits(p.request, maxLineBytes));
    }
    if (found) this.waiting.delete(found.request.id);
    return found;
  }

  /** Reject every unanswered request with `closed`. */
  failAll(reason: string): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const p of all) p.reject(new RequestError('closed', reason));
  }
}
