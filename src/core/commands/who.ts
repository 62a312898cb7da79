import { ChatError } from '../../protocol/errors.js';
import { parseRoom } from '../../protocol/names.js';
import type { User } from '../model.js';
import { defineCommand } from './command.js';
import { reply } from './reply.js';

/** Users in the current room, a named room, or everyone online (`*`). */
export const who = defineCommand('who', async (ctx, user, req) => {
  let roomName: string;
  let key: string;
  let local: Iterable<User>;
  if (req.room === '*') {
    roomName = key = '*';
    local = ctx.users.values();
  } else {
    const name = req.room === undefined ? user.current.name : parseRoom(req.room);
    const room = ctx.rooms.get(name.key);
    roomName = room?.name.display ?? name.display;
    key = name.key;
    local = room?.members ?? [];
  }
  // Members on other nodes come from presence (cluster mode).
  const users = await ctx.whoIn(key, local);
  if (users.length === 0) throw new ChatError('not_found', `No such room: ${req.room}`);
  reply(user, req, { type: 'who', room: roomName, users });
});
