import { ChatError } from '../errors.js';
import type { Handler } from './handler.js';
import { checkMessageText, idempotencyKey } from './text.js';

/** Store a private message in the recipient's own stream `@nick` (§4). */
export const dm: Handler<'dm'> = async (chat, user, req) => {
  const key = idempotencyKey(user, req.id);
  // A re-sent dm (§4) gets its original ack even if the recipient has left since.
  const original = key === undefined ? undefined : await chat.options.store.original(key);
  if (original && req.id !== undefined) {
    const m = original.message;
    user.peer.send({
      type: 'ack',
      id: req.id,
      op: 'dm',
      seq: m.seq,
      ts: new Date(m.ts).toISOString(),
      name: m.to ?? req.to,
    });
    return;
  }
  const target = chat.findUser(req.to);
  if (target === user)
    throw new ChatError('bad_request', 'You cannot send a private message to yourself');
  const text = checkMessageText(chat, req.text);
  const { message } = await chat.options.store.append(
    '@' + target.name.key,
    {
      from: user.name.display,
      to: target.name.display,
      text,
      action: req.action ?? false,
      ts: chat.nowMs(),
    },
    key,
  );
  // The away text goes back to the sender (§3 /away), in both modes.
  if (req.id !== undefined || target.away) {
    user.peer.send({
      type: 'ack',
      ...(req.id !== undefined && { id: req.id }),
      op: 'dm',
      seq: message.seq,
      ts: new Date(message.ts).toISOString(),
      name: target.name.display,
      ...(target.away && { text: target.away }),
    });
  }
};
