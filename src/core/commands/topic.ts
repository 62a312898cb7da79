import type { Handler } from './handler.js';

/** Show, set or clear (`text: ""`) the topic of a room the user is in (§3). */
export const topic: Handler<'topic'> = (chat, user, req) => {
  const room = chat.memberRoom(user, req.room);
  if (req.text !== undefined) {
    room.topic = req.text.trim();
    const event = chat.system('topic', {
      room: room.name.display,
      user: user.name.display,
      text: room.topic,
    });
    chat.broadcast(room, event, user);
  }
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'topic',
    ts: chat.timestamp(),
    room: room.name.display,
    text: room.topic,
  });
};
