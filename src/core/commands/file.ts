/**
 * File transfer requests (docs/protocol.md §5). The relay's state machine is
 * core/transfers.ts; these commands only hand each request to it.
 */
import type { FileRequest } from '../../protocol/file-messages.js';
import type { User } from '../model.js';
import { defineCommand } from './command.js';
import type { ChatContext } from './context.js';

function relay(ctx: ChatContext, user: User, req: FileRequest): void {
  ctx.transfers.handle(user, req);
}

export const FILE_COMMANDS = [
  defineCommand('file-offer', relay),
  defineCommand('file-accept', relay),
  defineCommand('file-reject', relay),
  defineCommand('file-chunk', relay),
  defineCommand('file-ack', relay),
  defineCommand('file-end', relay),
  defineCommand('file-done', relay),
  defineCommand('file-cancel', relay),
  defineCommand('file-resume', relay),
] as const;
