import { foldKey, parseRoom } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { reply } from './reply.js';

/**
 * Who a user is (§3 /whois): account or guest, the rooms the asker shares
 * with them, online since, idle time and away message. The address is for
 * operators only (bans are by address for guests); nobody else ever sees it.
 */
export const whois = defineCommand('whois', async (ctx, user, req) => {
  if (!ctx.users.has(foldKey(req.name.trim()))) {
    // On another node: what its lease says, and its presence (as of its
    // node's last renewal, at most a third of the lease time old).
    const owner = await ctx.remoteUser(req.name);
    if (!owner) ctx.findUser(req.name); // throws not_found
    const key = foldKey(owner!.display);
    const seen = (await ctx.remotePresence()).find((p) => p.key === key);
    const theirs = new Set((seen?.rooms ?? []).map((r) => parseRoom(r).key));
    const shared = [...user.rooms.values()]
      .filter((r) => theirs.has(r.name.key))
      .map((r) => r.name.display);
    const active = seen?.active ?? owner!.since ?? ctx.nowMs();
    // Under another alias than its account's name: the lease names the account.
    const accountKey = owner!.accountKey;
    const account = accountKey === undefined ? undefined : await ctx.store.getAccount(accountKey);
    reply(user, req, {
      type: 'whois',
      name: owner!.display,
      account: owner!.account ?? false,
      ...(account && { accountName: account.name }),
      operator: owner!.operator ?? false,
      bot: owner!.bot ?? false,
      rooms: shared.sort((a, b) => a.localeCompare(b)),
      since: new Date(owner!.since ?? ctx.nowMs()).toISOString(),
      idle: Math.max(0, Math.floor((ctx.nowMs() - active) / 1000)),
      ...(seen?.away && { away: seen.away }),
      ...(user.account?.operator && owner!.address !== undefined && { address: owner!.address }),
    });
    return;
  }
  const target = ctx.findUser(req.name);
  const shared = [...target.rooms.values()]
    .filter((r) => user.rooms.has(r.name.key))
    .map((r) => r.name.display)
    .sort((a, b) => a.localeCompare(b));
  reply(user, req, {
    type: 'whois',
    name: target.name.display,
    account: target.account !== undefined,
    ...(target.account &&
      target.account.key !== target.name.key && { accountName: target.account.name }),
    operator: target.account?.operator ?? false,
    bot: target.bot,
    rooms: shared,
    since: new Date(target.since).toISOString(),
    idle: Math.max(0, Math.floor((ctx.nowMs() - target.lastActive) / 1000)),
    ...(target.away && { away: target.away }),
    ...(user.account?.operator && { address: target.peer.address }),
  });
});
