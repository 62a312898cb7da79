import { ChatError } from '../../protocol/errors.js';
import { foldKey } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { reply } from './reply.js';

export const DEFAULT_HISTORY = 20;
export const MAX_HISTORY = 500;

/**
 * Page through a room's stored messages, oldest first (§4 `history`): back
 * with `before`, forward with `after` (both exclusive), so a resume that
 * reported `more: true` can be completed in order.
 */
export const history = defineCommand('history', async (ctx, user, req) => {
  const room = ctx.memberRoom(user, req.room);
  if (req.before !== undefined && req.after !== undefined) {
    throw new ChatError('bad_request', 'Use before or after, not both');
  }
  const limit = Math.min(Math.max(req.limit ?? DEFAULT_HISTORY, 1), MAX_HISTORY);
  const after = req.after;
  const r =
    after !== undefined
      ? await ctx.store.read(room.name.key, after, limit)
      : await ctx.store.readBefore(room.name.key, req.before, limit);
  reply(user, req, {
    type: 'history',
    room: room.name.display,
    epoch: r.epoch,
    // Ignored users stay ignored in history too.
    messages: r.messages
      .filter((m) => !user.isIgnoring(foldKey(m.from)))
      .map((m) => ctx.messageEvent(room, m, user)),
    // Forward: newer messages exist; back: older retained ones do.
    more:
      after !== undefined
        ? (r.messages.at(-1)?.seq ?? after) < r.top
        : (r.messages[0]?.seq ?? Math.min(req.before ?? Infinity, r.top + 1)) > r.firstRetained,
    // Forward from a seq retention has already passed: say so, as a resume does.
    gap: after !== undefined && r.firstRetained > after + 1 && r.top > after,
  });
});
