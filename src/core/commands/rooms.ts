import { defineCommand } from './command.js';
import { reply } from './reply.js';

/** Every room with its member count and topic. */
export const rooms = defineCommand('rooms', (ctx, user, req) => {
  const list = [...ctx.rooms.values()]
    .map((r) => ({ name: r.name.display, members: r.members.size, topic: r.topic }))
    .sort((a, b) => a.name.localeCompare(b.name));
  reply(user, req, { type: 'rooms', rooms: list });
});
