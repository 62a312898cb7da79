/**
 * Who and what the client has heard of, for Tab completion (issue 3 §7): the
 * members of each room the user is in, people met in private messages or
 * `/who *`, and room names seen anywhere. It learns from server events only;
 * nothing here is authoritative, so a stale name merely completes.
 */
import { foldKey } from '../protocol/names.js';
import type { ServerEvent } from '../protocol/messages.js';

/** Names keyed by their folded form (§2: aliases and rooms compare case-insensitively). */
class NameSet {
  private readonly names = new Map<string, string>();

  add(name: string | undefined): void {
    if (name) this.names.set(foldKey(name), name);
  }

  delete(name: string | undefined): void {
    if (name) this.names.delete(foldKey(name));
  }

  has(name: string): boolean {
    return this.names.has(foldKey(name));
  }

  /** Rename if present (a /nick), keeping the place. */
  rename(from: string | undefined, to: string | undefined): void {
    if (!from || !to || !this.has(from)) return;
    this.delete(from);
    this.add(to);
  }

  clear(): void {
    this.names.clear();
  }

  list(): string[] {
    return [...this.names.values()];
  }
}

/** See the module comment. */
export class Roster {
  /** Members per room the user is in, keyed by the room's folded name. */
  private readonly members = new Map<string, NameSet>();
  /** People known from outside the user's rooms: private messages, `/who *`. */
  private readonly others = new NameSet();
  private readonly rooms = new NameSet();

  /** Learn from one event the server sent (live, or as a reply). */
  observe(event: ServerEvent): void {
    switch (event.type) {
      case 'welcome':
        for (const room of event.rooms) this.rooms.add(room);
        // `members` lists the user's current room, the first of `rooms`.
        if (event.rooms[0]) this.replaceMembers(event.rooms[0], event.members);
        return;
      case 'message':
        this.room(event.room).add(event.from);
        return;
      case 'private':
        this.others.add(event.from);
        this.others.add(event.to);
        return;
      case 'who':
        if (event.room === '*') for (const u of event.users) this.others.add(u.name);
        else
          this.replaceMembers(
            event.room,
            event.users.map((u) => u.name),
          );
        return;
      case 'rooms':
        for (const r of event.rooms) this.rooms.add(r.name);
        return;
      case 'system':
        this.onSystem(event);
        return;
      default:
        return;
    }
  }

  /** The user joined `room` (their join ack). */
  joined(room: string): void {
    this.rooms.add(room);
    this.room(room);
  }

  /** The user left `room`: its members are no longer seen. */
  parted(room: string): void {
    this.members.delete(foldKey(room));
  }

  /** Nicknames for completion: members of `room` first, then everyone else known; never `self`. */
  nicks(room: string, self: string): string[] {
    const current = this.members.get(foldKey(room));
    const all = [
      ...(current?.list() ?? []),
      ...[...this.members.values()].flatMap((m) => m.list()),
      ...this.others.list(),
    ];
    const selfKey = foldKey(self);
    const seen = new Set<string>([selfKey]);
    return all.filter((name) => {
      const key = foldKey(name);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /** Room names for completion: every room seen. */
  roomNames(): string[] {
    return this.rooms.list();
  }

  private onSystem(event: Extract<ServerEvent, { type: 'system' }>): void {
    const { room, user } = event;
    if (room) this.rooms.add(room);
    switch (event.event) {
      case 'join':
        if (room) this.room(room).add(user);
        return;
      case 'part':
        if (room) this.members.get(foldKey(room))?.delete(user);
        return;
      case 'kick':
        // A kick from the server (no room) disconnects: gone from every room.
        if (room) this.members.get(foldKey(room))?.delete(user);
        else this.removeEverywhere(user);
        return;
      case 'quit':
        this.removeEverywhere(user);
        return;
      case 'nick':
        for (const set of [...this.members.values(), this.others]) set.rename(user, event.name);
        return;
      case 'presence':
        if (!room) return;
        for (const name of event.joined ?? []) this.room(room).add(name);
        for (const name of event.left ?? []) this.members.get(foldKey(room))?.delete(name);
        return;
      default:
        return;
    }
  }

  private removeEverywhere(user: string | undefined): void {
    for (const set of this.members.values()) set.delete(user);
  }

  private replaceMembers(room: string, names: readonly string[]): void {
    const set = this.room(room);
    set.clear();
    for (const name of names) set.add(name);
  }

  private room(room: string): NameSet {
    this.rooms.add(room);
    const key = foldKey(room);
    let set = this.members.get(key);
    if (!set) {
      set = new NameSet();
      this.members.set(key, set);
    }
    return set;
  }
}
