import type { Handler } from './handler.js';

/** Every room with its member count and topic. */
export const rooms: Handler<'rooms'> = (chat, user, req) => {
  const list = [...chat.rooms.values()]
    .map((r) => ({ name: r.name.display, members: r.members.size, topic: r.topic }))
    .sort((a, b) => a.name.localeCompare(b.name));
  user.peer.send({ type: 'rooms', ...(req.id !== undefined && { id: req.id }), rooms: list });
};
