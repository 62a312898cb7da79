import { foldKey } from '../../protocol/names.js';
import { ChatError } from '../../protocol/errors.js';
import type { User } from '../model.js';
import type { StoredMessage } from '../../store/store.js';
import { defineCommand, type RequestOf } from './command.js';
import type { ChatContext } from './context.js';
import { ack } from './reply.js';
import { checkMessageText, idempotencyKey } from './text.js';

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

/** Store a private message in the recipient's own stream `@nick` (§4). */
export const dm = defineCommand('dm', async (ctx, user, req) => {
  const key = idempotencyKey(user, req.id);
  let target: { name: { key: string; display: string }; away: string } | User;
  try {
    const remote = ctx.users.has(foldKey(req.to.trim())) ? undefined : await ctx.remoteUser(req.to);
    // A user on another node: its node follows its private stream `@`.
    target = remote
      ? { name: { key: foldKey(remote.display), display: remote.display }, away: '' }
      : ctx.findUser(req.to);
  } catch (err) {
    // A re-sent dm (§4) gets its original ack even if the recipient has left since.
    const original = key === undefined ? undefined : await ctx.store.original(key);
    if (!original) throw err;
    ackDm(ctx, user, req, original.message);
    return;
  }
  if (target === user) {
    throw new ChatError('bad_request', 'You cannot send a private message to yourself');
  }
  const text = checkMessageText(ctx, req.text);
  const { message } = await ctx.store.append(
    '@' + target.name.key,
    {
      from: user.name.display,
      to: target.name.display,
      text,
      action: req.action ?? false,
      ts: ctx.nowMs(),
    },
    key,
  );
  ackDm(ctx, user, req, message, target.away);
});
