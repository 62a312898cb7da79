import type { Handler } from './handler.js';

/** Answer a client's liveness probe (§4 heartbeat). */
export const ping: Handler<'ping'> = (_chat, user, req) => {
  user.peer.send({ type: 'pong', ...(req.id !== undefined && { id: req.id }) });
};

/** A pong only proves the client is alive; the connection layer already saw the input. */
export const pong: Handler<'pong'> = () => undefined;

/** Leave the chat: others in shared rooms see the reason. */
export const quit: Handler<'quit'> = (chat, user, req) => {
  if (req.id !== undefined)
    user.peer.send({ type: 'ack', id: req.id, op: 'quit', ts: chat.timestamp() });
  chat.disconnect(user, req.reason?.trim() || 'quit');
  user.peer.close('quit');
};
