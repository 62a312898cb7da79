import { ChatError } from '../../protocol/errors.js';
import { parseRoom } from '../../protocol/names.js';
import type { WhoEntry } from '../../protocol/messages.js';
import type { User } from '../model.js';
import { defineCommand } from './command.js';
import { reply } from './reply.js';

function listed(users: Iterable<User>): WhoEntry[] {
  return [...users]
    .map((u) => ({
      name: u.name.display,
      ...(u.away && { away: u.away }),
      ...(u.account?.operator && { operator: true as const }),
      ...(u.bot && { bot: true as const }),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Users in the current room, a named room, or everyone online (`*`). */
export const who = defineCommand('who', (ctx, user, req) => {
  let roomName: string;
  let users: Iterable<User>;
  if (req.room === '*') {
    roomName = '*';
    users = ctx.users.values();
  } else {
    const room = req.room === undefined ? user.current : ctx.rooms.get(parseRoom(req.room).key);
    if (!room) throw new ChatError('not_found', `No such room: ${req.room}`);
    roomName = room.name.display;
    users = room.members;
  }
  reply(user, req, { type: 'who', room: roomName, users: listed(users) });
});
