import { ChatError } from '../errors.js';
import { checkPasswordRules, hashPassword } from '../passwords.js';
import type { Handler } from './handler.js';

/** Register the current alias with a password (§2 accounts). */
export const register: Handler<'register'> = async (chat, user, req) => {
  if (user.account)
    throw new ChatError('bad_request', `${user.name.display} is already registered`);
  checkPasswordRules(req.password);
  const name = user.name;
  const hash = await hashPassword(req.password);
  const created = await chat.options.store.createAccount({
    key: name.key,
    name: name.display,
    hash,
    operator: false,
    createdAt: chat.nowMs(),
  });
  if (!created)
    throw new ChatError('alias_taken', `${name.display} was registered by someone else`);
  user.account = (await chat.options.store.getAccount(name.key))!;
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'register',
    ts: chat.timestamp(),
    name: name.display,
  });
};
