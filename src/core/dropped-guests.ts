/**
 * Guests whose connection dropped a moment ago (docs/protocol.md §4 `dm`):
 * a private message to one of them is kept in its stream, as for an offline
 * account, rather than refused. chat-client is back within seconds of a
 * blip, with its session token, and resumes `@`; without this, a network
 * blip cost a guest every private message sent while it was away.
 *
 * Only drops (`connection lost`, `timed out`): a guest that quit, was
 * kicked or replaced is not waited for. Kept by the node it dropped from:
 * a dm sent on another node meanwhile is refused as before. The stream is
 * the guest's own (its session's), so another guest who takes the alias
 * meanwhile never reads them (the bots issue's leak).
 */
import type { StreamKey } from '../store/store.js';

/** How long a dropped guest is waited for: longer than chat-client's backoff ceiling, many times over. */
export const DROPPED_GUEST_MS = 120_000;
/** A bound on what is remembered (a mass drop of a very large server). */
const MAX_DROPPED = 10_000;

/** What a private message to a dropped guest needs. */
export interface DroppedGuest {
  display: string;
  privateStream: StreamKey;
  at: number;
}

export class DroppedGuests {
  /** By alias key, oldest drop first (Map keeps insertion order). */
  private readonly byAlias = new Map<string, DroppedGuest>();
  /** The alias key each guest (its private stream) dropped under. */
  private readonly aliasOf = new Map<StreamKey, string>();

  constructor(private readonly waitMs = DROPPED_GUEST_MS) {}

  remember(key: string, display: string, privateStream: StreamKey, now: number): void {
    this.forget(key);
    this.byAlias.set(key, { display, privateStream, at: now });
    this.aliasOf.set(privateStream, key);
    this.prune(now);
    if (this.byAlias.size > MAX_DROPPED) {
      const oldest = this.byAlias.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
  }

  /** The guest that dropped under alias `key` less than the wait ago, if any. */
  find(key: string, now: number): DroppedGuest | undefined {
    const g = this.byAlias.get(key);
    if (g && now - g.at < this.waitMs) return g;
    if (g) this.forget(key);
    return undefined;
  }

  /**
   * Someone signed in under alias `key`, or the guest of `privateStream`
   * came back (under any alias): nobody is waited for there any more.
   */
  signedIn(key: string, privateStream: StreamKey): void {
    this.forget(key);
    const old = this.aliasOf.get(privateStream);
    if (old !== undefined) this.forget(old);
  }

  private forget(key: string): void {
    const g = this.byAlias.get(key);
    if (!g) return;
    this.byAlias.delete(key);
    this.aliasOf.delete(g.privateStream);
  }

  private prune(now: number): void {
    for (const [key, g] of this.byAlias) {
      if (now - g.at < this.waitMs) return;
      this.forget(key);
    }
  }
}
