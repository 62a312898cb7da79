import type { StoredMessage, StreamKey } from '../store/store.js';
import type { Bus, StreamListener } from './bus.js';

/** Single-process Bus: publish calls the stream's listener synchronously, in seq order. */
export class LocalBus implements Bus {
  private readonly listeners = new Map<StreamKey, StreamListener>();

  publish(message: StoredMessage): void {
    this.listeners.get(message.stream)?.(message);
  }

  async subscribe(stream: StreamKey, onMessage: StreamListener): Promise<void> {
    this.listeners.set(stream, onMessage);
  }

  async unsubscribe(stream: StreamKey): Promise<void> {
    this.listeners.delete(stream);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
