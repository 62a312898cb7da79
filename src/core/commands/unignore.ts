import { ChatError } from '../../protocol/errors.js';
import { foldKey } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Hear from an ignored user again. */
export const unignore = defineCommand('unignore', async (ctx, user, req) => {
  const key = foldKey(req.name.trim());
  const display = user.unignore(key);
  if (display === undefined)
    throw new ChatError('not_found', `You are not ignoring ${req.name.trim()}`);
  await ctx.store.setIgnore(user.identity, key, undefined);
  ack(ctx, user, req, { name: display });
});
