import { ChatError } from '../../protocol/errors.js';
import type { User } from '../model.js';
import type { StoredMessage } from '../../store/store.js';
import type { Owner } from '../../store/lease.js';
import { defineCommand, type RequestOf } from './command.js';
import type { ChatContext } from './context.js';
import { ack } from './reply.js';
import { foldKey, parseAlias } from '../../protocol/names.js';
import { assertSameMessage, checkMessageText, idempotencyKey } from './text.js';

/** Ack a dm; the recipient's away text goes back to the sender (§3 /away), in both modes. */
function ackDm(
  ctx: ChatContext,
  user: User,
  req: RequestOf<'dm'>,
  m: StoredMessage,
  away = '',
): void {
  if (req.id === undefined && !away) return;
  ack(ctx, user, req, {
    seq: m.seq,
    ts: new Date(m.ts).toISOString(),
    name: m.to ?? req.to,
    ...(away && { text: away }),
  });
}

/**
 * A user online on another node as a dm target: its private stream follows
 * its identity (§4), an account's (an alias held with an account is that
 * account's name) or else the guest's, named in its lease.
 */
async function remoteTarget(
  ctx: ChatContext,
  owner: Owner,
): Promise<Pick<User, 'name' | 'away' | 'privateStream'>> {
  const name = parseAlias(owner.display);
  const account = await ctx.store.getAccount(name.key);
  const privateStream = account ? '@' + account.key : '@~' + (owner.guest ?? '');
  if (!account && owner.guest === undefined)
    throw new ChatError('not_found', `Unknown user: ${name.display}`);
  return { name, away: '', privateStream };
}

/** Store a private message in the recipient's own stream (its identity's, not its alias's: §4). */
export const dm = defineCommand('dm', async (ctx, user, req) => {
  const key = idempotencyKey(user, '@' + foldKey(req.to.trim()), req.id);
  const action = req.action ?? false;
  let target: Pick<User, 'name' | 'away' | 'privateStream'>;
  try {
    const remote = ctx.users.has(foldKey(req.to.trim())) ? undefined : await ctx.remoteUser(req.to);
    // A user on another node: its node follows its private stream.
    target = remote ? await remoteTarget(ctx, remote) : ctx.findUser(req.to);
  } catch (err) {
    // A re-sent dm (§4) gets its original ack even if the recipient has left since.
    const original = key === undefined ? undefined : await ctx.store.original(key);
    if (!original) throw err;
    assertSameMessage(original.message, req.text, action);
    ackDm(ctx, user, req, original.message);
    return;
  }
  if (target === user) {
    throw new ChatError('bad_request', 'You cannot send a private message to yourself');
  }
  const text = checkMessageText(ctx, req.text);
  const { message, duplicate } = await ctx.store.append(
    target.privateStream,
    { from: user.name.display, to: target.name.display, text, action, ts: ctx.nowMs() },
    key,
  );
  if (duplicate) assertSameMessage(message, text, action);
  ackDm(ctx, user, req, message, target.away);
});
