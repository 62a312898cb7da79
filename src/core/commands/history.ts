import { foldKey } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { reply } from './reply.js';

export const DEFAULT_HISTORY = 20;
export const MAX_HISTORY = 500;

/** Page back through a room's stored messages, oldest first; `before` is exclusive (§4). */
export const history = defineCommand('history', async (ctx, user, req) => {
  const room = ctx.memberRoom(user, req.room);
  const limit = Math.min(Math.max(req.limit ?? DEFAULT_HISTORY, 1), MAX_HISTORY);
  const r = await ctx.store.readBefore(room.name.key, req.before, limit);
  reply(user, req, {
    type: 'history',
    room: room.name.display,
    epoch: r.epoch,
    // Ignored users stay ignored in history too.
    messages: r.messages
      .filter((m) => !user.isIgnoring(foldKey(m.from)))
      .map((m) => ctx.messageEvent(room, m)),
    more: (r.messages[0]?.seq ?? r.top + 1) > r.firstRetained,
    gap: false,
  });
});
