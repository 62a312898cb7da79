import { defineCommand } from './command.js';

/** A pong only proves the client is alive; the connection layer already saw the input. */
export const pong = defineCommand('pong', () => undefined);
