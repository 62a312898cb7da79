/**
 * Durable streams (CLUSTER.md "The shape"): one stream per room (key `#room`)
 * and one per user for private messages (key `@user`). Each stream has its own
 * `seq` and an `epoch` that changes when its history is lost or reset.
 */

/** A stream key: a folded room name (`#lobby`) or `@` plus a folded alias. */
export type StreamKey = string;

export interface NewMessage {
  /** Display alias of the sender at the time of sending. */
  from: string;
  /** Private messages: display alias of the recipient. */
  to?: string;
  text: string;
  action: boolean;
  /** Milliseconds since the epoch, set by the server. */
  ts: number;
}

export interface StoredMessage extends NewMessage {
  stream: StreamKey;
  seq: number;
}

export interface AppendResult {
  message: StoredMessage;
  epoch: string;
  /** True when the idempotency key was seen before: `message` is the original. */
  duplicate: boolean;
}

export interface ReadResult {
  epoch: string;
  /** Highest seq ever assigned in this stream (0 when empty). */
  top: number;
  /** Lowest seq still retained (top + 1 when nothing is retained). */
  firstRetained: number;
  /** Oldest first. */
  messages: StoredMessage[];
}

/** Where appended messages are announced; the Bus implements it (doorbell, CLUSTER.md). */
export type Publish = (message: StoredMessage) => void;

/**
 * The persistence contract every backend (SQLite now, Redis for cluster mode)
 * implements and every backend's contract test suite checks.
 */
export interface Store {
  /**
   * Atomically take the next seq, store, trim to retention, then publish. A
   * repeated `idempotencyKey` returns the original message and publishes nothing.
   */
  append(stream: StreamKey, msg: NewMessage, idempotencyKey?: string): Promise<AppendResult>;
  /** Messages with seq > afterSeq, oldest first, at most `limit`. */
  read(stream: StreamKey, afterSeq: number, limit: number): Promise<ReadResult>;
  /** The newest `limit` messages with seq < beforeSeq (all when undefined), oldest first. */
  readBefore(stream: StreamKey, beforeSeq: number | undefined, limit: number): Promise<ReadResult>;
  /** Flush pending writes and release the backend. Idempotent. */
  close(): Promise<void>;
}
