import { ChatError } from '../../protocol/errors.js';
import { foldKey } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Hear from an ignored user again. */
export const unignore = defineCommand('unignore', (ctx, user, req) => {
  const display = user.unignore(foldKey(req.name.trim()));
  if (display === undefined)
    throw new ChatError('not_found', `You are not ignoring ${req.name.trim()}`);
  ack(ctx, user, req, { name: display });
});
