import type { StoredMessage } from '../../store/store.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';
import { assertSameMessage, checkMessageText, idempotencyKey } from './text.js';

/** Store a room message; it reaches the room's other members through the Bus (§4). */
export const say = defineCommand('say', async (ctx, user, req) => {
  const room = ctx.memberRoom(user, req.room);
  const text = checkMessageText(ctx, req.text);
  const key = idempotencyKey(user, room.name.key, req.id);
  const action = req.action ?? false;
  const stored = async (): Promise<StoredMessage> => {
    const { message, duplicate } = await ctx.store.append(
      room.name.key,
      { from: user.name.display, text, action, ts: ctx.nowMs() },
      key,
    );
    if (duplicate) assertSameMessage(message, text, action);
    return message;
  };
  // Messages are never echoed (split horizon): only a request with an id hears
  // back, and its ack goes where the message is in the room's stream.
  if (req.id === undefined) {
    await stored();
    return;
  }
  await ctx.appendInOrder(user, room, stored, (message) =>
    ack(ctx, user, req, {
      seq: message.seq,
      ts: new Date(message.ts).toISOString(),
      room: room.name.display,
    }),
  );
});
