/**
 * The command table: request type → handler. What is absent here is refused
 * with a clear `bad_request`, and /help lists only what is present.
 */
import { away } from './away.js';
import { dm } from './dm.js';
import type { HandlerTable } from './handler.js';
import { makeHelp } from './help.js';
import { history } from './history.js';
import { ignore, unignore } from './ignore.js';
import { join } from './join.js';
import { ban, kick, unban } from './moderation.js';
import { register } from './register.js';
import { nick } from './nick.js';
import { part } from './part.js';
import { rooms } from './rooms.js';
import { say } from './say.js';
import { ping, pong, quit } from './session-control.js';
import type { CommandSpec } from './specs.js';
import { topic } from './topic.js';
import { who } from './who.js';

export const HANDLERS: HandlerTable = {
  say,
  dm,
  join,
  part,
  nick,
  topic,
  who,
  rooms,
  history,
  away,
  ignore,
  unignore,
  register,
  kick,
  ban,
  unban,
  ping,
  pong,
  quit,
};

/** Whether a typed command is carried out by this server. */
export function isAvailable(spec: CommandSpec): boolean {
  return HANDLERS[spec.request] !== undefined;
}

HANDLERS.help = makeHelp(isAvailable);
