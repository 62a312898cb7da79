import { COMMAND_SPECS, findCommand, type CommandSpec } from '../../protocol/commands.js';
import { ChatError } from '../../protocol/errors.js';
import { defineCommand } from './command.js';
import { reply } from './reply.js';

/** List the commands this server offers (operator ones to operators), or one command's usage. */
export const help = defineCommand('help', (ctx, user, req) => {
  let specs: CommandSpec[];
  if (req.command !== undefined) {
    const spec = findCommand(req.command.replace(/^\//u, ''));
    if (!spec || !ctx.offers(spec))
      throw new ChatError('not_found', `Unknown command: ${req.command}`);
    specs = [spec];
  } else {
    specs = COMMAND_SPECS.filter((c) => ctx.offers(c) && (!c.operator || user.account?.operator));
  }
  const operator = user.account?.operator === true;
  reply(user, req, {
    type: 'help',
    commands: specs.map((c) => ({
      name: c.name,
      usage: c.usage,
      summary:
        operator && c.operatorSummary
          ? `${c.summary} (operators: ${c.operatorSummary})`
          : c.summary,
    })),
  });
});
