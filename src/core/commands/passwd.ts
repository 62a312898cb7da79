import { ChatError } from '../../protocol/errors.js';
import { checkPasswordRules, hashPassword } from '../passwords.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/**
 * Change your own account's password (§2): the old one is checked first,
 * under the login limits (a stolen session cannot guess it faster than a
 * login could), then the new one is stored. Guests have none.
 */
export const passwd = defineCommand('passwd', async (ctx, user, req) => {
  const own = user.account;
  if (!own)
    throw new ChatError('bad_request', 'Only registered users have a password; /register first');
  checkPasswordRules(req.password);
  // The stored record, not the one from login: an operator may have reset it meanwhile.
  const account = await ctx.store.getAccount(own.key);
  if (!account) throw new ChatError('not_found', `The account ${own.name} no longer exists`);
  try {
    await ctx.checkPassword(user.peer, account, req.old);
  } catch (err) {
    // The login's wording ("Wrong password for Bob") did not say which of the two was wrong.
    if (err instanceof ChatError && err.code === 'auth_failed') {
      throw new ChatError(
        'auth_failed',
        'The old password is wrong; the password was not changed',
        err.retryAfterMs,
      );
    }
    throw err;
  }
  const hash = await hashPassword(req.password);
  if (!(await ctx.store.updateAccount(account.key, { hash })))
    throw new ChatError('not_found', `The account ${own.name} no longer exists`);
  // The session keeps going: the account watch compares hashes, and this one is ours.
  if (user.connected) user.account = { ...account, hash };
  ctx.audit({ action: 'passwd', actor: user.name.display, target: account.name });
  ack(ctx, user, req, { name: account.name });
});
