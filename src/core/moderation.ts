/**
 * Mutes and topic locks (docs/protocol.md §3 /mute, /topic -lock): what an
 * operator set and the core checks on every room message and topic change.
 * The store keeps them (they survive a restart, and in cluster mode every
 * node shares them, as bans); this is each node's copy, read at start and
 * again whenever a node signals a change, so the per-message check stays a
 * map lookup.
 */
import { untilText } from '../protocol/phrases.js';
import { ChatError } from '../protocol/errors.js';
import type { ModerationStore, MuteRecord } from '../store/store.js';
import type { User } from './model.js';

export type { MuteRecord } from '../store/store.js';

/** The `system` `mute` event's fields for `shown` under mute `r` (§4): said when muted, and again at login. */
export function muteNotice(
  shown: string,
  r: Pick<MuteRecord, 'by' | 'reason' | 'expires'>,
): { user: string; by: string; reason?: string; text?: string } {
  return {
    user: shown,
    by: r.by,
    ...(r.reason && { reason: r.reason }),
    ...(r.expires !== undefined && { text: new Date(r.expires).toISOString() }),
  };
}

/**
 * The keys a user is muted under: the account; for a guest its session (it
 * survives /nick and a reconnect with the token) and its alias (a reconnect
 * without the token under the same alias).
 */
export function muteKeys(user: User): string[] {
  return user.account ? [user.identity] : [user.identity, 'n:' + user.name.key];
}

export class Moderation {
  private mutes = new Map<string, MuteRecord>();
  /** Room keys whose topic only operators may change. Kept when a room empties. */
  private locked = new Set<string>();

  /**
   * `changed`: called after each change is stored, so other nodes read the
   * store again (Cluster signal).
   */
  constructor(
    private readonly now: () => number,
    private readonly store: ModerationStore,
    private readonly changed: () => void = () => undefined,
  ) {}

  /** Read every mute and lock from the store (at start, and on another node's change). */
  async load(): Promise<void> {
    const state = await this.store.getModeration();
    this.mutes = state.mutes;
    this.locked = state.locks;
  }

  /** Mute under these keys (see muteKeys; an offline account `a:KEY`, an offline guest alias `n:KEY`). */
  async mute(keys: readonly string[], record: MuteRecord): Promise<void> {
    await this.store.setMute(keys, record);
    for (const k of keys) this.mutes.set(k, record);
    this.changed();
  }

  /**
   * A guest muted under its alias only (muted while offline, or back without
   * its session token) holds the mute under its session too from now on, as
   * one muted online does: a /nick lifted it otherwise. In force at once;
   * stored after.
   */
  holdSession(user: User, record: MuteRecord): Promise<void> | undefined {
    if (user.account) return undefined;
    const key = user.identity;
    if (this.mutes.get(key) === record) return undefined;
    this.mutes.set(key, record);
    return this.store.setMute([key], record).then(() => this.changed());
  }

  /** Lift the mute made under `nameKey`, and any on the keys given (an online user's); returns whether one was lifted. */
  async unmute(nameKey: string, keys: readonly string[] = []): Promise<boolean> {
    const lifted = await this.store.removeMutes(nameKey, keys);
    for (const [k, r] of this.mutes)
      if (r.nameKey === nameKey || keys.includes(k)) this.mutes.delete(k);
    if (lifted.length > 0) this.changed();
    return lifted.some((r) => !this.expired(r));
  }

  /** The mute in force on this user, if any (a lapsed one is ignored; /unmute clears it). */
  muteOf(user: User): MuteRecord | undefined {
    // Asked for every room message: nearly always nobody is muted, and then no keys are built.
    if (this.mutes.size === 0) return undefined;
    for (const k of muteKeys(user)) {
      const r = this.mutes.get(k);
      if (r && !this.expired(r)) return r;
    }
    return undefined;
  }

  /** Throw `forbidden` when the user is muted (room messages, topics). */
  assertMaySpeak(user: User): void {
    const r = this.muteOf(user);
    if (!r) return;
    const until = untilText(r.expires);
    throw new ChatError(
      'forbidden',
      `You are muted by ${r.by}${until}${r.reason ? ` (${r.reason})` : ''}: you can read and send private messages, not speak in rooms`,
    );
  }

  isTopicLocked(roomKey: string): boolean {
    return this.locked.has(roomKey);
  }

  async setTopicLock(roomKey: string, on: boolean): Promise<void> {
    await this.store.setTopicLock(roomKey, on);
    if (on) this.locked.add(roomKey);
    else this.locked.delete(roomKey);
    this.changed();
  }

  private expired(r: MuteRecord): boolean {
    return r.expires !== undefined && r.expires <= this.now();
  }
}
