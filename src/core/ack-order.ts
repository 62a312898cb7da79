/**
 * A sender's ack in its place (docs/protocol.md §4 "Order"): the ack is how
 * the sender sees its own line, so it goes out exactly where the message is
 * in the room's stream as that sender sees it, also when (cluster mode) the
 * message's own announcement comes after the store's reply.
 *
 * Two ways. In one process (Store.publishesNotes) the ack rides on its
 * message as an AckDue, and the fan-out puts it in the sender's copy of the
 * burst where the line would be: nothing is held. Otherwise (Redis) the
 * sender's room is held from the append to the answer, and the ack goes in
 * between what was held before and after it (holdForSay, answerInPlace).
 */
import type { AckEvent, ServerEvent } from '../protocol/messages.js';
import type { StoredMessage } from '../store/store.js';
import type { Chat } from './chat.js';
import { sayAck } from './commands/reply.js';
import { sayAnswered, type Held, type Room, type SayTurn, type User } from './model.js';

/**
 * A say's ack, carried on its message from the append to the fan-out (the
 * append's `note`). The fan-out sends it in place when the say's turn has
 * come (every earlier say of the sender answered) and the sender is live in
 * the room. When an earlier answer is still to come (a refusal, or the
 * answer to a re-sent id, between pipelined says) the fan-out holds the room
 * for the sender from this message on, as holdForSay does, and the say's
 * answer puts the ack in place. In a replay of the room, the answer sends it
 * at once, as a say that could not hold the room.
 */
export class AckDue {
  /** The fan-out held the room for this ack (answerInPlace sends it). */
  held = false;

  constructor(
    readonly user: User,
    readonly id: string,
    /** The room's display name when the say was made, as the ack names it. */
    readonly room: string,
    readonly turn: SayTurn,
  ) {}

  /**
   * Whether the fan-out can send the acks among `stored` at `own` (the
   * sender `reader`'s messages, in order) in place, one after the other.
   */
  static allReady(stored: readonly StoredMessage[], own: readonly number[], reader: User): boolean {
    let before: SayTurn | undefined;
    for (const i of own) {
      const due = stored[i]!.note;
      if (!(due instanceof AckDue) || due.user !== reader || due.turn.answered) continue;
      const prev = due.turn.prev;
      if (prev !== undefined && !prev.answered && prev !== before) return false;
      before = due.turn;
    }
    return true;
  }

  /**
   * At the fan-out of `m` to `reader`: its ack, to go where the message
   * would, when it is `reader`'s and its turn has come; else undefined, and
   * when earlier answers are still to come, the room is held for it.
   */
  static take(m: StoredMessage, reader: User, ts: string, room: Room): AckEvent | undefined {
    const due = m.note;
    if (!(due instanceof AckDue) || due.user !== reader || due.turn.answered || due.held) {
      return undefined;
    }
    if (reader.holding(room.name.key) === undefined && due.turn.prev?.answered !== false) {
      sayAnswered(due.turn);
      return sayAck(due.id, { seq: m.seq, ts, room: due.room });
    }
    due.held = holdForSay(reader, room);
    return undefined;
  }

  /** The say's answer: its ack, unless the fan-out sent it. */
  answer(seq: number, ts: string): void {
    if (this.turn.answered) return;
    sayAnswered(this.turn);
    this.user.peer.send(sayAck(this.id, { seq, ts, room: this.room }));
  }
}

/** Longest a sender's ack waits for its message's announcement (see atSeq). */
const AT_SEQ_TIMEOUT_MS = 3000;

/**
 * Says of a user with an answer still to come, per stream held for them:
 * while any is in flight the room's live messages for that user wait, so
 * that each ack can be put in its place, and the room goes live again with
 * the last. One count for all of them, since pipelined says
 * (request-order.ts) are appended before the previous one is answered:
 * holding for the first only let the burst after it out before the acks of
 * the rest. The user's other streams are held too, at 0 (§4 "Order"): held
 * one room only, another sender's messages to two rooms reached the user
 * out of the order sent (cluster mode; docs/protocol.md §9).
 */
const inFlight = new WeakMap<User, Map<string, number>>();

/** The private stream (§4 dm), held with the rooms. */
const PRIVATE = '@';

/**
 * A say with an answer is about to be appended (synchronously before the
 * append, so no message after it can slip out first): hold `room` for its
 * ack, and the user's other streams with it. False when a replay of the
 * room holds it already (it sorts itself out: the ack then goes at once).
 */
export function holdForSay(user: User, room: Room): boolean {
  const key = room.name.key;
  let counts = inFlight.get(user);
  const n = counts?.get(key);
  if (n !== undefined) {
    counts!.set(key, n + 1);
    return true;
  }
  if (user.holding(key) !== undefined) return false;
  if (!counts) {
    counts = new Map();
    inFlight.set(user, counts);
    for (const other of [...user.rooms.keys(), PRIVATE]) {
      if (other === key || user.holding(other) !== undefined) continue;
      user.hold(other);
      counts.set(other, 0);
    }
  }
  user.hold(key);
  counts.set(key, 1);
  return true;
}

/**
 * Answer a say that holds its room (holdForSay) exactly where its message
 * is in the room's stream as this user sees it: after every earlier
 * message, before every later one. Acks of one user come in seq order
 * (request-order.ts answers in order), so what is still held after this one
 * waits for the next ack, or goes when no say is left.
 */
export function answerInPlace(
  chat: Chat,
  user: User,
  room: Room,
  seq: number,
  ack: () => void,
): void | Promise<void> {
  return atSeq(chat, room, seq, () => settle(chat, user, room.name.key, seq, ack));
}

