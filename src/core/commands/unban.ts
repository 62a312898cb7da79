import { ChatError } from '../../protocol/errors.js';
import { foldKey } from '../../protocol/names.js';
import { parseAddressBan } from '../../store/ban-match.js';
import { defineCommand } from './command.js';
import { inOrder } from './in-order.js';
import { ack } from './reply.js';

/** Operators only: lift the bans of what `/bans` shows (an alias, account, address or block). */
export const unban = defineCommand('unban', (ctx, user, req) =>
  inOrder(ctx, async () => {
    if ((req.name === undefined) === (req.address === undefined))
      throw new ChatError('bad_request', 'Name what to unban: name (as /bans shows it) or address');
    const raw = (req.name ?? req.address ?? '').trim();
    const address = parseAddressBan(raw);
    const target = address ?? foldKey(raw);
    // Said as /bans showed it: the block as stored (`10.0.0.5/24` lifts
    // `10.0.0.0/24`), the alias as it was written when banned.
    const shown =
      address ??
      (await ctx.store.listBans(ctx.nowMs())).find((b) => b.value === target)?.name ??
      raw;
    // What /bans names first; only when nothing is named so, the bans made
    // under that alias (an account banned as the alias it had taken).
    const lifted =
      (await ctx.store.removeBans(target, true)) || (await ctx.store.removeBans(target));
    if (lifted === 0) throw new ChatError('not_found', `${raw.slice(0, 60)} is not banned`);
    ctx.audit({ action: 'unban', actor: user.name.display, target: raw });
    ack(ctx, user, req, { name: shown });
  }),
);
