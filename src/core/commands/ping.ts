import { defineCommand } from './command.js';
import { reply } from './reply.js';

/** Answer a client's liveness probe (§4 heartbeat). */
export const ping = defineCommand('ping', (_ctx, user, req) => {
  reply(user, req, { type: 'pong' });
});
