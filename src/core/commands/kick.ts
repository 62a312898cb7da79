import { ChatError } from '../../protocol/errors.js';
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
      // The operator reads the kick line the room reads (docs/protocol.md §2):
      // the other node tells the rooms, this one its operator.
      ctx.deliver(
        user,
        ctx.system('kick', {
          user: owner.display,
          by: user.name.display,
          ...(reason && { reason }),
        }),
      );
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
  if (target === user)
    throw new ChatError('bad_request', 'You cannot kick yourself (/quit leaves)');
  ctx.eject(target, user, reason);
  ctx.audit({
    action: 'kick',
    actor: user.name.display,
    target: target.name.display,
    ...(reason && { reason }),
  });
  ack(ctx, user, req, { name: target.name.display });
});
