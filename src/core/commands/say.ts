import type { RequestOf } from '../../protocol/commands.js';
import type { AppendResult } from '../../store/store.js';
import type { User } from '../model.js';
import { defineCommand } from './command.js';
import type { ChatContext } from './context.js';
import { isoTime } from '../iso-time.js';
import { ack } from './reply.js';
import { assertSameMessage, checkMessageText, idempotencyKey } from './text.js';

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
export async function storeSay(
  ctx: ChatContext,
  user: User,
  req: RequestOf<'say'>,
): Promise<SayAnswer> {
  const room = ctx.memberRoom(user, req.room);
  ctx.moderation.assertMaySpeak(user);
  const text = checkMessageText(ctx, req.text);
  const key = idempotencyKey(user, room.name.key, req.id);
  const action = req.action ?? false;
  const held = req.id !== undefined && ctx.holdForSay(user, room);
  let stored: AppendResult;
  try {
    stored = await ctx.store.append(
      room.name.key,
      { from: user.name.display, text, action, ts: ctx.nowMs() },
      key,
    );
    if (stored.duplicate) assertSameMessage(stored.message, text, action);
  } catch (err) {
    if (held) ctx.dropSay(user, room);
    throw err;
  }
  const { message } = stored;
  // Messages are never echoed (split horizon): only a request with an id hears back.
  if (req.id === undefined) return { seq: message.seq, send: NO_ANSWER };
  const answer = (): void =>
    ack(ctx, user, req, {
      seq: message.seq,
      ts: isoTime(message.ts),
      room: room.name.display,
    });
  return {
    seq: message.seq,
    send: held ? () => ctx.answerInPlace(user, room, message.seq, answer) : answer,
  };
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
