import type { BanInfo } from '../../protocol/messages.js';
import { defineCommand } from './command.js';
import { inOrder } from './in-order.js';
import { ack } from './reply.js';

/** Operators only: the bans in force, with who set them, when, why and until when (§3). */
export const bans = defineCommand('bans', (ctx, user, req) =>
  inOrder(ctx, async () => {
    const list = await ctx.store.listBans(ctx.nowMs());
    const bans: BanInfo[] = list.map((b) => ({
      kind: b.kind,
      name: b.name,
      by: b.by,
      at: new Date(b.at).toISOString(),
      ...(b.reason !== undefined && { reason: b.reason }),
      ...(b.expires !== undefined && { expires: new Date(b.expires).toISOString() }),
    }));
    ack(ctx, user, req, { bans });
  }),
);
