/**
 * Message streams on this node (docs/protocol.md §4): each room's stream and
 * each online user's private stream is followed through the Bus (a doorbell)
 * and read from the Store (the truth), every seq handed over once, in order,
 * and fanned out to this node's members, encoded once for all who take a
 * burst whole.
 */
import { StreamFollower } from '../bus/follower.js';
import type { AckEvent, MessageEvent, PrivateEvent } from '../protocol/messages.js';
import { keyHash, MentionFinder, mentionsAmong } from '../protocol/mention.js';
import { foldKey, type Name } from '../protocol/names.js';
import type { ReadResult, StoredMessage } from '../store/store.js';
import { AckDue } from './ack-order.js';
import type { Chat } from './chat.js';
import { isoTime } from './iso-time.js';
import { Followed, Room, SETTLED, type User } from './model.js';

/** A room's mention finder is made again at most this often (ms). */
const FINDER_REMAKE_MS = 1000;

export class Streams {
  constructor(private readonly chat: Chat) {}

  /** Private streams followed on this node, by folded alias. */
  readonly privates = new Map<string, Followed>();

  /** Each room's mention finder, the Room.namesVersion it was made for, and when. */
  private readonly finders = new WeakMap<
    Room,
    { version: number; at: number; finder: MentionFinder }
  >();

  /** The room with this name, created (and subscribed) when new. */
  room(name: Name): Room {
    let room = this.chat.rooms.get(name.key);
    if (room?.stream.failed) {
      room.stream.failed = false;
      room.stream.early = [];
      this.followRoom(room);
    }
    if (!room) {
      room = new Room(name);
      this.chat.rooms.set(name.key, room);
      const t = this.chat.topics.get(name.key);
      if (t) [room.topic, room.topicBy, room.topicAt] = [t.text, t.by, t.at];
      this.followRoom(room);
    }
    return room;
  }

  /** Follow a room's stream: its messages fan out; a reset is told to its members here. */
  private followRoom(r: Room): void {
    this.follow(
      r.stream,
      r.name.key,
      (ms) => this.deliverRoomMessages(r, ms),
      () => {
        this.chat.announcer.broadcastHere(r, this.chat.system('reset', { room: r.name.display }));
        // Acks waiting for a seq the reset skipped go out now (ack-order.ts atSeq).
        r.stream.reached();
      },
    );
  }

  /**
   * Subscribe to a stream, then learn its top: the follower delivers what
   * comes after it exactly once, in order, reading any gap from the Store
   * (the Bus is a doorbell; the stream is the truth). Announcements that
   * arrive before the top is known wait and go through the follower too.
   */
  follow(
    stream: Followed,
    key: string,
    deliver: (ms: StoredMessage[]) => void,
    onReset: () => void,
  ): void {
    const store = this.chat.options.store;
    stream.ready = (async () => {
      await this.chat.options.bus.subscribe(key, (ms) => {
        if (stream.follower) stream.follower.onMessages(ms);
        else stream.early?.push(...ms);
      });
      const top = await store.read(key, Number.MAX_SAFE_INTEGER, 1);
      stream.follower = new StreamFollower({
        stream: key,
        read: (k, after, limit) => store.read(k, after, limit),
        deliver,
        last: top.top,
        epoch: top.epoch,
        onReset,
      });
      const early = stream.early ?? [];
      stream.early = undefined;
      if (early.length > 0) stream.follower.onMessages(early);
    })();
    stream.ready.catch((err: unknown) => {
      // The next user of the stream subscribes again (see room()).
      stream.failed = true;
      this.chat.options.onInternalError?.(err, 'subscribing to a stream');
    });
  }

  /** The wire form of a stored room message; for `reader`, flagged when it mentions them (§4). */
  messageEvent(room: Room, m: StoredMessage, reader?: User): MessageEvent {
    const event: MessageEvent = {
      type: 'message',
      room: room.name.display,
      seq: m.seq,
      ts: isoTime(m.ts),
      from: m.from,
      text: m.text,
      action: m.action,
    };
    if (reader && reader.name.key !== foldKey(m.from)) {
      const key = reader.name.key;
      const hash = keyHash(key);
      const named = mentionsAmong(m.text, {
        has: (k) => k === key,
        mayHaveHash: (h) => h === hash,
      });
      if (named) event.mention = true;
    }
    return event;
  }

