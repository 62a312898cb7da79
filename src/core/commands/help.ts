import { ChatError } from '../errors.js';
import type { Handler } from './handler.js';
import { COMMAND_SPECS, findCommand, type CommandSpec } from './specs.js';

/** Whether this server carries out a typed command: the table is the one source. */
export type Availability = (spec: CommandSpec) => boolean;

/** List the available commands, or one command's usage. */
export function makeHelp(available: Availability): Handler<'help'> {
  return (_chat, user, req) => {
    let specs: CommandSpec[];
    if (req.command !== undefined) {
      const spec = findCommand(req.command.replace(/^\//u, ''));
      if (!spec || !available(spec))
        throw new ChatError('not_found', `Unknown command: ${req.command}`);
      specs = [spec];
    } else {
      specs = COMMAND_SPECS.filter((c) => available(c) && (!c.operator || user.account?.operator));
    }
    user.peer.send({
      type: 'help',
      ...(req.id !== undefined && { id: req.id }),
      commands: specs.map((c) => ({ name: c.name, usage: c.usage, summary: c.summary })),
    });
  };
}
