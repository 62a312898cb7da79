import { foldKey, parseRoom } from '../../protocol/names.js';
import { defineCommand } from './command.js';
import { page } from './page.js';
import { reply } from './reply.js';

interface Listed {
  key: string;
  name: string;
  members: number;
  topic: string;
}

/**
 * Rooms with their member count and topic, one page at a time (§6 "Paging"),
 * across nodes: this node's rooms as they are, plus the members other nodes
 * have in them (and their rooms this node has no one in) from presence.
 */
export const rooms = defineCommand('rooms', async (ctx, user, req) => {
  const cursor = req.cursor === undefined ? undefined : foldKey(req.cursor.trim());
  const all = new Map<string, Listed>();
  for (const r of ctx.rooms.values()) {
    all.set(r.name.key, {
      key: r.name.key,
      name: r.name.display,
      members: r.members.size,
      topic: r.topic,
    });
  }
  let topics: Map<string, { text: string }> | undefined;
  for (const p of await ctx.remotePresence()) {
    for (const display of p.rooms ?? []) {
      const name = parseRoom(display);
      let listed = all.get(name.key);
      if (!listed) {
        topics ??= await ctx.store.listTopics();
        const topic = topics.get(name.key)?.text ?? '';
        all.set(name.key, (listed = { key: name.key, name: name.display, members: 0, topic }));
      }
      listed.members++;
    }
  }
  const p = page(all.values(), (r) => r.key, cursor, req.limit);
  reply(user, req, {
    type: 'rooms',
    rooms: p.items.map((r) => ({ name: r.name, members: r.members, topic: r.topic })),
    total: p.total,
    ...(p.next !== undefined && { next: p.next }),
  });
});
