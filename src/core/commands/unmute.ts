import { ChatError } from '../../protocol/errors.js';
import { foldKey } from '../../protocol/names.js';
import { muteKeys } from '../moderation.js';
import { defineCommand } from './command.js';
import { inOrder } from './in-order.js';
import { ack } from './reply.js';

/** Operators only: lift a mute, by the name it was made under or the user's name now. */
export const unmute = defineCommand('unmute', (ctx, user, req) =>
  inOrder(ctx, async () => {
    const raw = req.name.trim();
    const online = ctx.users.get(foldKey(raw));
    const lifted = await ctx.moderation.unmute(foldKey(raw), online ? muteKeys(online) : []);
    if (!lifted) throw new ChatError('not_found', `${raw.slice(0, 60)} is not muted`);
    const shown = online?.name.display ?? raw;
    if (online) ctx.deliver(online, ctx.system('unmute', { user: shown, by: user.name.display }));
    ctx.audit({ action: 'unmute', actor: user.name.display, target: shown });
    ack(ctx, user, req, { name: shown });
  }),
);
