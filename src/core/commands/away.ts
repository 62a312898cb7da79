import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Set or clear the away message shown in /who, /whois and to private senders. */
export const away = defineCommand('away', (ctx, user, req) => {
  user.away = (req.text ?? '').trim();
  ack(ctx, user, req, { text: user.away });
});
