import { defineCommand } from './command.js';
import { reply } from './reply.js';

/**
 * Who a user is (§3 /whois): account or guest, the rooms the asker shares
 * with them, online since, idle time and away message. The address is for
 * operators only (bans are by address for guests); nobody else ever sees it.
 */
export const whois = defineCommand('whois', (ctx, user, req) => {
  const target = ctx.findUser(req.name);
  const shared = [...target.rooms.values()]
    .filter((r) => user.rooms.has(r.name.key))
    .map((r) => r.name.display)
    .sort((a, b) => a.localeCompare(b));
  reply(user, req, {
    type: 'whois',
    name: target.name.display,
    account: target.account !== undefined,
    operator: target.account?.operator ?? false,
    bot: target.bot,
    rooms: shared,
    since: new Date(target.since).toISOString(),
    idle: Math.max(0, Math.floor((ctx.nowMs() - target.lastActive) / 1000)),
    ...(target.away && { away: target.away }),
    ...(user.account?.operator && { address: target.peer.address }),
  });
});
