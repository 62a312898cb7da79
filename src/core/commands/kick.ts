import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Operators only (checked by the table): disconnect a user (§3). */
export const kick = defineCommand('kick', (ctx, user, req) => {
  const target = ctx.findUser(req.name);
  ctx.eject(target, user, req.reason?.trim() || undefined);
  ack(ctx, user, req, { name: target.name.display });
});
