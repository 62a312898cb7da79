import { ChatError } from '../../protocol/errors.js';
import { parseRoomArg } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Join a room (creating it), make it current and replay its recent history (§3). */
export const join = defineCommand('join', async (ctx, user, req) => {
  const name = parseRoomArg(req.room);
  const existing = user.rooms.get(name.key);
  if (!existing && user.rooms.size >= ctx.limits.maxRoomsPerUser) {
    throw new ChatError(
      'too_large',
      `You are in ${user.rooms.size} room${user.rooms.size === 1 ? '' : 's'}, the most this server allows; /part one first`,
    );
  }
  const room = existing ?? ctx.room(name);
  user.current = room;
  ack(ctx, user, req, {
    room: room.name.display,
    // The topic is shown on join, as IRC users expect (§3).
    ...(room.topic && {
      topic: { text: room.topic, by: room.topicBy, at: new Date(room.topicAt).toISOString() },
    }),
  });
  if (!existing) await ctx.join(user, room, req.history);
});
