/**
 * How long to wait before reconnect attempt `attempt` (1, 2, …), docs/protocol.md
 * §8: exponential from `baseMs`, capped at `maxMs`, with "equal jitter" (at
 * least half the ceiling) so that many clients dropped together spread out
 * instead of returning in one wave. `random` is injectable for tests.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
