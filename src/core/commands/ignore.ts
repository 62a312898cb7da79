import { ChatError } from '../errors.js';
import { foldKey } from '../names.js';
import type { Handler } from './handler.js';

/** Stop delivering a user's room and private messages to this user; no name lists them. */
export const ignore: Handler<'ignore'> = (chat, user, req) => {
  const base = {
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'ignore',
    ts: chat.timestamp(),
  } as const;
  if (req.name === undefined) {
    user.peer.send({ ...base, text: user.ignoredNames().join(', ') });
    return;
  }
  const target = chat.findUser(req.name);
  if (target === user) throw new ChatError('bad_request', 'You cannot ignore yourself');
  user.ignore(target.name.key, target.name.display);
  user.peer.send({ ...base, name: target.name.display });
};

/** Hear from an ignored user again. */
export const unignore: Handler<'unignore'> = (chat, user, req) => {
  const key = foldKey(req.name.trim());
  const display = user.unignore(key);
  if (display === undefined)
    throw new ChatError('not_found', `You are not ignoring ${req.name.trim()}`);
  user.peer.send({
    type: 'ack',
    ...(req.id !== undefined && { id: req.id }),
    op: 'unignore',
    ts: chat.timestamp(),
    name: display,
  });
};
