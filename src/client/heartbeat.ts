/**
 * §4 Heartbeat, the client's half: after `intervalMs` of silence from the
 * server, ping it; after two more intervals without a word, it is gone.
 */
export class Heartbeat {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ping: () => void,
    private readonly dead: () => void,
  ) {}

  /** The server just spoke (or the session began): start the silence count again. */
  arm(intervalMs: number): void {
    this.stop();
    if (intervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.ping();
      this.timer = setTimeout(this.dead, 2 * intervalMs);
    }, intervalMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
