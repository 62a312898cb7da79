import { ChatError } from '../errors.js';
import { parseAlias } from '../names.js';
import type { Handler } from './handler.js';

/** Change alias under the same rules as the handshake; the old name is free at once (§3). */
export const nick: Handler<'nick'> = async (chat, user, req) => {
  const name = parseAlias(req.name);
  chat.assertAliasFree(name, user);
  const account =
    name.key === user.account?.key ? user.account : await chat.options.store.getAccount(name.key);
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
    await chat.checkPassword(user.peer.address, account, req.password);
  }
  // The awaits above let others in: check again before taking the name.
  chat.assertAliasFree(name, user);
  user.account = account;
  const old = user.name;
  chat.users.delete(old.key);
  user.name = name;
  chat.users.set(name.key, user);
  if (old.key !== name.key) {
    // A new alias is a new private stream with its own seqs.
    user.forgetStream('@');
    chat.unsubscribePrivate(old.key);
    chat.subscribePrivate(name.key);
  }
  const event = chat.system('nick', { user: old.display, name: name.display });
  for (const n of user.neighbours()) chat.deliver(n, event);
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'nick',
    ts: chat.timestamp(),
    name: name.display,
  });
};
