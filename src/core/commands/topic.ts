import { ChatError } from '../../protocol/errors.js';
import { defineCommand } from './command.js';
import { ack } from './reply.js';

/**
 * `-lock`/`-unlock` at the start of a typed topic (text mode), or JSON `lock`:
 * what is left is the topic text, if any. `-clear` alone is an empty topic,
 * which text mode has no other way to type (`/topic ""` sets two quotes).
 */
function lockArgs(
  text: string | undefined,
  lock: boolean | undefined,
): [boolean | undefined, string | undefined] {
  if (lock !== undefined || text === undefined) return [lock, text];
  if (text.trim() === '-clear') return [undefined, ''];
  const m = /^-(lock|unlock)(?:\s+([\s\S]*))?$/u.exec(text.trim());
  if (!m) return [undefined, text];
  return [m[1] === 'lock', m[2]?.trim() || undefined];
}

/**
 * Show, set or clear (`text: ""`) the topic of a room the user is in (§3);
 * persisted. Operators may lock a room's topic so only operators change it.
 */
export const topic = defineCommand('topic', async (ctx, user, req) => {
  const room = ctx.memberRoom(user, req.room);
  const [lock, raw] = lockArgs(req.text, req.lock);
  const key = room.name.key;
  if (lock !== undefined || (raw !== undefined && ctx.moderation.isTopicLocked(key))) {
    // Rights read fresh: a demotion takes effect at once (§2).
    if (!(await ctx.isOperator(user))) {
      throw new ChatError(
        'forbidden',
        lock !== undefined
          ? 'Only operators may lock or unlock a topic'
          : `The topic of ${room.name.display} is locked; only operators may change it`,
      );
    }
  }
  if (raw !== undefined) {
    ctx.moderation.assertMaySpeak(user);
    const text = raw.trim();
    // Every /rooms reply carries every topic: a long one is amplification (§6).
    if (Buffer.byteLength(text, 'utf8') > ctx.limits.maxTopicBytes) {
      throw new ChatError(
        'too_large',
        `A topic holds at most ${ctx.limits.maxTopicBytes} bytes (UTF-8)`,
      );
    }
    // The same text again (a second -clear, a repeated set) changes nothing:
    // no write, and no announcement for the room to read twice.
    if (text !== room.topic) {
      await ctx.setTopic(room, text, user);
      const event = ctx.system('topic', {
        room: room.name.display,
        user: user.name.display,
        text: room.topic,
      });
      ctx.broadcast(room, event, user);
    }
  }
  if (lock !== undefined && lock !== ctx.moderation.isTopicLocked(key)) {
    await ctx.moderation.setTopicLock(key, lock);
    ctx.audit({
      action: lock ? 'topic-lock' : 'topic-unlock',
      actor: user.name.display,
      room: room.name.display,
    });
  }
  // Asked, not set: who set it and when, as a join shows it.
  const shown =
    raw === undefined && lock === undefined && room.topic !== ''
      ? { topic: { text: room.topic, by: room.topicBy, at: new Date(room.topicAt).toISOString() } }
      : undefined;
  ack(ctx, user, req, {
    room: room.name.display,
    text: room.topic,
    ...shown,
    // An unlock says so (`locked: false`): without it the ack read as a plain /topic.
    ...(ctx.moderation.isTopicLocked(key) ? { locked: true } : lock === false && { locked: false }),
  });
});
