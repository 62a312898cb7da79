import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Show, set or clear (`text: ""`) the topic of a room the user is in (§3); persisted. */
export const topic = defineCommand('topic', async (ctx, user, req) => {
  const room = ctx.memberRoom(user, req.room);
  if (req.text !== undefined) {
    await ctx.setTopic(room, req.text.trim(), user);
    const event = ctx.system('topic', {
      room: room.name.display,
      user: user.name.display,
      text: room.topic,
    });
    ctx.broadcast(room, event, user);
  }
  ack(ctx, user, req, { room: room.name.display, text: room.topic });
});
