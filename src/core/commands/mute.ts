import { ChatError } from '../../protocol/errors.js';
import { foldKey, parseAlias } from '../../protocol/names.js';
import { banDuration, leadingDuration, parseDuration } from '../duration.js';
import { muteKeys, muteNotice } from '../moderation.js';
import { defineCommand } from './command.js';
import { inOrder } from './in-order.js';
import { ack } from './reply.js';

/**
 * Operators only (§3; checked by the table): `/mute NICK [DURATION] [reason]`
 * stops a user speaking in rooms (messages, actions, topics) until /unmute or
 * the duration ends; they still read, and send and receive private messages.
 * An online user is muted by identity (it survives /nick); an offline name by
 * its account, or as a guest alias.
 */
export const mute = defineCommand('mute', (ctx, user, req) =>
  inOrder(ctx, async () => {
    let rest = req.reason?.trim() ?? '';
    let ms = req.duration === undefined ? undefined : parseDuration(req.duration);
    if (req.duration !== undefined && ms === undefined)
      throw new ChatError('bad_request', `Not a duration: ${req.duration} (use 30m, 1h, 7d…)`);
    // Text mode: a leading duration in the rest of the line, as /ban takes it.
    if (req.duration === undefined) ({ ms, rest } = leadingDuration(rest));
    ms = banDuration(ms);
    const reason = rest || undefined;
    const online = ctx.users.get(foldKey(req.name.trim()));
    let keys: string[];
    let shown: string;
    if (online) {
      if (online.account?.operator) throw new ChatError('forbidden', 'Operators cannot be muted');
      keys = muteKeys(online);
      shown = online.name.display;
    } else {
      const name = parseAlias(req.name);
      const account = await ctx.store.getAccount(name.key);
      if (account?.operator) throw new ChatError('forbidden', 'Operators cannot be muted');
      keys = account ? ['a:' + account.key] : ['n:' + name.key];
      shown = account?.name ?? name.display;
    }
    const now = ctx.nowMs();
    const expires = ms === undefined ? undefined : now + ms;
    const record = {
      name: shown,
      nameKey: foldKey(shown),
      by: user.name.display,
      at: now,
      ...(reason && { reason }),
      ...(expires !== undefined && { expires }),
    };
    await ctx.moderation.mute(keys, record);
    ctx.audit({
      action: 'mute',
      actor: user.name.display,
      target: shown,
      ...(reason && { reason }),
    });
    // The muted user learns it now, not at their next line (§3 /mute).
    if (online) ctx.deliver(online, ctx.system('mute', muteNotice(shown, record)));
    ack(ctx, user, req, {
      name: shown,
      ...(expires !== undefined && { text: new Date(expires).toISOString() }),
    });
  }),
);
