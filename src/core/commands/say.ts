import { defineCommand } from './command.js';
import { ack } from './reply.js';
import { assertSameMessage, checkMessageText, idempotencyKey } from './text.js';

/** Store a room message; it reaches the room's other members through the Bus (§4). */
export const say = defineCommand('say', async (ctx, user, req) => {
  const room = ctx.memberRoom(user, req.room);
  ctx.moderation.assertMaySpeak(user);
  const text = checkMessageText(ctx, req.text);
  const key = idempotencyKey(user, room.name.key, req.id);
  const action = req.action ?? false;
  const { message, duplicate } = await ctx.store.append(
    room.name.key,
    { from: user.name.display, text, action, ts: ctx.nowMs() },
    key,
  );
  if (duplicate) assertSameMessage(message, text, action);
  // Messages are never echoed (split horizon): only a request with an id hears back.
  if (req.id !== undefined) {
    ack(ctx, user, req, {
      seq: message.seq,
      ts: new Date(message.ts).toISOString(),
      room: room.name.display,
    });
  }
});