  /**
   * Fan a burst of a room's messages out. Members who get all of it (not a
   * sender, ignoring none of the senders, not in a replay) get it as one
   * unit, encoded once for all of them; the others get it message by message
   * with their filters applied.
   */
  deliverRoomMessages(room: Room, stored: StoredMessage[]): void {
    const waiting = room.stream.atSeq;
    if (!waiting) {
      this.deliverRoomBatch(room, stored);
      return;
    }
    // A sender's ack goes out where its message is in the stream: after what
    // came before it, before what came after (split horizon: the ack is how
    // the sender sees its own line).
    let from = 0;
    stored.forEach((m, i) => {
      if (!waiting.has(m.seq)) return;
      this.deliverRoomBatch(room, stored.slice(from, i + 1));
      from = i + 1;
      room.stream.reached(m.seq);
    });
    if (from < stored.length) this.deliverRoomBatch(room, stored.slice(from));
    const last = stored[stored.length - 1];
    if (last) room.stream.reached(last.seq);
  }

  private deliverRoomBatch(room: Room, stored: StoredMessage[]): void {
    if (stored.length === 0) return;
    // The room's follower hands each seq over once, in order.
    const fresh = stored;
    const key = room.name.key;
    const events = fresh.map((m) => this.messageEvent(room, m));
    const from = fresh.map((m) => foldKey(m.from));
    /** Each sender's messages in the burst, by index. */
    const senders = new Map<string, number[]>();
    from.forEach((k, i) => {
      const own = senders.get(k);
      if (own) own.push(i);
      else senders.set(k, [i]);
    });
    // Who each message names (§4 message.mention), among the room's members:
    // only they can be flagged here.
    const finder = this.mentionFinder(room);
    const named = fresh.map((m) =>
      finder ? finder.find(m.text) : mentionsAmong(m.text, this.chat.users),
    );
    let anyNamed: Set<string> | undefined;
    for (const keys of named) if (keys) for (const k of keys) (anyNamed ??= new Set()).add(k);
    for (const member of room.members) {
      const mentioned = anyNamed?.has(member.name.key) === true;
      if (!mentioned && member.receivesAll(key, senders.keys())) {
        const own = senders.get(member.name.key);
        if (!own) {
          if (events.length === 1) member.peer.send(events[0]!);
          else member.peer.sendAll(events);
          continue;
        }
        // One of the burst's senders: the rest of it as one unit, cut from
        // the same encoding without its own lines (split horizon), with its
        // acks where those lines were (ack-order.ts); message by message
        // below when an earlier answer of theirs is still to come (the room
        // is then held from the first ack that waits).
        if (AckDue.allReady(fresh, own, member)) {
          let acks: (AckEvent | undefined)[] | undefined;
          own.forEach((i, j) => {
            const ack = AckDue.take(fresh[i]!, member, events[i]!.ts, room);
            if (ack) (acks ??= new Array<AckEvent | undefined>(own.length))[j] = ack;
          });
          if (acks || own.length < events.length) member.peer.sendAll(events, own, acks);
          continue;
        }
      }
      events.forEach((event, i) => {
        const fromKey = from[i]!;
        if (member.name.key === fromKey) {
          const ack = AckDue.take(fresh[i]!, member, event.ts, room);
          if (ack) member.peer.send(ack);
          return;
        }
        if (member.isIgnoring(fromKey)) return;
        // The mentioned member's own copy carries the flag; the shared one stays shared.
        this.chat.deliver(
          member,
          named[i]?.includes(member.name.key) ? { ...event, mention: true } : event,
          key,
        );
      });
    }
    // An ack not taken here goes with its say's answer; the stored message
    // (kept in the history ring) must not keep its sender alive.
    for (const m of fresh) if (m.note !== undefined) m.note = undefined;
  }

  /**
   * The finder for the room's members as they are now, or undefined when
   * the room's words are to be scanned instead: a room too big to search for
   * each member, or one whose members changed within a second of its last
   * finder (a pattern takes up to 2 ms to make for 256 aliases, and a join
   * storm must not pay that per burst).
   */
  private mentionFinder(room: Room): MentionFinder | undefined {
    if (room.members.size > MentionFinder.MAX_KEYS) return undefined;
    const kept = this.finders.get(room);
    if (kept?.version === room.namesVersion) return kept.finder;
    const now = this.chat.now();
    if (kept && now - kept.at < FINDER_REMAKE_MS) return undefined;
    const finder = new MentionFinder([...room.members].map((m) => m.name.key));
    this.finders.set(room, { version: room.namesVersion, at: now, finder });
    return finder;
  }

