import { ChatError } from '../../protocol/errors.js';
import { foldKey } from '../../protocol/names.js';
import { muteTarget } from './mute.js';
import { defineCommand } from './command.js';
import { inOrder } from './in-order.js';
import { ack } from './reply.js';

/** Operators only: lift a mute, by the name it was made under or the user's name now. */
export const unmute = defineCommand('unmute', (ctx, user, req) =>
  inOrder(ctx, async () => {
    const raw = req.name.trim();
    // The mute made under this name, and the one on whoever goes by it now (on any node).
    const { keys, shown, tell } = await muteTarget(ctx, raw);
    const lifted = await ctx.moderation.unmute(foldKey(raw), keys);
    if (!lifted) throw new ChatError('not_found', `${raw.slice(0, 60)} is not muted`);
    tell(ctx.system('unmute', { user: shown, by: user.name.display }));
    ctx.audit({ action: 'unmute', actor: user.name.display, target: shown });
    ack(ctx, user, req, { name: shown });
  }),
);
