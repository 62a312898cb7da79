import { ChatError } from '../../protocol/errors.js';
import { foldKey, parseAlias } from '../../protocol/names.js';
import { banDuration, leadingDuration, parseDuration } from '../duration.js';
import type { SystemEvent } from '../../protocol/messages.js';
import { muteKeys, muteNotice } from '../moderation.js';
import { accountOwner, identityOf, sessionOfAccount } from '../model.js';
import type { ChatContext } from './context.js';
import { defineCommand } from './command.js';
import { inOrder } from './in-order.js';
import { ack } from './reply.js';

/**
 * Whom `/mute NAME` and `/unmute NAME` mean, and the keys its mute is held
 * under (muteKeys): someone online here or on another node by identity (an
 * account whatever alias it took, a guest by its session and alias); an
 * offline name by its account, or as a guest alias. `tell` reaches the
 * user wherever it is online (nowhere when offline).
 */
export async function muteTarget(
  ctx: ChatContext,
  raw: string,
): Promise<{
  keys: string[];
  shown: string;
  operator: boolean;
  /** Nobody by that name is online anywhere: the mute waits for its sign-in. */
  offline: boolean;
  tell: (e: SystemEvent) => void;
}> {
  const key = foldKey(raw.trim());
  // By alias, or an account's name while it goes by another alias here.
  const online = ctx.users.get(key) ?? sessionOfAccount(ctx.users, key);
  if (online) {
    return {
      keys: muteKeys(online),
      shown: online.name.display,
      operator: online.account?.operator === true,
      offline: false,
      tell: (e) => ctx.deliver(online, e),
    };
  }
  const name = parseAlias(raw);
  const remote = await ctx.remoteUser(raw);
  const account = await ctx.store.getAccount(remote?.accountKey ?? name.key);
  const guestKeys = remote?.guest === undefined ? [] : [identityOf(undefined, remote.guest)];
  // Where it is online: by the alias asked, or an account under another
  // alias on another node (its presence names its identity).
  let at = remote ? foldKey(remote.display) : undefined;
  if (at === undefined && account) {
    const owner = accountOwner(account.key);
    at = (await ctx.remotePresence()).find((p) => p.identity === owner)?.key;
  }
  return {
    keys: account ? [accountOwner(account.key)] : [...guestKeys, 'n:' + name.key],
    shown: remote?.display ?? account?.name ?? name.display,
    operator: account?.operator === true,
    offline: at === undefined,
    tell: (e) => (at !== undefined ? ctx.tellRemote(at, e) : undefined),
  };
}

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
    const { keys, shown, operator, offline, tell } = await muteTarget(ctx, req.name);
    if (operator) throw new ChatError('forbidden', 'Operators cannot be muted');
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
    // The muted user learns it now, not at their next line (§3 /mute), on any node.
    tell(ctx.system('mute', muteNotice(shown, record)));
    ack(ctx, user, req, {
      name: shown,
      ...(expires !== undefined && { text: new Date(expires).toISOString() }),
      // A typo mutes nobody who is here: the operator is told (a trial's `/mute Zed`).
      ...(offline && { offline: true as const }),
    });
  }),
);
