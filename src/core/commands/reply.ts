/**
 * Answers to the requester. An answer carries the request's id when it had
 * one (§4), always as the second field so every answer looks alike on the wire.
 */
import type { AckEvent, ServerEvent } from '../../protocol/messages.js';
import type { User } from '../model.js';
import type { ChatContext } from './context.js';

type Answer = Extract<ServerEvent, { id?: string }>;
type WithoutId<E> = E extends unknown ? Omit<E, 'id'> : never;

/** Send `event` to the requester, tagged with the request's id. */
export function reply(user: User, req: { id?: string }, event: WithoutId<Answer>): void {
  const { type, ...fields } = event;
  user.peer.send({ type, ...(req.id !== undefined && { id: req.id }), ...fields } as Answer);
}

/** Acknowledge a request (`op` is its type), stamped now unless `ts` says otherwise. */
export function ack(
  ctx: ChatContext,
  user: User,
  req: { id?: string; type: AckEvent['op'] },
  fields: Omit<AckEvent, 'type' | 'id' | 'op' | 'ts'> & { ts?: string } = {},
): void {
  reply(user, req, { type: 'ack', op: req.type, ts: fields.ts ?? ctx.timestamp(), ...fields });
}

/**
 * The ack of a stored say, built as one literal: the general `ack` spreads
 * its fields twice, which showed in the ingest bench's JSON runs (one ack
 * per message). The same fields in the same order as `ack` would send.
 */
export function sayAck(id: string, fields: { seq: number; ts: string; room: string }): AckEvent {
  return { type: 'ack', id, op: 'say', ts: fields.ts, seq: fields.seq, room: fields.room };
}
