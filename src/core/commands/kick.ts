import { foldKey } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Operators only (checked by the table): disconnect a user (§3). */
export const kick = defineCommand('kick', async (ctx, user, req) => {
  const reason = req.reason?.trim() || undefined;
  if (!ctx.users.has(foldKey(req.name.trim()))) {
    // Held by another node: that node removes it and tells the rooms.
    const owner = await ctx.remoteUser(req.name);
    if (owner) {
      ctx.ejectRemote(foldKey(owner.display), user, reason);
      ctx.audit({
        action: 'kick',
        actor: user.name.display,
        target: owner.display,
        ...(reason && { reason }),
      });
      ack(ctx, user, req, { name: owner.display });
      return;
    }
  }
  const target = ctx.findUser(req.name);
  ctx.eject(target, user, reason);
  ctx.audit({
    action: 'kick',
    actor: user.name.display,
    target: target.name.display,
    ...(reason && { reason }),
  });
  ack(ctx, user, req, { name: target.name.display });
});
