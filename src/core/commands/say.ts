import type { RequestOf } from '../../protocol/commands.js';
import type { AppendResult } from '../../store/store.js';
import type { Room, User } from '../model.js';
import { defineCommand } from './command.js';
import type { ChatContext } from './context.js';
import { isoTime } from '../iso-time.js';
import { ackSay } from './reply.js';
import { assertSameMessage, checkMessageText, idempotencyKey, isResend, laterKey } from './text.js';

const NO_ANSWER = (): void => undefined;

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
 * see Chat.handle) and still answer in order. A say with an id holds the room
 * from its append to its answer, so that the ack comes where the message is
 * in the room's stream as the sender sees it (ack-order.ts).
 */
export function storeSay(ctx: ChatContext, user: User, req: RequestOf<'say'>): Promise<SayAnswer> {
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
  const append = (key: string | undefined): Promise<AppendResult> =>
    ctx.store.append(
      room.name.key,
      { from: user.name.display, text, action, ts: ctx.nowMs() },
      key,
    );
  let appended: Promise<AppendResult>;
  const key = idempotencyKey(user, room.name.key, req.id);
  try {
    held = req.id !== undefined && ctx.holdForSay(user, room);
    appended = append(key);
  } catch (err) {
    return Promise.reject(err as Error).catch(refused);
  }
  const answer = (stored: AppendResult): SayAnswer =>
    answerOf(ctx, user, req.id, room, stored.message.seq, stored.message.ts, held);
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

/** How a stored say is answered: nothing without an id, else its ack, in place when held. */
function answerOf(
  ctx: ChatContext,
  user: User,
  id: string | undefined,
  room: Room,
  seq: number,
  ts: number,
  held: boolean,
): SayAnswer {
  // Messages are never echoed (split horizon): only a request with an id hears back.
  if (id === undefined) return { seq, send: NO_ANSWER };
  const answer = (): void => ackSay(user, id, { seq, ts: isoTime(ts), room: room.name.display });
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
