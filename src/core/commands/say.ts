import type { Handler } from './handler.js';
import { checkMessageText, idempotencyKey } from './text.js';

/** Store a room message; it reaches the room's other members through the Bus (§4). */
export const say: Handler<'say'> = async (chat, user, req) => {
  const room = chat.memberRoom(user, req.room);
  const text = checkMessageText(chat, req.text);
  const key = idempotencyKey(user, req.id);
  const { message } = await chat.options.store.append(
    room.name.key,
    { from: user.name.display, text, action: req.action ?? false, ts: chat.nowMs() },
    key,
  );
  if (req.id !== undefined) {
    user.peer.send({
      type: 'ack',
      id: req.id,
      op: 'say',
      seq: message.seq,
      ts: new Date(message.ts).toISOString(),
      room: room.name.display,
    });
  }
};
