/**
 * A sender's ack in its place (docs/protocol.md §4 "Order"): the ack is how
 * the sender sees its own line, so it goes out exactly where the message is
 * in the room's stream as that sender sees it, also when (cluster mode) the
 * message's own announcement comes after the store's reply.
 */
import type { ServerEvent } from '../protocol/messages.js';
import type { Chat } from './chat.js';
import type { Room, User } from './model.js';

/** Longest a sender's ack waits for its message's announcement (see atSeq). */
const AT_SEQ_TIMEOUT_MS = 3000;

/**
 * Store a user's room message with `append`, then acknowledge it with `ack`
 * exactly where the message is in the room's stream as this user sees it:
 * after every earlier message, before every later one (split horizon: the
 * ack is how the sender sees its own line). While the append is under way
 * the room's live messages for this user wait; they are sorted around the
 * ack once its seq is known.
 */
export async function appendInOrder<T extends { seq: number }>(
  chat: Chat,
  user: User,
  room: Room,
  append: () => Promise<T>,
  ack: (m: T) => void,
): Promise<void> {
  const key = room.name.key;
  // A replay of this room is under way (it holds already): it sorts itself out.
  const mine = user.holding(key) === undefined;
  if (mine) user.hold(key);
  /** Let the held messages go, those before `seq` first, then `between`, then the rest. */
  const release = (seq: number, between: () => void): void => {
    const held = user.release(key);
    sendHeld(chat, user, held, (s) => s < seq);
    between();
    sendHeld(chat, user, held, (s) => s >= seq);
  };
  let m: T;
  try {
    m = await append();
  } catch (err) {
    if (mine) release(Infinity, () => undefined);
    throw err;
  }
  if (!mine) ack(m);
  else await atSeq(chat, room, m.seq, () => release(m.seq, () => ack(m)));
}

/**
 * Run `then` (a sender's ack) once this node has delivered `room`'s
 * messages up to `seq`, in the same step as that seq; at once when it has
 * already. In one process the store publishes before it answers, so that is
 * always at once; with Redis the message's own announcement may come after
 * the script's reply, and another node's next message may come before it.
 */
export function atSeq(chat: Chat, room: Room, seq: number, then: () => void): Promise<void> {
  const follower = room.stream.follower;
  if (!follower || follower.position.last >= seq || chat.rooms.get(room.name.key) !== room) {
    then();
    return Promise.resolve();
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
 * Deliver the held events whose seq passes `take`, in order. A sender with
 * says in flight holds the room all the time (the ingest bench: every
 * message of a burst is held for its 10 senders), so the events go out as
 * one `sendAll`, encoded and queued once, not one `send` each; what the
 * user already got from a replay is skipped, as `deliver` would.
 */
function sendHeld(
  chat: Chat,
  user: User,
  held: ReadonlyArray<readonly [ServerEvent, string]>,
  take: (seq: number) => boolean,
): void {
  const events: ServerEvent[] = [];
  for (const [e, stream] of held) {
    const seq = 'seq' in e ? (e.seq ?? 0) : 0;
    if (!take(seq)) continue;
    // Held again meanwhile (a replay started): deliver() queues it there.
    if (user.holding(stream) !== undefined) {
      flush(user, events);
      chat.deliver(user, e, stream);
    } else if (seq === 0 || !user.alreadySent(stream, seq)) events.push(e);
  }
  flush(user, events);
}

function flush(user: User, events: ServerEvent[]): void {
  if (events.length === 1) user.peer.send(events[0]!);
  else if (events.length > 1) user.peer.sendAll(events.splice(0));
  events.length = 0;
}
