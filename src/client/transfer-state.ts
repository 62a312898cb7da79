/**
 * The data of chat-client's file transfers (client/transfers.ts): one
 * transfer in each direction and its state, what the engine needs of the
 * connection, what each side needs of the engine, and what it shows and
 * reports. Types only, and the error a refused command throws.
 */
import type { FileRequest } from '../protocol/file-messages.js';

export interface TransferIO {
  /** Send a request now; false when not connected (it is then lost, not queued). */
  send(request: FileRequest): boolean;
  /** The server's limits from its welcome. */
  limits(): { maxLineBytes: number; maxFileBytes?: number };
}

export interface TransferOptions {
  downloadDir: string;
  now?: () => number;
}

export type State = 'offering' | 'offered' | 'sending' | 'ending' | 'receiving' | 'verifying';

export interface Base {
  id: string;
  /** The other user. */
  peer: string;
  /** The name as offered (shown), and the safe name it is saved under (incoming). */
  name: string;
  size: number;
  sha256: string;
  state: State;
  /** Bytes confirmed: acked by the receiver (outgoing) or written (incoming). */
  done: number;
  /** When bytes started to flow (after accept or resume), and `done` then; for the rate. */
  since: number;
  sinceBytes: number;
  /** When bytes first started to flow, for the summary (a resume does not reset it). */
  firstStart?: number;
  paused?: string;
}

export interface Outgoing extends Base {
  dir: 'out';
  fd: number;
  chunkSize: number;
  nextSeq: number;
  acked: number;
}

export interface Incoming extends Base {
  dir: 'in';
  safeName: string;
  fd?: number;
  temp?: string;
  nextSeq: number;
  /** offsets[seq]: where chunk seq starts; for truncating on resume. */
  offsets: number[];
}

export type Transfer = Outgoing | Incoming;

/**
 * What the sending side (transfer-send.ts) and the receiving side
 * (transfer-receive.ts) need of the registry that holds every transfer
 * (transfers.ts).
 */
export interface TransferHost {
  readonly io: TransferIO;
  now(): number;
  /** Hold a new transfer, under its id. */
  add(t: Transfer): void;
  /** Tell the user; `error` for failures. */
  notice(text: string, error?: boolean): void;
  /** Bytes start (or start again) to flow: the rate counts from now. */
  started(t: Transfer): void;
  /** Bytes moved: the progress bar wants a redraw. */
  progress(): void;
  /** Tell the other side, through the server, that it is off (`reason`), then fail here with `why`. */
  abort(t: Transfer, reason: string | undefined, why: string): void;
  /** Tell the user it failed, and forget it. */
  fail(t: Transfer, why: string): void;
  /** Forget it: its file closed, a partial download deleted. */
  end(t: Transfer): void;
}

/** One transfer as /transfers and the progress bar show it. */
export interface TransferView {
  id: string;
  direction: 'out' | 'in';
  peer: string;
  name: string;
  size: number;
  done: number;
  state: string;
  /** Bytes per second since bytes started to flow, 0 before. */
  rate: number;
}

export interface TransferEvents {
  /** Something to tell the user; `error` for failures. */
  notice: [{ text: string; error: boolean }];
  /** Progress changed (throttle before drawing). */
  progress: [];
}

/** A refusal of a /send, /accept, … typed by the user. */
export class TransferError extends Error {
  override readonly name = 'TransferError';
}
