import { ChatError } from '../../protocol/errors.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Stop delivering a user's room and private messages to this user; no name lists them. */
export const ignore = defineCommand('ignore', (ctx, user, req) => {
  if (req.name === undefined) {
    ack(ctx, user, req, { text: user.ignoredNames().join(', ') });
    return;
  }
  const target = ctx.findUser(req.name);
  if (target === user) throw new ChatError('bad_request', 'You cannot ignore yourself');
  user.ignore(target.name.key, target.name.display);
  ack(ctx, user, req, { name: target.name.display });
});
