import { ChatError } from '../errors.js';
import type { Handler } from './handler.js';

/** Leave a room; the last room cannot be left (§3). */
export const part: Handler<'part'> = (chat, user, req) => {
  const room = chat.memberRoom(user, req.room);
  if (user.rooms.size === 1) {
    throw new ChatError(
      'bad_request',
      `${room.name.display} is your last room; /join another first, or /quit`,
    );
  }
  chat.removeMember(user, room);
  chat.broadcast(
    room,
    chat.system('part', {
      room: room.name.display,
      user: user.name.display,
      ...(req.reason && { reason: req.reason }),
    }),
  );
  if (user.current === room) user.current = [...user.rooms.values()].at(-1)!;
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'part',
    ts: chat.timestamp(),
    room: room.name.display,
    text: user.current.name.display,
  });
};
