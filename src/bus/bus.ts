/**
 * Cross-node fan-out (docs/architecture.md): the Bus is a doorbell, the stream is the
 * truth. Appends are announced here with their seq; consumers compare it with
 * the last seq they delivered and read any gap from the Store.
 */
import type { StoredMessage, StreamKey } from '../store/store.js';

/**
 * Receives a stream's appends: one or more messages of that stream, in seq
 * order, announced together (what one store batch appended), so a consumer
 * can fan a burst out as one write per reader.
 */
export type StreamListener = (messages: StoredMessage[]) => void;

export interface Bus {
  /** Announce an appended message to every subscriber of its stream. */
  publish(message: StoredMessage): void;
  /** Start receiving a stream's appends; resolves once live. One listener per stream. */
  subscribe(stream: StreamKey, onMessage: StreamListener): Promise<void>;
  unsubscribe(stream: StreamKey): Promise<void>;
  /**
   * Called after the Bus reconnected (anything published meanwhile was lost):
   * each consumer re-reads its streams from its last seq (StreamFollower.resync).
   * A Bus that cannot lose its connection never calls it.
   */
  onResync(callback: () => void): void;
  /**
   * Cluster control (presence, kicks, takeovers): a notice for every node,
   * this one included, at most once and in order from one sender. Chat text
   * never goes this way: it is stored and announced through its stream.
   */
  signal(payload: string): void;
  /** Receive every node's signals; resolves once live. One listener. */
  onSignal(listener: (payload: string) => void): Promise<void>;
  close(): Promise<void>;
}
