import { defineCommand } from './command.js';
import { ack } from './reply.js';

/**
 * Leave the chat: others in shared rooms see the reason. The ack is the
 * closing line a script waits for (text mode: `* Bye`; JSON: only with an id).
 */
export const quit = defineCommand('quit', (ctx, user, req) => {
  ack(ctx, user, req);
  ctx.transfers.leave(user, 'left the chat');
  ctx.disconnect(user, req.reason?.trim() || 'quit');
  user.peer.close('quit');
});
