/**
 * File transfer relay (docs/protocol.md §5): one transfer as the relay keeps
 * it, its limits, and the chunk data checks. Pure data and functions; the
 * registry and its state machine are transfers.ts's, the per-connection
 * chunk budget transfer-budget.ts's.
 */
import { ChatError } from '../protocol/errors.js';
import type { FileEvent } from '../protocol/file-messages.js';
import type { User } from './model.js';

export interface TransferLimits {
  /** Largest file an offer may announce (`--max-file-bytes`). */
  maxFileBytes: number;
  /** A transfer with no message for this long ends (`--file-idle-timeout`). */
  idleTimeoutMs: number;
  /** Chunks a sender may have relayed but not acknowledged, per transfer. */
  window: number;
  /**
   * Base64 bytes of chunks written to one connection and not yet acknowledged
   * by it, over all its transfers. Chunks beyond wait in the server, so a chat
   * line for that connection is queued behind at most this much file data.
   */
  connectionBudgetBytes: number;
  /** Transfers one user may be part of at once (sending or receiving). */
  maxPerUser: number;
}

export const DEFAULT_TRANSFER_LIMITS: TransferLimits = {
  maxFileBytes: 10 * 1024 * 1024,
  idleTimeoutMs: 120_000,
  window: 8,
  connectionBudgetBytes: 128 * 1024,
  maxPerUser: 16,
};

/** What the relay needs of the chat: who is online, and the time. */
export interface TransferHost {
  findUser(raw: string): User;
  nowMs(): number;
  timestamp(): string;
}

export interface Side {
  user: User;
  /** Folded alias, for recognising the user when it comes back. */
  key: string;
  display: string;
  online: boolean;
}

export interface Unacked {
  seq: number;
  bytes: number;
  /** Base64 length, the unit of the connection budget. */
  wire: number;
  /** Written to the receiver's connection (not still held for the budget). */
  delivered: boolean;
}

export interface Transfer {
  readonly id: string;
  readonly sender: Side;
  readonly receiver: Side;
  readonly size: number;
  readonly name: string;
  /** The offer as the receiver got it, for a receiver that resumes before answering. */
  readonly offer: Extract<FileEvent, { type: 'file-offer' }>;
  state: 'offered' | 'accepted' | 'ending' | 'done';
  /** The next chunk seq the sender must send. */
  nextSeq: number;
  /** Bytes relayed so far (chunks 0 … nextSeq-1). */
  bytesRelayed: number;
  /** Highest chunk seq the receiver acknowledged, -1 before the first. */
  acked: number;
  /** Bytes of chunks 0 … acked. */
  ackedBytes: number;
  /** Chunks relayed after `acked`, oldest first; at most `window`. */
  unacked: Unacked[];
  /** The receiver's connection dropped since the last resume: what it had not acked is lost. */
  receiverLost: boolean;
  /**
   * Both sides said they can resume (`resumable` on the offer and the
   * accept): a dropped connection pauses the transfer instead of ending it.
   */
  senderResumes: boolean;
  receiverResumes: boolean;
  /** file-done waiting for a sender whose connection dropped. */
  result?: FileEvent;
  lastActivity: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/u;

/** Decoded length of a base64 string already checked against BASE64. */
function decodedLength(data: string): number {
  const pad = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return (data.length / 4) * 3 - pad;
}

/**
 * Take chunk `seq` (base64 `data`) of an accepted transfer whose receiver is
 * online: checked for order, window, encoding and size (ChatError if not),
 * then counted as relayed and awaiting the receiver's file-ack.
 */
export function takeChunk(t: Transfer, seq: number, data: string, window: number): void {
  if (seq !== t.nextSeq) {
    const what = seq < t.nextSeq ? 'a duplicate' : 'out of order';
    throw new ChatError(
      'bad_request',
      `Chunk ${seq} of transfer ${t.id} is ${what}; expected ${t.nextSeq}`,
    );
  }
  if (t.unacked.length >= window) {
    throw new ChatError(
      'rate_limited',
      `Transfer ${t.id} has ${window} chunks unacknowledged; wait for file-ack`,
    );
  }
  if (data.length === 0 || data.length % 4 !== 0 || !BASE64.test(data)) {
    throw new ChatError('bad_request', `Chunk ${seq} of transfer ${t.id} is not valid base64`);
  }
  const bytes = decodedLength(data);
  if (t.bytesRelayed + bytes > t.size) {
    throw new ChatError(
      'too_large',
      `Chunk ${seq} of transfer ${t.id} goes past the offered size of ${t.size} bytes`,
    );
  }
  t.nextSeq++;
  t.bytesRelayed += bytes;
  const entry: Unacked = { seq, bytes, wire: data.length, delivered: false };
  t.unacked.push(entry);
}

/**
 * Both sides are online again: agree on the first chunk the receiver still
 * needs, forget what it will not get, and return that chunk's seq.
 */
export function rewind(t: Transfer): number {
  if (t.receiverLost) {
    // The new connection has seen nothing: start after the last acknowledged chunk.
    t.unacked = [];
    t.receiverLost = false;
  } else {
    // What was written to the receiver's connection reaches it; what was held is dropped.
    t.unacked = t.unacked.filter((u) => u.delivered);
  }
  const seq = (t.unacked.at(-1)?.seq ?? t.acked) + 1;
  t.nextSeq = seq;
  t.bytesRelayed = t.ackedBytes + t.unacked.reduce((n, u) => n + u.bytes, 0);
  if (t.state === 'ending') t.state = 'accepted';
  return seq;
}
