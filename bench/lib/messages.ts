/**
 * Types shared by the bench's main thread and its load-generator worker
 * threads, plus the wire format of a bench message.
 *
 * A bench message body is `B|<senderIdx>|<seq>|<sendTimeUs>|` padded with
 * English chat prose to `msgBytes` bytes and ended by LF. Prose, not one
 * repeated letter: a server's per-message work (mentions, sanitizing,
 * encoding) depends on the words, and a run of `x` hid 15 µs of it per
 * message (docs/performance.md, fifth pass). `sendTimeUs` is read from the
 * monotonic clock (process.hrtime), which every thread of every process on the
 * machine shares, so a receiver in another thread can compute the latency.
 * Receivers find the marker `B|` anywhere in a line, so the relay's prefix
 * (`[14:02] <b7> ` for chat-server, `<user7> ` for ncat) does not matter.
 * Join probes are `P|<n>|` lines.
 */

/**
 * `node-relay` is bench/lib/floor-server.ts: a bare Node `net.Server` that
 * relays chunks (no framing, store or state), the floor for (c) and (g).
 */
export type ServerKind = 'chat-server' | 'ncat' | 'node-relay';

/** What a generator client does once everyone has joined. */
export type Role = 'sender' | 'receiver' | 'idle';

export interface ClientSpec {
  idx: number;
  alias: string;
  role: Role;
  /** Releases the window of the senders in its own worker (see docs/performance.md). */
  observer?: boolean;
  localAddress?: string;
  /** Connect to this port instead of the fleet's (scenario h spreads clients over two servers). */
  port?: number;
  /**
   * chat-server only: speak JSON mode (docs/protocol.md §4) instead of text.
   * A JSON sender sends each bench message as a `say` with an `id` (as
   * chat-client and bots do), so the server also acks it.
   */
  json?: boolean;
}

export interface WorkerInit {
  workerId: number;
  host: string;
  port: number;
  kind: ServerKind;
  clients: ClientSpec[];
  msgBytes: number;
  /** Windowed senders: at most this many unanswered messages each (0 = paced instead). */
  window: number;
  /** Paced senders: messages per second each (used when window is 0). */
  ratePerSender: number;
  /** Connections (connecting or not yet joined) in flight at once, in this worker. */
  maxInFlight: number;
  /** A windowed message not answered after this long is counted lost and its slot freed. */
  answerTimeoutMs: number;
}

export type ToWorker =
  | { cmd: 'connect' }
  | { cmd: 'probe'; seq: number }
  | { cmd: 'start' }
  | { cmd: 'measure'; on: boolean }
  | { cmd: 'stop' }
  | { cmd: 'close' };

export interface Progress {
  workerId: number;
  clients: number;
  joined: number;
  failed: number;
  probed: number;
  closedAfterJoin: number;
  deliveries: number;
  sent: number;
  lost: number;
  errorLines: number;
  /** Error lines (`! … [code]`) received, by code. */
  errors: Record<string, number>;
  /** Why clients failed to join, by reason. */
  failReasons: Record<string, number>;
}

/** A Progress with every count at zero. */
export function emptyProgress(workerId: number, clients: number): Progress {
  return {
    workerId,
    clients,
    joined: 0,
    failed: 0,
    probed: 0,
    closedAfterJoin: 0,
    deliveries: 0,
    sent: 0,
    lost: 0,
    errorLines: 0,
    errors: {},
    failReasons: {},
  };
}

export interface WorkerResult extends Progress {
  hist: { counts: number[]; count: number; sum: number; max: number };
  measuredDeliveries: number;
  measuredSent: number;
}

export type FromWorker =
  | { ev: 'progress'; p: Progress }
  | { ev: 'result'; r: WorkerResult }
  | { ev: 'closed' }
  | { ev: 'fatal'; message: string };

export function nowUs(): number {
  const t = process.hrtime();
  return t[0] * 1e6 + Math.floor(t[1] / 1000);
}

/**
 * The padding: ASCII prose that names no bench alias (`b7`, `user7`), with
 * nothing JSON or a terminal would escape.
 */
const PROSE =
  'hey, did you see the build went red again after the last merge? I think the flaky test ' +
  'in the upload suite is back, so let us wait until the team is back from lunch and then ' +
  'run the migration on staging first. Also the new dashboard looks great, thanks for the ' +
  'quick fix! Ping me when the release notes are ready and I will review them today. ';
let pad = PROSE;

/** One bench message line (msgBytes bytes of body plus LF). */
export function encodeMessage(sender: number, seq: number, tsUs: number, msgBytes: number): string {
  const head = `B|${sender}|${seq}|${tsUs}|`;
  if (head.length >= msgBytes) return `${head}\n`;
  while (pad.length < msgBytes) pad += PROSE;
  return `${head}${pad.slice(0, msgBytes - head.length)}\n`;
}

/**
 * One bench message as a JSON `say` line: the same body as encodeMessage (so
 * text receivers see exactly the same line) inside a request with an id.
 * The body needs no JSON escaping (digits, `|` and PROSE).
 */
export function encodeJsonSay(sender: number, seq: number, tsUs: number, msgBytes: number): string {
  const body = encodeMessage(sender, seq, tsUs, msgBytes);
  return `{"type":"say","id":"${seq}","text":"${body.slice(0, -1)}"}\n`;
}
