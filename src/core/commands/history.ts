import type { Handler } from './handler.js';

export const DEFAULT_HISTORY = 20;
export const MAX_HISTORY = 500;

/** Page back through a room's stored messages, oldest first; `before` is exclusive (§4). */
export const history: Handler<'history'> = async (chat, user, req) => {
  const room = chat.memberRoom(user, req.room);
  const limit = Math.min(Math.max(req.limit ?? DEFAULT_HISTORY, 1), MAX_HISTORY);
  const r = await chat.options.store.readBefore(room.name.key, req.before, limit);
  user.peer.send({
    type: 'history',
    ...(req.id !== undefined && { id: req.id }),
    room: room.name.display,
    epoch: r.epoch,
    messages: r.messages.map((m) => chat.messageEvent(room, m)),
    more: (r.messages[0]?.seq ?? r.top + 1) > r.firstRetained,
    gap: false,
  });
};
