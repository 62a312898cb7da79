import { ChatError } from '../errors.js';
import type { User } from '../model.js';
import type { StoredMessage } from '../../store/store.js';
import type { Handler, RequestOf } from './handler.js';
import { checkMessageText, idempotencyKey } from './text.js';

/** Ack a dm; the recipient's away text goes back to the sender (§3 /away), in both modes. */
function ackDm(user: User, req: RequestOf<'dm'>, m: StoredMessage, away = ''): void {
  if (req.id === undefined && !away) return;
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'dm',
    seq: m.seq,
    ts: new Date(m.ts).toISOString(),
    name: m.to ?? req.to,
    ...(away && { text: away }),
  });
}

/** Store a private message in the recipient's own stream `@nick` (§4). */
export const dm: Handler<'dm'> = async (chat, user, req) => {
  const key = idempotencyKey(user, req.id);
  let target: User;
  try {
    target = chat.findUser(req.to);
  } catch (err) {
    // A re-sent dm (§4) gets its original ack even if the recipient has left since.
    const original = key === undefined ? undefined : await chat.options.store.original(key);
    if (!original) throw err;
    ackDm(user, req, original.message);
    return;
  }
  if (target === user) {
    throw new ChatError('bad_request', 'You cannot send a private message to yourself');
  }
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
  ackDm(user, req, message, target.away);
};
