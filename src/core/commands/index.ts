/**
 * The command table: every request type this server carries out, one line
 * each. What is absent is refused with a clear `bad_request` and hidden from
 * /help. The table checks operator rights (from the wire contract) before a
 * handler runs; argument counts and types were checked when the codec
 * decoded the request against the same contract. Built once, frozen.
 */
import {
  OPERATOR_REQUESTS,
  type CommandSpec,
  type Request,
  type RequestType,
} from '../../protocol/commands.js';
import { ChatError } from '../../protocol/errors.js';
import type { User } from '../model.js';
import { away } from './away.js';
import { ban } from './ban.js';
import { bans } from './bans.js';
import type { Command } from './command.js';
import type { ChatContext } from './context.js';
import { dm } from './dm.js';
import { FILE_COMMANDS } from './file.js';
import { help } from './help.js';
import { history } from './history.js';
import { ignore } from './ignore.js';
import { join } from './join.js';
import { kick } from './kick.js';
import { mute } from './mute.js';
import { nick } from './nick.js';
import { part } from './part.js';
import { passwd } from './passwd.js';
import { ping } from './ping.js';
import { pong } from './pong.js';
import { quit } from './quit.js';
import { register } from './register.js';
import { rooms } from './rooms.js';
import { say } from './say.js';
import { topic } from './topic.js';
import { unban } from './unban.js';
import { unmute } from './unmute.js';
import { unignore } from './unignore.js';
import { who } from './who.js';
import { whois } from './whois.js';

const COMMANDS: readonly Command[] = [
  say,
  dm,
  join,
  part,
  nick,
  topic,
  who,
  whois,
  rooms,
  history,
  away,
  ignore,
  unignore,
  register,
  passwd,
  kick,
  mute,
  unmute,
  ban,
  bans,
  unban,
  help,
  ping,
  pong,
  quit,
  ...FILE_COMMANDS,
] as readonly Command<RequestType>[] as readonly Command[];

const BY_TYPE: ReadonlyMap<RequestType, Command> = new Map(COMMANDS.map((c) => [c.type, c]));

/** Whether a typed command is carried out by this server. */
export function isAvailable(spec: CommandSpec): boolean {
  return BY_TYPE.has(spec.request);
}

/**
 * Run one request's handler after the checks every command shares. Throws
 * (or returns a promise that rejects) with a ChatError to refuse it.
 */
export function runCommand(ctx: ChatContext, user: User, req: Request): void | Promise<void> {
  const command = BY_TYPE.get(req.type);
  if (!command) {
    throw new ChatError('bad_request', `"${req.type}" is not supported by this server yet`);
  }
  if (OPERATOR_REQUESTS.has(req.type)) {
    if (!user.account) throw new ChatError('forbidden', 'Only operators may do that');
    // Rights are read again from the store: a demotion (or a grant) made with
    // the CLI while the user is online takes effect at once (§2).
    return ctx.isOperator(user).then((operator) => {
      if (!operator) throw new ChatError('forbidden', 'Only operators may do that');
      return command.handler(ctx, user, req as never);
    });
  }
  return command.handler(ctx, user, req as never);
}
