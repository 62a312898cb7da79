import type { StoredMessage, StreamKey } from '../store/store.js';
import type { Bus, StreamListener } from './bus.js';

/**
 * Single-process Bus. Appends published in one turn (a store batch) are
 * handed to each stream's listener together, in a microtask right after,
 * keeping seq order within every stream.
 */
export class LocalBus implements Bus {
  private readonly listeners = new Map<StreamKey, StreamListener>();
  private pending: StoredMessage[] = [];

  publish(message: StoredMessage): void {
    if (this.pending.length === 0) queueMicrotask(() => this.dispatch());
    this.pending.push(message);
  }

  async subscribe(stream: StreamKey, onMessages: StreamListener): Promise<void> {
    this.listeners.set(stream, onMessages);
  }

  async unsubscribe(stream: StreamKey): Promise<void> {
    this.listeners.delete(stream);
  }

  /** In one process nothing is ever missed: there is no reconnect to resync after. */
  onResync(): void {}

  private signalListener: ((payload: string) => void) | undefined;

  /** Handed back in a microtask, as a remote Bus would (never inside the caller's turn). */
  signal(payload: string): void {
    queueMicrotask(() => this.signalListener?.(payload));
  }

  async onSignal(listener: (payload: string) => void): Promise<void> {
    this.signalListener = listener;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.pending = [];
    this.signalListener = undefined;
  }

  private dispatch(): void {
    const batch = this.pending;
    this.pending = [];
    const byStream = new Map<StreamKey, StoredMessage[]>();
    for (const m of batch) {
      const list = byStream.get(m.stream);
      if (list) list.push(m);
      else byStream.set(m.stream, [m]);
    }
    for (const [stream, messages] of byStream) this.listeners.get(stream)?.(messages);
  }
}
