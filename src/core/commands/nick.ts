import { ChatError } from '../../protocol/errors.js';
import { parseAlias } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/**
 * Change alias under the same rules as the handshake; the old name is free at
 * once (§3). A guest alias may not look like anyone online or any account
 * (§2 look-alikes); on a `--require-account` server a name is an account's
 * name, so staff cannot be imitated there at all.
 */
export const nick = defineCommand('nick', async (ctx, user, req) => {
  const name = parseAlias(req.name);
  // The same alias (also one that sanitizes or normalizes to it): nothing changes, nobody is told.
  if (name.display === user.name.display) {
    ack(ctx, user, req, { name: name.display });
    return;
  }
  ctx.assertAliasFree(name, user, user.account?.key === name.key ? user.account : undefined);
  const account =
    name.key === user.account?.key ? user.account : await ctx.store.getAccount(name.key);
  // An account's own name is spelled as registered, as at sign-in (§2):
  // `/nick kim` into the account Kim is Kim (found by a conformance audit).
  const target = account?.key === name.key ? parseAlias(account.name) : name;
  if (target.display === user.name.display) {
    ack(ctx, user, req, { name: target.display });
    return;
  }
  if (!account && ctx.requireAccount) {
    throw new ChatError(
      'forbidden',
      `On this server your name is your account's name; ${name.display} is not a registered account`,
    );
  }
  if (!account && req.password !== undefined) {
    throw new ChatError(
      'bad_request',
      `${name.display} is not registered, so it takes no password (and an alias holds no spaces). Usage: /nick newnick`,
    );
  }
  if (!account) await ctx.assertNotLikeAccount(name, user.account);
  await ctx.assertNameNotBanned(name, account);
  if (account && account !== user.account) {
    if (req.password === undefined) {
      throw new ChatError(
        'auth_required',
        `${account.name} is registered: /nick ${account.name} password`,
      );
    }
    await ctx.checkPassword(user.peer, account, req.password);
  }
  // The awaits above let others in: check again before taking the name; the
  // lease claim in rename() is what decides between nodes.
  ctx.assertAliasFree(name, user, account);
  await ctx.rename(user, target, account);
  ack(ctx, user, req, { name: user.name.display });
});
