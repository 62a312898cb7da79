import { ChatError } from '../../protocol/errors.js';
import { foldKey } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Operators only: lift the bans recorded under an alias. */
export const unban = defineCommand('unban', async (ctx, user, req) => {
  const lifted = await ctx.store.removeBans(foldKey(req.name.trim()));
  if (lifted === 0) throw new ChatError('not_found', `${req.name.trim()} is not banned`);
  ack(ctx, user, req, { name: req.name.trim() });
});
