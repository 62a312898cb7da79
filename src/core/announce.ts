/**
 * Telling people (docs/protocol.md §4, §6): delivery to one user (held while
 * a replay of its stream is under way), system events announced to rooms on
 * every node (once per recipient however many rooms they share), and the
 * aggregated joins and leaves of big rooms.
 */
import type { ServerEvent, SystemEvent } from '../protocol/messages.js';
import type { Chat } from './chat.js';
import type { Room, User } from './model.js';

/** How often a big room's joins and leaves are told, in aggregate (§6). */
const PRESENCE_BATCH_MS = 1000;

export class Announcer {
  constructor(private readonly chat: Chat) {}

  /**
   * Tell a system event about `subject` to everyone in these rooms, on every
   * node, once each however many of the rooms they share; in big rooms a
   * join or leave is aggregated instead (§6). Other nodes hear it as a signal.
   */
  announce(
    rooms: Room[],
    event: SystemEvent,
    subject: User | undefined,
    presence?: 'joined' | 'left',
  ): void {
    const p = presence && subject ? { kind: presence, name: subject.name.display } : undefined;
    const keys = rooms.map((r) => r.name.key);
    this.announceHere(keys, event, subject?.name.key, p);
    this.chat.cluster.sendSignal({
      t: 'announce',
      node: this.chat.options.node,
      rooms: keys,
      event,
      ...(subject && { except: subject.name.key }),
      ...(p && { presence: p }),
    });
  }

  /** This node's share of an announce: its members of the rooms. */
  announceHere(
    roomKeys: string[],
    event: SystemEvent,
    except: string | undefined,
    presence: { kind: 'joined' | 'left'; name: string } | undefined,
  ): void {
    const recipients = new Set<User>();
    for (const key of roomKeys) {
      const room = this.chat.rooms.get(key);
      if (!room) continue;
      if (presence && this.isBig(room, except)) {
        this.queuePresence(room, presence.kind, presence.name);
      } else for (const m of room.members) if (m.name.key !== except) recipients.add(m);
    }
    for (const n of recipients) this.deliver(n, event);
  }

  /**
   * Send an event to one user. Events of a stream (`stream` given: a room key
   * or `@`) wait while that stream is being replayed to the user, and are
   * dropped when their seq was already delivered.
   */
  deliver(user: User, event: ServerEvent, stream?: string): void {
    if (stream !== undefined && 'seq' in event && event.seq !== undefined) {
      const buffer = user.holding(stream);
      if (buffer) {
        user.holdEvent(buffer, event, stream);
        return;
      }
      if (user.alreadySent(stream, event.seq)) return;
    }
    if (!user.welcomed) user.sendAfterWelcome(event);
    else user.peer.send(event);
  }

  /** Send one event object to this node's members of a room (split horizon). */
  broadcastHere(room: Room, event: ServerEvent): void {
    for (const m of room.members) this.deliver(m, event);
  }

  /** Announce that `user` left `room` (a part), aggregated in big rooms. */
  announceLeave(room: Room, user: User, event: SystemEvent): void {
    this.announce([room], event, user, 'left');
  }

  /**
   * Whether joins and leaves in this room are told in aggregate (§6 "Big
   * rooms"), counting the room with `subject` (who joins or leaves, by alias
   * key) in it: a join is counted after it and a leave before it, so the
   * join that makes a room big is aggregated as the leave that unmakes it is
   * (a join was counted before it: found by a conformance audit).
   */
  isBig(room: Room, subject?: string): boolean {
    const user = subject === undefined ? undefined : this.chat.users.get(subject);
    const outside = subject !== undefined && !(user && room.members.has(user)) ? 1 : 0;
    return room.members.size + outside > this.chat.options.announceLimit;
  }

  /** §6 "Big rooms": N joins cost one notice per second, not N lines to N members. */
  private queuePresence(room: Room, kind: 'joined' | 'left', name: string): void {
    (kind === 'joined' ? room.pendingJoined : room.pendingLeft).push(name);
    room.presenceTimer ??= this.chat.clock.setTimeout(() => {
      room.presenceTimer = undefined;
      const joined = room.pendingJoined.splice(0);
      const left = room.pendingLeft.splice(0);
      if (room.members.size === 0) return;
      const event = this.chat.system('presence', { room: room.name.display, joined, left });
      const newcomers = new Set(joined);
      for (const m of room.members) {
        if (!newcomers.has(m.name.display)) {
          this.deliver(m, event);
          continue;
        }
        // A newcomer is not told of its own join (§2), only of the others'.
        const others = joined.filter((n) => n !== m.name.display);
        if (others.length + left.length > 0) {
          this.deliver(
            m,
            this.chat.system('presence', { room: room.name.display, joined: others, left }),
          );
        }
      }
    }, PRESENCE_BATCH_MS);
  }

  /** Drop a room's pending aggregate notice (the room is gone, or the server is). */
  stopPresence(room: Room): void {
    this.chat.clock.clearTimeout(room.presenceTimer);
  }
}
