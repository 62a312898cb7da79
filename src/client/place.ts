/**
 * Where the user is in the chat, as chat-client follows it: the current room
 * (where a typed line goes, and what the prompt shows), who /reply answers,
 * and who and which rooms are around for Tab completion (roster.ts). It
 * learns from the welcome, from server events and from the acks of /join and
 * /part; nothing here is authoritative.
 */
import type { AckEvent, Request, ServerEvent, WelcomeEvent } from '../protocol/messages.js';
import { sameAlias } from './attention.js';
import { Roster } from './roster.js';

/** The room a user is in when the welcome names none. */
export const DEFAULT_ROOM = '#lobby';

/** What a Place needs of the session around it (app.ts). */
export interface PlaceHooks {
  /** The user's alias now (it follows /nick). */
  self(): string;
  /** The rooms the user is in, as the Connection knows them. */
  rooms(): string[];
  /** The current room changed: the prompt shows it. */
  moved(): void;
  /**
   * Ask the server who is in `room`, to complete their names; absent where
   * nothing is completed (a script).
   */
  who?: (room: string) => Promise<ServerEvent>;
}

/** See the module comment. */
export class Place {
  /** The current room. */
  room = DEFAULT_ROOM;
  /** Sender of the last private message received: where /reply goes. */
  replyTo?: string;
  readonly roster = new Roster();

  constructor(private readonly hooks: PlaceHooks) {}

  /** The first welcome: its first room is current (no prompt to redraw yet). */
  welcomed(welcome: WelcomeEvent): void {
    this.room = welcome.rooms[0] ?? DEFAULT_ROOM;
    this.roster.observe(welcome);
    // A big room's welcome names only some members; completion wants them all.
    if (welcome.memberCount > welcome.members.length) this.seed(this.room);
  }

  /** A welcome after a reconnect: the current room stays, unless the user is no longer in it. */
  reconnected(welcome: WelcomeEvent): void {
    this.roster.observe(welcome);
    if (!welcome.rooms.includes(this.room)) this.goTo(welcome.rooms[0] ?? DEFAULT_ROOM);
  }

  /** Learn from a server event: who is around (completion), who wrote in private (/reply). */
  observe(event: ServerEvent): void {
    this.roster.observe(event);
    const self = this.hooks.self();
    if (event.type === 'private' && !sameAlias(event.from, self)) this.replyTo = event.from;
    if (event.type === 'history') {
      for (const m of event.messages) {
        if (m.type === 'private' && !sameAlias(m.from, self)) this.replyTo = m.from;
      }
    }
  }

  /** Follow the acks that move the user: /join makes a room current, /part of it picks another. */
  acked(request: Request, ack: AckEvent): void {
    if (request.type === 'join') {
      const room = ack.room ?? request.room;
      this.roster.joined(room);
      this.goTo(room);
      this.seed(room);
    }
    if (request.type === 'part') this.roster.parted(ack.room ?? request.room ?? this.room);
    if (request.type === 'part' && (ack.room ?? request.room) === this.room) {
      // The server's part ack names the room that is current now (text mode says so too).
      this.goTo(ack.text ?? this.hooks.rooms()[0] ?? DEFAULT_ROOM);
    }
  }

  /**
   * Make `room` current: on the server's word, or before it for `--room`,
   * whose join is sent first, so lines typed ahead, sent after it, go there
   * (a re-audit: they went to #lobby); undone by the caller if refused.
   */
  goTo(room: string): void {
    this.room = room;
    this.hooks.moved();
  }

  /** Ask who is in a room, quietly: the answer only feeds completion. */
  private seed(room: string): void {
    this.hooks.who?.(room).then(
      (reply) => this.roster.observe(reply),
      // Not worth a line: completion merely knows fewer names.
      () => undefined,
    );
  }
}
