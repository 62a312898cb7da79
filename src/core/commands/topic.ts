import { ChatError } from '../../protocol/errors.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Show, set or clear (`text: ""`) the topic of a room the user is in (§3); persisted. */
export const topic = defineCommand('topic', async (ctx, user, req) => {
  const room = ctx.memberRoom(user, req.room);
  if (req.text !== undefined) {
    const text = req.text.trim();
    // Every /rooms reply carries every topic: a long one is amplification (§6).
    if (Buffer.byteLength(text, 'utf8') > ctx.limits.maxTopicBytes) {
      throw new ChatError(
        'too_large',
        `A topic holds at most ${ctx.limits.maxTopicBytes} bytes (UTF-8)`,
      );
    }
    await ctx.setTopic(room, text, user);
    const event = ctx.system('topic', {
      room: room.name.display,
      user: user.name.display,
      text: room.topic,
    });
    ctx.broadcast(room, event, user);
  }
  ack(ctx, user, req, { room: room.name.display, text: room.topic });
});
