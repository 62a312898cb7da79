import { ChatError } from '../../protocol/errors.js';
import { checkPasswordRules, hashPassword } from '../passwords.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/** Register the current alias with a password (§2 accounts). */
export const register = defineCommand('register', async (ctx, user, req) => {
  if (user.account) {
    // After a /nick the alias is not what is registered: name the account.
    const as = user.account.key === user.name.key ? '' : ` (here as ${user.name.display})`;
    throw new ChatError(
      'bad_request',
      `You are signed in to the account ${user.account.name}${as}; it is registered already`,
    );
  }
  checkPasswordRules(req.password);
  const name = user.name;
  // An account made later may look like this guest alias (§2 look-alikes).
  await ctx.assertNotLikeAccount(name);
  const hash = await hashPassword(req.password);
  const created = await ctx.store.createAccount({
    key: name.key,
    name: name.display,
    hash,
    operator: false,
    createdAt: ctx.nowMs(),
  });
  if (!created)
    throw new ChatError('alias_taken', `${name.display} was registered by someone else`);
  const account = (await ctx.store.getAccount(name.key))!;
  ctx.accountCreated(account);
  // Acked once another node's /whois reads the account too.
  await ctx.setAccount(user, account);
  // The guest's ignores were stored under its guest session: the account
  // keeps them from here on (§3 "an account counts from its /register on";
  // a hands-on trial found the list empty at the next login).
  for (const [key, display] of user.ignoredUsersList()) {
    await ctx.store.setIgnore(user.identity, key, display);
  }
  ctx.audit({ action: 'register', actor: name.display });
  ack(ctx, user, req, { name: name.display });
});
