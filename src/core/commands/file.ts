/**
 * File transfer requests (docs/protocol.md §5). The relay's state machine is
 * core/transfers.ts; these commands only hand each request to it.
 */
import { ChatError } from '../../protocol/errors.js';
import type { FileRequest } from '../../protocol/file-messages.js';
import { foldKey } from '../../protocol/names.js';
import type { User } from '../model.js';
import { defineCommand, type RequestOf } from './command.js';
import type { ChatContext } from './context.js';

function relay(ctx: ChatContext, user: User, req: FileRequest): void {
  ctx.transfers.handle(user, req);
}

/**
 * An offer to a user on another server (§9) is refused saying so: a file
 * goes only between users of one server, and "Unknown user" was wrong for
 * someone /who lists. Only an offer to no local user waits for the lookup.
 */
function offer(ctx: ChatContext, user: User, req: RequestOf<'file-offer'>): void | Promise<void> {
  if (ctx.users.has(foldKey(req.to.trim()))) return relay(ctx, user, req);
  return ctx.remoteUser(req.to).then((remote) => {
    if (remote) {
      throw new ChatError(
        'not_found',
        `${req.to.trim()} is connected to another server; files go only between users of the same server`,
      );
    }
    relay(ctx, user, req);
  });
}

export const FILE_COMMANDS = [
  defineCommand('file-offer', offer),
  defineCommand('file-accept', relay),
  defineCommand('file-reject', relay),
  defineCommand('file-chunk', relay),
  defineCommand('file-ack', relay),
  defineCommand('file-end', relay),
  defineCommand('file-done', relay),
  defineCommand('file-cancel', relay),
  defineCommand('file-resume', relay),
] as const;
