/**
 * Chat traffic for fault tests: a TrackedClient sending `say` (and some `dm`)
 * requests with ids as fast as its acks allow, a window of them in flight.
 * It pumps on every line its client handles, so it pauses by itself while the
 * client is disconnected and carries on after the next welcome (where the
 * client has already re-sent what was unacked).
 */
import type { TrackedClient } from './tracked-client.js';

export interface TrafficOptions {
  /** Requests in flight at most (unacked say/dm). */
  window: number;
  /** Rooms to say into, picked with `rand`. */
  rooms: readonly string[];
  rand: () => number;
  /** Share of requests (0–1) that are private messages, to the alias `dmTo()` picks. */
  dmShare?: number;
  dmTo?: () => string | undefined;
  /** Stop after this many requests. */
  limit?: number;
}

/** A message text that is unique, and not plain ASCII, so that "text intact" means something. */
export function messageText(name: string, n: number): string {
  return `${name} #${n} — héllo ✓ 🙂 "quoted" \\ tab\there`;
}

export class Traffic {
  sent = 0;
  private running = true;
  private readonly off: () => void;

  constructor(
    readonly client: TrackedClient,
    private readonly opts: TrafficOptions,
  ) {
    this.off = client.onWake(() => this.pump());
    this.pump();
  }

  /** Send until the window is full (only while connected, running and under the limit). */
  pump(): void {
    const c = this.client;
    const limit = this.opts.limit ?? Infinity;
    while (this.running && c.connected && c.pending.size < this.opts.window && this.sent < limit) {
      const n = ++this.sent;
      const to = this.opts.dmShare && this.opts.rand() < this.opts.dmShare && this.opts.dmTo?.();
      if (to) {
        c.dm(to, messageText(c.name, n));
      } else {
        const rooms = this.opts.rooms;
        const room = rooms[Math.floor(this.opts.rand() * rooms.length)] ?? '#lobby';
        c.say(room, messageText(c.name, n));
      }
    }
  }

  /** Send nothing new until resume() (unacked requests are still re-sent on reconnect). */
  pause(): void {
    this.running = false;
  }

  resume(): void {
    this.running = true;
    this.pump();
  }

  /** Send nothing new, for good. */
  stop(): void {
    this.running = false;
    this.off();
  }
}
