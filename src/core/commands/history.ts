import { ChatError } from '../../protocol/errors.js';
import { ASKED_FOR, type MessageEvent, type PrivateEvent } from '../../protocol/messages.js';
import type { StoredMessage, StreamKey } from '../../store/store.js';
import type { User } from '../model.js';
import { readBeforeKept, shownTo } from '../replay.js';
import { defineCommand } from './command.js';
import type { ChatContext } from './context.js';
import { reply } from './reply.js';

export const DEFAULT_HISTORY = 20;
export const MAX_HISTORY = 500;

/** The stream a `history` request pages through: a room the user is in, or `@`. */
interface Source {
  storeKey: StreamKey;
  display: string;
  toEvent: (m: StoredMessage) => MessageEvent | PrivateEvent;
}

/**
 * `@` is the user's own private stream (§4 `history`): what a resume of `@`
 * capped at 500 with `more: true` is continued with, as a room's is.
 */
function sourceOf(ctx: ChatContext, user: User, raw: string | undefined): Source {
  if (raw?.trim() === '@') {
    return {
      storeKey: user.privateStream,
      display: '@',
      toEvent: (m) => ctx.privateEvent(m, user),
    };
  }
  const room = ctx.memberRoom(user, raw);
  return {
    storeKey: room.name.key,
    display: room.name.display,
    toEvent: (m) => ctx.messageEvent(room, m, user),
  };
}

/**
 * Page through a stream's stored messages, oldest first (§4 `history`): back
 * with `before`, forward with `after` (both exclusive), so a resume that
 * reported `more: true` can be completed in order.
 */
export const history = defineCommand('history', async (ctx, user, req) => {
  const source = sourceOf(ctx, user, req.room);
  if (req.before !== undefined && req.after !== undefined) {
    throw new ChatError('bad_request', 'Use before or after, not both');
  }
  const limit = Math.min(Math.max(req.limit ?? DEFAULT_HISTORY, 1), MAX_HISTORY);
  const after = req.after;
  const shown = shownTo(user);
  // Back, a page fills up around the user's ignores (`oldest`: the oldest seq read).
  const back =
    after === undefined
      ? await readBeforeKept(ctx.store, source.storeKey, req.before, limit, shown)
      : undefined;
  const r = back ?? (await ctx.store.read(source.storeKey, after!, limit));
  reply(user, req, {
    type: 'history',
    room: source.display,
    epoch: r.epoch,
    // Ignored users stay ignored in history too (back, already left out).
    messages: (back ? r.messages : r.messages.filter(shown)).map(source.toEvent),
    // Forward: newer messages exist; back: older retained ones do. Forward
    // with nothing read, nothing newer is kept: asking again would read nothing again.
    more:
      after !== undefined
        ? r.messages.length > 0 && r.messages.at(-1)!.seq < r.top
        : (back?.oldest ?? Math.min(req.before ?? Infinity, r.top + 1)) > r.firstRetained,
    // Forward from a seq retention has already passed (or a removed account's
    // stream no longer holds): say so, as a resume does.
    gap:
      after !== undefined &&
      r.top > after &&
      (r.firstRetained > after + 1 || r.messages.length === 0),
    [ASKED_FOR]: true,
  });
});
