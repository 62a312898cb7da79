import { ChatError } from '../../protocol/errors.js';
import { foldKey, parseRoomArg } from '../../protocol/names.js';
import type { User } from '../model.js';
import { defineCommand } from './command.js';
import { page } from './page.js';
import { reply } from './reply.js';

/** Users in the current room, a named room, or everyone online (`*`). */
export const who = defineCommand('who', async (ctx, user, req) => {
  let roomName: string;
  let key: string;
  let local: Iterable<User>;
  if (req.cursor !== undefined && req.room !== '*') {
    throw new ChatError('bad_request', 'Only /who * is paged. Usage: /who [#room | *] [from]');
  }
  if (req.room === '*') {
    roomName = key = '*';
    local = ctx.users.values();
  } else {
    const name = req.room === undefined ? user.current.name : parseRoomArg(req.room);
    const room = ctx.rooms.get(name.key);
    roomName = room?.name.display ?? name.display;
    key = name.key;
    local = room?.members ?? [];
  }
  // Members on other nodes come from presence (cluster mode).
  const users = await ctx.whoIn(key, local);
  if (users.length === 0) throw new ChatError('not_found', `No such room: ${req.room}`);
  if (key === '*') {
    // Everyone online is paged (§6): a 28-byte request must not buy a huge reply.
    const cursor = req.cursor === undefined ? undefined : foldKey(req.cursor.trim());
    const p = page(users, (u) => foldKey(u.name), cursor, req.limit);
    reply(user, req, {
      type: 'who',
      room: roomName,
      users: p.items,
      total: p.total,
      ...(p.next !== undefined && { next: p.next }),
    });
    return;
  }
  reply(user, req, { type: 'who', room: roomName, users });
});
