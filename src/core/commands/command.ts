/**
 * One command, one definition: a request type (its schema and typed syntax
 * are the wire contract in `src/protocol/commands.ts`) bound to the handler
 * that carries it out. The table (`./index.ts`) checks operator rights before
 * a handler runs; arguments were already checked against the same contract
 * when the codec decoded the request.
 */
import type { RequestOf, RequestType } from '../../protocol/commands.js';
import type { User } from '../model.js';
import type { ChatContext } from './context.js';

export type { RequestOf } from '../../protocol/commands.js';

/** Carries out one request. Throwing (or rejecting) with a ChatError refuses it. */
export type Handler<T extends RequestType> = (
  ctx: ChatContext,
  user: User,
  req: RequestOf<T>,
) => void | Promise<void>;

export interface Command<T extends RequestType = RequestType> {
  readonly type: T;
  readonly handler: Handler<T>;
}

/** Bind a request type to its handler; the result goes in the table, one line in `./index.ts`. */
export function defineCommand<T extends RequestType>(type: T, handler: Handler<T>): Command<T> {
  return Object.freeze({ type, handler });
}
