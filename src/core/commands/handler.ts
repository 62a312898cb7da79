import type { Request, RequestType } from '../../protocol/messages.js';
import type { Chat } from '../chat.js';
import type { User } from '../model.js';

/** The request of one type. */
export type RequestOf<T extends RequestType> = Extract<Request, { type: T }>;

/** Carries out one request. Throwing (or rejecting) with a ChatError refuses it. */
export type Handler<T extends RequestType> = (
  chat: Chat,
  user: User,
  req: RequestOf<T>,
) => void | Promise<void>;

export type HandlerTable = { [T in RequestType]?: Handler<T> };
