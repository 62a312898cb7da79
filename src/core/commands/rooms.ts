import { foldKey } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { page } from './page.js';
import { reply } from './reply.js';

/** Rooms with their member count and topic, one page at a time (§6 "Paging"). */
export const rooms = defineCommand('rooms', (ctx, user, req) => {
  const cursor = req.cursor === undefined ? undefined : foldKey(req.cursor.trim());
  const p = page(ctx.rooms.values(), (r) => r.name.key, cursor, req.limit);
  reply(user, req, {
    type: 'rooms',
    rooms: p.items.map((r) => ({ name: r.name.display, members: r.members.size, topic: r.topic })),
    total: p.total,
    ...(p.next !== undefined && { next: p.next }),
  });
});
