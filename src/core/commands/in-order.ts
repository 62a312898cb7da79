import type { ChatContext } from './context.js';

/**
 * Moderation commands take effect in the order they were sent (docs/protocol.md
 * §3): `/ban X` then `/unban X` must not run the unban's store call before the
 * ban's. One chain per server, since an operator's commands race each other's
 * store awaits, and different operators' commands on one target race too.
 */
const chains = new WeakMap<ChatContext, Promise<unknown>>();

export function inOrder(ctx: ChatContext, work: () => Promise<void>): Promise<void> {
  const run = (chains.get(ctx) ?? Promise.resolve()).then(work);
  chains.set(
    ctx,
    run.catch(() => undefined),
  );
  return run;
}
