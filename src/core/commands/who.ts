import { ChatError } from '../errors.js';
import type { User } from '../model.js';
import { parseRoom } from '../names.js';
import type { Handler } from './handler.js';

function listed(users: Iterable<User>): Array<{ name: string; away?: string }> {
  return [...users]
    .map((u) => ({ name: u.name.display, ...(u.away && { away: u.away }) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Users in the current room, a named room, or everyone online (`*`). */
export const who: Handler<'who'> = (chat, user, req) => {
  let roomName: string;
  let users: Iterable<User>;
  if (req.room === '*') {
    roomName = '*';
    users = chat.users.values();
  } else {
    const room = req.room === undefined ? user.current : chat.rooms.get(parseRoom(req.room).key);
    if (!room) throw new ChatError('not_found', `No such room: ${req.room}`);
    roomName = room.name.display;
    users = room.members;
  }
  user.peer.send({
    type: 'who',
    ...(req.id !== undefined && { id: req.id }),
    room: roomName,
    users: listed(users),
  });
};
