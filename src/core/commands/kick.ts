import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Operators only (checked by the table): disconnect a user (§3). */
export const kick = defineCommand('kick', (ctx, user, req) => {
  const target = ctx.findUser(req.name);
  const reason = req.reason?.trim() || undefined;
  ctx.eject(target, user, reason);
  ctx.audit({
    action: 'kick',
    actor: user.name.display,
    target: target.name.display,
    ...(reason && { reason }),
  });
  ack(ctx, user, req, { name: target.name.display });
});