/** A say that held its room failed: nothing to answer; the room goes live when it was the last. */
export function dropSay(chat: Chat, user: User, room: Room): void {
  settle(chat, user, room.name.key, undefined, () => undefined);
}

/**
 * One held say of `user` in `key` is done: the held events that came
 * before its message (`seq`; undefined: a failed say, nothing goes before)
 * go out, in the order they came whatever their stream, then `between` (its
 * ack); when it was the user's last say in flight, the rest, and every
 * stream goes live again.
 */
function settle(
  chat: Chat,
  user: User,
  key: string,
  seq: number | undefined,
  between: () => void,
): void {
  const counts = inFlight.get(user);
  const n = counts?.get(key);
  if (counts && n !== undefined && n > 0) counts.set(key, n - 1);
  const last = !counts || !anyInFlight(counts);
  const held = user.holding(key);
  if (!held || !counts) {
    // The user left the room meanwhile (a kick: its hold went with it). A
    // rejoin cannot come first: /join waits for the says before it (§4 "Order").
    if (last && counts) releaseAll(chat, user, counts, Infinity, () => undefined);
    between();
    return;
  }
  // Where the ack goes: before its room's first held message after it. A
  // failed say has no place: nothing goes before it, unless it was the last.
  const cut = seq !== undefined ? placeOf(held, seq) : last ? Infinity : -Infinity;
  if (last) {
    releaseAll(chat, user, counts, cut, between);
    return;
  }
  // Still held for the user's later says: only what came before this ack
  // goes now, straight to the peer (deliver() would hold it again).
  const now: Held[] = [];
  for (const stream of counts.keys()) {
    const buffer = user.holding(stream);
    if (buffer) now.push(...buffer.splice(0, before(buffer, cut)));
  }
  now.sort(byArrival);
  for (const [e, stream] of now) {
    if (!user.alreadySent(stream, seqOf(e))) user.peer.send(e);
  }
  between();
}

function anyInFlight(counts: Map<string, number>): boolean {
  for (const c of counts.values()) if (c > 0) return true;
  return false;
}

/** The arrival of the first of `held` (one stream) at or after `seq`; Infinity when none. */
function placeOf(held: readonly Held[], seq: number): number {
  for (const [e, , arrival] of held) if (seqOf(e) >= seq) return arrival;
  return Infinity;
}

/** How many of `held` (in arrival order) came before `cut`. */
function before(held: readonly Held[], cut: number): number {
  let k = 0;
  while (k < held.length && held[k]![2] < cut) k++;
  return k;
}

const byArrival = (a: Held, b: Held): number => a[2] - b[2];

/** No say of `user` is in flight: every stream held for one goes live, what was held going out in the order it came, `between` at `cut`. */
function releaseAll(
  chat: Chat,
  user: User,
  counts: Map<string, number>,
  cut: number,
  between: () => void,
): void {
  inFlight.delete(user);
  const all: Held[] = [];
  for (const stream of counts.keys()) {
    if (user.holding(stream) !== undefined) all.push(...user.release(stream));
  }
  all.sort(byArrival);
  const k = before(all, cut);
  sendHeld(chat, user, all.slice(0, k));
  between();
  sendHeld(chat, user, all.slice(k));
}

function seqOf(e: ServerEvent): number {
  return 'seq' in e ? (e.seq ?? 0) : 0;
}

/**
 * Run `then` (a sender's ack) once this node has delivered `room`'s
 * messages up to `seq`, in the same step as that seq; at once when it has
 * already. In one process the store publishes before it answers, so that is
 * always at once; with Redis the message's own announcement may come after
 * the script's reply, and another node's next message may come before it.
 */
export function atSeq(chat: Chat, room: Room, seq: number, then: () => void): void | Promise<void> {
  const follower = room.stream.follower;
  if (!follower || follower.position.last >= seq || chat.rooms.get(room.name.key) !== room) {
    // Done now: no promise, which a caller's `then` would have to adopt
    // (two microtasks and two promises more per acked say).
    then();
    return;
  }
  return new Promise<void>((resolve) => {
    let done = false;
    const job = (): void => {
      if (done) return;
      done = true;
      chat.clock.clearTimeout(timer);
      then();
      resolve();
    };
    // Should the announcement never come (the Bus is down and no resync
    // follows), answer anyway rather than hold the connection's queue.
    const timer = chat.clock.setTimeout(() => room.stream.reached(seq), AT_SEQ_TIMEOUT_MS);
    timer.unref();
    room.stream.atSeq ??= new Map();
    const jobs = room.stream.atSeq.get(seq) ?? [];
    jobs.push(job);
    room.stream.atSeq.set(seq, jobs);
  });
}

/**
 * Deliver held events, in order; what the user already got from a replay is
 * skipped, as `deliver` would. One `send` each: an event's encoding is made
 * once for all its recipients, and the connection's output gathers a turn's
 * sends into one write. A `sendAll` per ack copied the events before it
 * into a buffer of their own first, a copy per message for a sender with
 * says in flight, who holds the room all the time (docs/performance.md,
 * ninth pass).
 */
function sendHeld(chat: Chat, user: User, held: readonly Held[]): void {
  for (const [e, stream] of held) {
    const seq = seqOf(e);
    // Held again meanwhile (a replay started): deliver() queues it there.
    if (user.holding(stream) !== undefined) chat.deliver(user, e, stream);
    else if (seq === 0 || !user.alreadySent(stream, seq)) user.peer.send(e);
  }
}
