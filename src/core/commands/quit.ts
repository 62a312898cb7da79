import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Leave the chat: others in shared rooms see the reason. */
export const quit = defineCommand('quit', (ctx, user, req) => {
  if (req.id !== undefined) ack(ctx, user, req);
  ctx.transfers.leave(user, 'left the chat');
  ctx.disconnect(user, req.reason?.trim() || 'quit');
  user.peer.close('quit');
});
