import type { Handler } from './handler.js';

/** Set or clear the away message shown in /who and to private senders. */
export const away: Handler<'away'> = (chat, user, req) => {
  user.away = (req.text ?? '').trim();
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'away',
    ts: chat.timestamp(),
    text: user.away,
  });
};
