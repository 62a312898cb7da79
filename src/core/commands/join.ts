import { parseRoom } from '../names.js';
import { finishReplay, readReplay, roomTarget } from '../replay.js';
import type { Handler } from './handler.js';

/** Join a room (creating it), make it current and replay its recent history (§3). */
export const join: Handler<'join'> = async (chat, user, req) => {
  const name = parseRoom(req.room);
  const existing = user.rooms.get(name.key);
  const room = existing ?? chat.room(name);
  user.current = room;
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'join',
    ts: chat.timestamp(),
    room: room.name.display,
  });
  if (existing) return;
  chat.addMember(user, room);
  const target = roomTarget(chat, user, room);
  let read;
  try {
    read = await readReplay(
      chat,
      user,
      target,
      { after: undefined, epoch: undefined },
      chat.options.historyOnJoin,
    );
  } finally {
    finishReplay(chat, user, target, read);
  }
};
