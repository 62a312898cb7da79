import { ChatError } from '../../protocol/errors.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Leave a room; the last room cannot be left (§3). */
export const part = defineCommand('part', (ctx, user, req) => {
  const room = ctx.memberRoom(user, req.room);
  if (user.rooms.size === 1) {
    throw new ChatError(
      'bad_request',
      `${room.name.display} is your last room; /join another first, or /quit`,
    );
  }
  ctx.removeMember(user, room);
  ctx.announceLeave(
    room,
    user,
    ctx.system('part', {
      room: room.name.display,
      user: user.name.display,
      ...(req.reason && { reason: req.reason }),
    }),
  );
  if (user.current === room) user.current = [...user.rooms.values()].at(-1)!;
  ack(ctx, user, req, { room: room.name.display, text: user.current.name.display });
});
