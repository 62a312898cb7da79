import { ChatError } from '../../protocol/errors.js';
import { parseAlias } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Operators only: ban an account, or a guest's address, and disconnect them; survives restarts. */
export const ban = defineCommand('ban', async (ctx, user, req) => {
  const name = parseAlias(req.name);
  const account = await ctx.store.getAccount(name.key);
  const online = ctx.users.get(name.key);
  if (!online) {
    // Online on another node: that node bans a guest by address and removes
    // the user; an account's ban is recorded here.
    const owner = await ctx.remoteUser(name.key);
    if (owner) {
      if (owner.operator) throw new ChatError('forbidden', 'Operators cannot be banned');
      if (account) {
        await ctx.store.addBan({
          kind: 'account',
          value: account.key,
          nameKey: name.key,
          name: account.name,
          by: user.name.display,
          at: ctx.nowMs(),
        });
      }
      ctx.ejectRemote(name.key, user, 'banned', !account);
      ack(ctx, user, req, { name: name.display });
      return;
    }
  }
  if (!account && !online) throw new ChatError('not_found', `Unknown user: ${name.display}`);
  if ((account ?? online?.account)?.operator)
    throw new ChatError('forbidden', 'Operators cannot be banned');
  const record = account
    ? { kind: 'account' as const, value: account.key }
    : { kind: 'address' as const, value: online!.peer.address };
  await ctx.store.addBan({
    ...record,
    nameKey: name.key,
    name: account?.name ?? online!.name.display,
    by: user.name.display,
    at: ctx.nowMs(),
  });
  if (online?.connected) ctx.eject(online, user, 'banned');
  ack(ctx, user, req, { name: name.display });
});