  /** The wire form of a stored private message addressed to `user`. */
  privateEvent(m: StoredMessage, user: User): PrivateEvent {
    return {
      type: 'private',
      from: m.from,
      to: m.to ?? user.name.display,
      ts: isoTime(m.ts),
      text: m.text,
      action: m.action,
      seq: m.seq,
    };
  }

  /**
   * One listener for every private stream. A closure made inside connect()
   * would share connect's scope and keep its replay state alive for as long
   * as the user is online.
   */
  readonly onPrivate = (ms: StoredMessage[]): void => {
    for (const m of ms) this.deliverPrivateTo(m);
  };

  /** Private stream key → the online user it belongs to (not an alias: see User.privateStream). */
  readonly privateOwners = new Map<string, User>();

  /**
   * What every private stream's follower shares: the doorbell, the Store's
   * read and the reset notice are one function each for all of them, and the
   * follower itself is made at the stream's first message. An idle user (most
   * of them at 18,000) holds no follower and no closure of its own.
   */
  private readonly onPrivateBell = (ms: StoredMessage[]): void => {
    const key = ms[0]?.stream;
    const stream = key === undefined ? undefined : this.privates.get(key);
    if (key === undefined || !stream) return;
    if (stream.follower) stream.follower.onMessages(ms);
    else if (stream.startAt >= 0) this.privateFollower(key, stream).onMessages(ms);
    else (stream.early ??= []).push(...ms);
  };

  private readonly readStore = (key: string, after: number, limit: number): Promise<ReadResult> =>
    this.chat.options.store.read(key, after, limit);

  private readonly onPrivateReset = (_info: unknown, key: string): void => {
    const owner = this.privateOwners.get(key);
    if (owner) owner.peer.send(this.chat.system('reset', { room: '@' }));
  };

  /** The follower of a private stream whose top is known, made now if it is not yet. */
  private privateFollower(key: string, stream: Followed): StreamFollower {
    return (stream.follower ??= new StreamFollower({
      stream: key,
      read: this.readStore,
      deliver: this.onPrivate,
      last: stream.startAt,
      epoch: stream.startEpoch,
      onReset: this.onPrivateReset,
    }));
  }

  /**
   * Start delivering a user's private stream to it on this node (wherever
   * its senders are); resolves once the stream is live. `isNew`: the stream's
   * key comes from a guest token made for this login, so it holds nothing and
   * its top need not be read (a Store read less per join).
   */
  subscribePrivate(user: User, isNew = false): Promise<void> {
    const key = user.privateStream;
    this.privateOwners.set(key, user);
    const stream = new Followed(undefined);
    this.privates.set(key, stream);
    const ready = (async () => {
      await this.chat.options.bus.subscribe(key, this.onPrivateBell);
      const top = isNew
        ? { top: 0, epoch: undefined }
        : await this.chat.options.store.read(key, Number.MAX_SAFE_INTEGER, 1);
      stream.startAt = top.top;
      stream.startEpoch = top.epoch;
      const early = stream.early;
      stream.early = undefined;
      if (early && early.length > 0) this.privateFollower(key, stream).onMessages(early);
    })();
    stream.ready = ready;
    ready.then(
      // Settled: the stream's shared settled promise serves later waiters.
      () => {
        if (stream.ready === ready) stream.ready = SETTLED;
      },
      (err: unknown) => {
        stream.failed = true;
        this.chat.options.onInternalError?.(err, 'subscribing to a stream');
      },
    );
    return ready;
  }

  /** After the Bus reconnects: every private stream whose top is known re-reads what it missed. */
  resyncPrivates(failed: (err: unknown) => void): void {
    for (const [key, stream] of this.privates)
      if (stream.startAt >= 0) this.privateFollower(key, stream).resync().catch(failed);
  }

  unsubscribePrivate(user: User, stream = user.privateStream): void {
    if (this.privateOwners.get(stream) !== user) return;
    this.privateOwners.delete(stream);
    this.privates.delete(stream);
    void this.chat.options.bus.unsubscribe(stream);
  }

  /**
   * Call after a user's account changed (/nick to or from an account,
   * /register): the private stream follows the identity, not the alias.
   */
  rebindPrivate(user: User, before: string): void {
    if (user.privateStream === before) return;
    user.forgetStream('@');
    this.unsubscribePrivate(user, before);
    void this.subscribePrivate(user);
  }

  /** Deliver a message of a private stream to its owner, if online and not ignoring. */
  deliverPrivateTo(m: StoredMessage): void {
    const user = this.privateOwners.get(m.stream);
    if (!user || user.isIgnoring(foldKey(m.from))) return;
    this.chat.deliver(user, this.privateEvent(m, user), '@');
  }
}
