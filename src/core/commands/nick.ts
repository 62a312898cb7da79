import { ChatError } from '../../protocol/errors.js';
import { parseAlias } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Change alias under the same rules as the handshake; the old name is free at once (§3). */
export const nick = defineCommand('nick', async (ctx, user, req) => {
  const name = parseAlias(req.name);
  ctx.assertAliasFree(name, user);
  const account =
    name.key === user.account?.key ? user.account : await ctx.store.getAccount(name.key);
  if (!account && req.password !== undefined) {
    throw new ChatError(
      'bad_request',
      `${name.display} is not registered, so it takes no password. Usage: /nick newnick`,
    );
  }
  if (account && account !== user.account) {
    if (req.password === undefined) {
      throw new ChatError(
        'auth_required',
        `${account.name} is registered: /nick ${account.name} password`,
      );
    }
    await ctx.checkPassword(user.peer.address, account, req.password);
  }
  // The awaits above let others in: check again; the lease claim in rename()
  // is what decides between nodes.
  ctx.assertAliasFree(name, user);
  await ctx.rename(user, name);
  user.account = account;
  ack(ctx, user, req, { name: name.display });
});
