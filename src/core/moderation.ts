/**
 * Mutes and topic locks (docs/protocol.md §3 /mute, /topic -lock): what an
 * operator set and the core checks on every room message and topic change.
 * Kept in memory, on purpose small: a mute or a lock lasts until it is lifted,
 * expires, or the server restarts (docs/security.md "Residual risks").
 */
import { ChatError } from '../protocol/errors.js';
import type { User } from './model.js';

export interface MuteRecord {
  /** Display name at the time of the mute (what the acks show). */
  name: string;
  /** Folded name the mute was made under, so `/unmute NAME` finds it offline too. */
  nameKey: string;
  by: string;
  at: number;
  reason?: string;
  /** Milliseconds since the epoch when it ends by itself; none: until /unmute. */
  expires?: number;
}

/**
 * The keys a user is muted under: the account; for a guest its session (it
 * survives /nick and a reconnect with the token) and its alias (a reconnect
 * without the token under the same alias).
 */
export function muteKeys(user: User): string[] {
  return user.account ? ['a:' + user.account.key] : ['g:' + user.guestId, 'n:' + user.name.key];
}

export class Moderation {
  private readonly mutes = new Map<string, MuteRecord>();
  /** Room keys whose topic only operators may change. Kept when a room empties. */
  private readonly locked = new Set<string>();

  constructor(private readonly now: () => number) {}

  /** Mute under these keys (see muteKeys; an offline account `a:KEY`, an offline guest alias `n:KEY`). */
  mute(keys: readonly string[], record: MuteRecord): void {
    for (const k of keys) this.mutes.set(k, record);
  }

  /** Lift the mute made under `nameKey`, and any on the keys given (an online user's); returns whether one was lifted. */
  unmute(nameKey: string, keys: readonly string[] = []): boolean {
    let lifted = false;
    for (const [k, r] of this.mutes) {
      if (r.nameKey === nameKey || keys.includes(k)) {
        this.mutes.delete(k);
        if (!this.expired(r)) lifted = true;
      }
    }
    return lifted;
  }

  /** The mute in force on this user, if any. */
  muteOf(user: User): MuteRecord | undefined {
    for (const k of muteKeys(user)) {
      const r = this.mutes.get(k);
      if (!r) continue;
      if (!this.expired(r)) return r;
      this.mutes.delete(k);
    }
    return undefined;
  }

  /** Throw `forbidden` when the user is muted (room messages, topics). */
  assertMaySpeak(user: User): void {
    const r = this.muteOf(user);
    if (!r) return;
    const until = r.expires === undefined ? '' : ` until ${new Date(r.expires).toISOString()}`;
    throw new ChatError(
      'forbidden',
      `You are muted by ${r.by}${until}${r.reason ? ` (${r.reason})` : ''}: you can read and send private messages, not speak in rooms`,
    );
  }

  isTopicLocked(roomKey: string): boolean {
    return this.locked.has(roomKey);
  }

  setTopicLock(roomKey: string, on: boolean): void {
    if (on) this.locked.add(roomKey);
    else this.locked.delete(roomKey);
  }

  private expired(r: MuteRecord): boolean {
    return r.expires !== undefined && r.expires <= this.now();
  }
}
