import { defineCommand } from './command.js';
import { ack } from './reply.js';

/**
 * Set or clear the away message shown in /who, /whois and to private
 * senders. A change is told to everyone sharing a room with the user, once
 * each (§3 system `away`: "Bob is away: lunch", "Bob is back").
 */
export const away = defineCommand('away', (ctx, user, req) => {
  const text = (req.text ?? '').trim();
  const changed = text !== user.away;
  user.away = text;
  if (changed) {
    ctx.broadcast(
      [...user.rooms.values()],
      ctx.system('away', { user: user.name.display, text }),
      user,
    );
  }
  ack(ctx, user, req, { text: user.away });
});
