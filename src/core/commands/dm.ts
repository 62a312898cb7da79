import { ChatError } from '../../protocol/errors.js';
import { accountOwner, accountStream, sessionOfAccount, type User } from '../model.js';
import type { AppendResult, StoredMessage } from '../../store/store.js';
import type { Owner } from '../../store/lease.js';
import { defineCommand, type RequestOf } from './command.js';
import type { ChatContext } from './context.js';
import { isoTime } from '../iso-time.js';
import { ack } from './reply.js';
import { foldKey, parseAlias } from '../../protocol/names.js';
import { assertSameMessage, checkMessageText, idempotencyKey, isResend, laterKey } from './text.js';
import { noteOffline, waitsOffline } from '../inbox.js';

/**
 * Ack a dm; the recipient's away text goes back to the sender (§3 /away), in
 * both modes, and so does the news that it waits for an offline account.
 */
function ackDm(
  ctx: ChatContext,
  user: User,
  req: RequestOf<'dm'>,
  m: StoredMessage,
  away = '',
  offline = false,
): void {
  if (req.id === undefined && !away && !offline) return;
  ack(ctx, user, req, {
    seq: m.seq,
    ts: isoTime(m.ts),
    name: m.to ?? req.to,
    ...(away && { text: away }),
    ...(offline && { offline: true as const }),
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
  const privateStream = account ? accountStream(account.key) : '@~' + (owner.guest ?? '');
  if (!account && owner.guest === undefined)
    throw new ChatError('not_found', `Unknown user: ${name.display}`);
  return { name, away: '', privateStream };
}

/** Whether account `key` is signed in on another node (cluster presence names identities). */
async function onlineElsewhere(ctx: ChatContext, key: string): Promise<boolean> {
  const identity = accountOwner(key);
  return (await ctx.remotePresence()).some((p) => p.identity === identity);
}

/** Store a private message in the recipient's own stream (its identity's, not its alias's: §4). */
export const dm = defineCommand('dm', async (ctx, user, req) => {
  const toKey = foldKey(req.to.trim());
  const key = idempotencyKey(user, '@' + toKey, req.id);
  const action = req.action ?? false;
  let target: Pick<User, 'name' | 'away' | 'privateStream'>;
  let offline = false;
  try {
    const remote = ctx.users.has(toKey) ? undefined : await ctx.remoteUser(req.to);
    // A user on another node: its node follows its private stream.
    target = remote ? await remoteTarget(ctx, remote) : ctx.findUser(req.to);
  } catch (err) {
    // A re-sent dm (§4) gets its original ack even if the recipient has left since.
    const original =
      key === undefined ? undefined : await ctx.store.original(key, { text: req.text });
    if (original && isResend(user, original.message, req.text, action)) {
      // The original ack said `offline` while the message waits unread; so does its repeat.
      const { stream, seq } = original.message;
      ackDm(ctx, user, req, original.message, '', await waitsOffline(ctx.store, stream, seq));
      return;
    }
    if (!(err instanceof ChatError) || err.code !== 'not_found') throw err;
    // Nobody online by that name: an account still gets it at its next
    // login (§4 dm), and a guest whose connection just dropped when it comes back.
    const account = await ctx.store.getAccount(toKey);
    const dropped = account ? undefined : ctx.droppedGuest(toKey);
    if (account) {
      // Signed in under another alias (a /nick keeps the account): live, not offline.
      const here = sessionOfAccount(ctx.users, account.key);
      target = here ?? {
        name: { display: account.name, key: account.key },
        away: '',
        privateStream: accountStream(account.key),
      };
      offline = here === undefined && !(await onlineElsewhere(ctx, account.key));
    } else if (dropped) {
      target = {
        name: parseAlias(dropped.display),
        away: '',
        privateStream: dropped.privateStream,
      };
      offline = true;
    } else {
      throw new ChatError(
        'not_found',
        `No one called ${req.to.trim().slice(0, 40)} is online (private messages wait only for registered accounts)`,
      );
    }
  }
  if (target === user) {
    throw new ChatError('bad_request', 'You cannot send a private message to yourself');
  }
  const text = checkMessageText(ctx, req.text);
  const append = (key: string | undefined): Promise<AppendResult> =>
    ctx.store.append(
      target.privateStream,
      { from: user.name.display, to: target.name.display, text, action, ts: ctx.nowMs() },
      key,
    );
  let { message, duplicate } = await append(key);
  // An earlier connection's id with other text: a new message (isResend).
  if (duplicate && !isResend(user, message, text, action)) {
    ({ message, duplicate } = await append(laterKey(key!, user)));
    if (duplicate) assertSameMessage(message, text, action);
  }
  // Signed in meanwhile: it was delivered live, nothing waits.
  if (
    offline &&
    !duplicate &&
    !ctx.users.has(target.name.key) &&
    !sessionOfAccount(ctx.users, target.name.key)
  ) {
    await noteOffline(ctx.store, target.privateStream, message.seq, ctx.nowMs());
  }
  ackDm(ctx, user, req, message, target.away, offline);
});
