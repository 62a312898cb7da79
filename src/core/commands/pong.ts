import { defineCommand } from './command.js';
import { ack } from './reply.js';

/**
 * A pong only proves the client is alive; the connection layer already saw
 * the input. With an `id` it is answered like any request (§4: exactly one
 * reply per id), with an `ack`.
 */
export const pong = defineCommand('pong', (ctx, user, req) => ack(ctx, user, req));
