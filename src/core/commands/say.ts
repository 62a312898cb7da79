import type { RequestOf } from '../../protocol/commands.js';
import type { AppendResult } from '../../store/store.js';
import type { Room, SayTurn, User } from '../model.js';
import { defineCommand } from './command.js';
import type { ChatContext } from './context.js';
import { AckDue } from '../ack-order.js';
import { isoTime } from '../iso-time.js';
import { sayAck } from './reply.js';
import { assertSameMessage, checkMessageText, idempotencyKey, isResend, laterKey } from './text.js';

const NO_ANSWER = (): void => undefined;
/** The target of a room-less say's idempotency key: no room key contains a `*`. */
const CURRENT_ROOM = '*';

/** A stored say: its seq, and the function that sends its answer (nothing without an id). */
export interface SayAnswer {
  seq: number;
  send: () => void | Promise<void>;
}

/**
 * `say` up to and including its store append, which takes the message's seq
 * synchronously; resolves, once the message is stored, to its seq and the
 * function that sends its answer. Split from the command so that Chat can
 * issue a connection's next say before this one has committed (pipelining,
 * see Chat.handle) and still answer in order. A say with an id is acked where
 * the message is in the room's stream as the sender sees it (ack-order.ts):
 * by its message's fan-out, or, with a store that cannot carry the ack there,
 * by holding the room from its append to its answer.
 */
export function storeSay(
  ctx: ChatContext,
  user: User,
  req: RequestOf<'say'>,
  turn: SayTurn = { answered: false, prev: undefined },
): Promise<SayAnswer> {
  // Not an async function, for the same reason as SqliteStore.append: an
  // async function and its await cost two promises more per say on the hot
  // path. A refusal still arrives as a rejection.
  let room: Room;
  let text: string;
  let held = false;
  try {
    room = ctx.memberRoom(user, req.room);
    ctx.moderation.assertMaySpeak(user);
    text = checkMessageText(ctx, req.text);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  const action = req.action ?? false;
  const refused = (err: unknown): never => {
    if (held) ctx.dropSay(user, room);
    throw err;
  };
  const due =
    req.id !== undefined && ctx.store.publishesNotes === true
      ? new AckDue(user, req.id, room.name.display, turn)
      : undefined;
  const append = (key: string | undefined): Promise<AppendResult> =>
    ctx.store.append(
      room.name.key,
      { from: user.name.display, text, action, ts: ctx.nowMs(), note: due },
      key,
    );
  let appended: Promise<AppendResult>;
  // A say without `room` goes to the current room, which a reconnect may
  // have changed: its re-send must still find it (§4 Delivery guarantees),
  // so its key names no room.
  const key = idempotencyKey(user, req.room === undefined ? CURRENT_ROOM : room.name.key, req.id);
  try {
    held = req.id !== undefined && !due && ctx.holdForSay(user, room);
    appended = append(key);
  } catch (err) {
    return Promise.reject(err as Error).catch(refused);
  }
  const answer = (stored: AppendResult): SayAnswer => {
    const elsewhere = stored.duplicate && stored.message.stream !== room.name.key;
    if (!elsewhere) return answerOf(ctx, user, req.id, room, stored.message, held, due);
    // The original went to the room that was current then: its ack says so.
    if (held) ctx.dropSay(user, room);
    const { seq, ts, stream } = stored.message;
    const shown = ctx.rooms.get(stream)?.name.display ?? stream;
    return {
      seq,
      send: () => user.peer.send(sayAck(req.id!, { seq, ts: isoTime(ts), room: shown })),
    };
  };
  return appended.then((stored) => {
    try {
      if (!stored.duplicate || isResend(user, stored.message, text, action)) return answer(stored);
    } catch (err) {
      return refused(err);
    }
    // An earlier connection's id with other text: a new message (isResend).
    return append(laterKey(key!, user))
      .then((again) => {
        if (again.duplicate) assertSameMessage(again.message, text, action);
        return answer(again);
      })
      .catch(refused);
  }, refused);
}

/**
 * How a stored say is answered: nothing without an id, else its ack: sent by
 * the fan-out already (`due`), or in place when held, else at once.
 */
function answerOf(
  ctx: ChatContext,
  user: User,
  id: string | undefined,
  room: Room,
  message: { seq: number; ts: number },
  held: boolean,
  due: AckDue | undefined,
): SayAnswer {
  const { seq, ts } = message;
  // Messages are never echoed (split horizon): only a request with an id hears back.
  if (id === undefined) return { seq, send: NO_ANSWER };
  if (due) {
    // Sent by the fan-out in its turn; else in place among what the fan-out
    // held for it, or (the sender was in a replay or had left; a resend, whose
    // message went out long ago) now, once this node has fanned the room out
    // up to it.
    const answer = (): void => due.answer(seq, isoTime(ts));
    return {
      seq,
      send: () =>
        due.held ? ctx.answerInPlace(user, room, seq, answer) : ctx.afterFanOut(room, seq, answer),
    };
  }
  const answer = (): void =>
    user.peer.send(sayAck(id, { seq, ts: isoTime(ts), room: room.name.display }));
  return { seq, send: held ? () => ctx.answerInPlace(user, room, seq, answer) : answer };
}

/**
 * Store a room message; it reaches the room's other members through the Bus
 * (§4). The ack goes where the message is in the room's stream as the sender
 * sees it (cluster mode: see ack-order.ts).
 */
export const say = defineCommand('say', async (ctx, user, req) => {
  const stored = await storeSay(ctx, user, req);
  await stored.send();
});
