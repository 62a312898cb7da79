import { ChatError } from '../../protocol/errors.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Stop delivering a user's room and private messages to this user; no name lists them. */
export const ignore = defineCommand('ignore', async (ctx, user, req) => {
  if (req.name === undefined) {
    ack(ctx, user, req, { text: user.ignoredNames().join(', ') });
    return;
  }
  const target = ctx.findUser(req.name);
  if (target === user) throw new ChatError('bad_request', 'You cannot ignore yourself');
  // In effect at once (a /unignore right after it sees it), stored before
  // the ack: an acknowledged ignore survives a reconnect (§3).
  user.ignore(target.name.key, target.name.display);
  await ctx.store.setIgnore(user.identity, target.name.key, target.name.display);
  ack(ctx, user, req, { name: target.name.display });
});
