import { ChatError } from '../errors.js';
import type { User } from '../model.js';
import { foldKey, parseAlias } from '../names.js';
import type { Chat } from '../chat.js';
import type { Handler } from './handler.js';

function assertOperator(user: User): void {
  if (!user.account?.operator) throw new ChatError('forbidden', 'Only operators may do that');
}

/** Remove a user from the chat: everyone who shares a room, and the user, see why. */
function eject(chat: Chat, target: User, by: User, reason: string | undefined): void {
  const event = chat.system('kick', {
    user: target.name.display,
    by: by.name.display,
    ...(reason && { reason }),
  });
  target.peer.send(event);
  chat.disconnect(target, reason ?? 'kicked', event);
  target.peer.close('kicked');
}

/** Operators only: disconnect a user (§3). */
export const kick: Handler<'kick'> = (chat, user, req) => {
  assertOperator(user);
  const target = chat.findUser(req.name);
  eject(chat, target, user, req.reason?.trim() || undefined);
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'kick',
    ts: chat.timestamp(),
    name: target.name.display,
  });
};

/** Operators only: ban an account, or a guest's address, and disconnect them; survives restarts. */
export const ban: Handler<'ban'> = async (chat, user, req) => {
  assertOperator(user);
  const name = parseAlias(req.name);
  const store = chat.options.store;
  const account = await store.getAccount(name.key);
  const online = chat.users.get(name.key);
  if (!account && !online) throw new ChatError('not_found', `Unknown user: ${name.display}`);
  if ((account ?? online?.account)?.operator)
    throw new ChatError('forbidden', 'Operators cannot be banned');
  const record = account
    ? { kind: 'account' as const, value: account.key }
    : { kind: 'address' as const, value: online!.peer.address };
  await store.addBan({
    ...record,
    nameKey: name.key,
    name: account?.name ?? online!.name.display,
    by: user.name.display,
    at: chat.nowMs(),
  });
  if (online?.connected) eject(chat, online, user, 'banned');
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'ban',
    ts: chat.timestamp(),
    name: name.display,
  });
};

/** Operators only: lift the bans recorded under an alias. */
export const unban: Handler<'unban'> = async (chat, user, req) => {
  assertOperator(user);
  const lifted = await chat.options.store.removeBans(foldKey(req.name.trim()));
  if (lifted === 0) throw new ChatError('not_found', `${req.name.trim()} is not banned`);
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'unban',
    ts: chat.timestamp(),
    name: req.name.trim(),
  });
};
