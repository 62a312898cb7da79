/**
 * A JSON-mode client for fault tests that keeps the books a reconnecting
 * client keeps (docs/protocol.md §4 "Delivery guarantees"): the last seq and epoch
 * of every stream (rooms and `@`) to resume from, its unacked `say`/`dm`
 * requests to re-send with the same ids, and every message it received,
 * counted by (stream, seq) so that losses, duplicates and reordering show up.
 *
 * Unlike chat-client it never drops a duplicate: it counts it. Lines are split
 * and handled synchronously as bytes arrive, so what `cut()` throws away is
 * exactly what the client never saw. Every wait is on received lines (or a
 * close) with a deadline; there are no fixed sleeps.
 */
import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

export type Json = Record<string, unknown>;

/** A message as received: a room message (stream = room) or a private one (stream `@`). */
export interface Received {
  stream: string;
  seq: number;
  from: string;
  text: string;
  /** Which connection of this client received it (1 = the first). */
  conn: number;
  /** True when it came inside a `history` event (join or resume replay). */
  replay: boolean;
}

export type ResumePoint = number | { seq: number; epoch?: string };

export interface ConnectOptions {
  /**
   * `true`: resume every room this client is in (and `@` when it tracks
   * private messages) from its books; an object: send exactly this resume map.
   */
  resume?: boolean | Record<string, ResumePoint>;
  /** hello.history; bots ask for 0. */
  history?: number;
  timeoutMs?: number;
  /** false: do not present the guest session token of an earlier welcome (act as someone new). */
  session?: boolean;
}

export const WAIT_MS = 10_000;

/** Listeners notified after every line a client handles and on every close. */
type Wake = () => void;

export class TrackedClient {
  /** Rooms this client is in (display names): what a resume rejoins. */
  readonly rooms = new Set<string>();
  /** Resume point per stream: highest seq received or acked, and the stream's epoch. */
  readonly last = new Map<string, { seq: number; epoch?: string }>();
  readonly received: Received[] = [];
  /** Every JSON object received, with the connection it came on. */
  readonly objects: Array<{ conn: number; o: Json }> = [];
  /** Unacked `say`/`dm` requests by id, in the order they were first sent. */
  readonly pending = new Map<string, Json>();
  /** Every request this client made that carries an id, by id. */
  readonly requests = new Map<string, Json>();
  readonly acks = new Map<string, Json>();
  /** How many acks arrived per id (a re-send legitimately gets a second one). */
  readonly ackCounts = new Map<string, number>();
  readonly errors = new Map<string, Json>();
  /** Replies to queries (history with an id, pong) by id. */
  readonly replies = new Map<string, Json>();
  /** Received messages that repeated a (stream, seq) already received. */
  duplicates: Received[] = [];
  /** Received messages whose seq was below one already received on the stream. */
  outOfOrder: Received[] = [];
  /** Connections opened so far; the current one's number. */
  conn = 0;
  /** Welcome received and socket not yet closed. */
  connected = false;
  /** The guest session token of the last welcome (docs/protocol.md §2). */
  session: string | undefined;
  private readonly counts = new Map<string, Map<number, number>>();
  private readonly maxReceived = new Map<string, number>();
  private socket: Socket | undefined;
  private nextId = 0;
  private readonly wakes = new Set<Wake>();

  constructor(
    readonly name: string,
    readonly options: {
      /** Resume `@` too (private messages). */
      trackPrivate?: boolean;
      /** Re-send unacked requests as soon as a welcome arrives (default true). */
      resendOnWelcome?: boolean;
    } = {},
  ) {}

  /** Open a connection, send hello (with a resume map if asked) and wait for welcome. */
  async connect(port: number, opts: ConnectOptions = {}): Promise<Json> {
    if (this.socket && !this.socket.destroyed) throw new Error(`${this.name}: still connected`);
    const conn = ++this.conn;
    const socket = connect({ port, host: '127.0.0.1' });
    this.socket = socket;
    socket.setNoDelay(true);
    const decoder = new StringDecoder('utf8');
    let partial = '';
    let ended = false;
    socket.on('data', (chunk: Buffer) => {
      if (ended) return;
      const lines = (partial + decoder.write(chunk)).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (ended) return;
        this.onLine(conn, line);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      ended = true;
      if (this.conn === conn) this.connected = false;
      this.wake();
    });
    // What cut() discards is never handled, even if it is already buffered.
    socket.once('cut', () => (ended = true));

    const hello: Json = { type: 'hello', version: 1, name: this.name };
    if (opts.history !== undefined) hello.history = opts.history;
    const resume = opts.resume === true ? this.resumeMap() : opts.resume || undefined;
    if (resume) hello.resume = resume;
    // A reconnecting guest presents its session token (docs/protocol.md §2), unless told not to.
    if (opts.session !== false && this.session !== undefined) hello.session = this.session;
    socket.write(JSON.stringify(hello) + '\n');

    const from = this.objects.length;
    await this.until(
      () =>
        this.objects
          .slice(from)
          .some((x) => x.conn === conn && (x.o.type === 'welcome' || x.o.type === 'error')) ||
        socket.destroyed,
      `${this.name}: welcome on connection ${conn}`,
      opts.timeoutMs,
    );
    const first = this.objects
      .slice(from)
      .find((x) => x.conn === conn && (x.o.type === 'welcome' || x.o.type === 'error'));
    if (!first || first.o.type !== 'welcome') {
      throw new Error(`${this.name}: no welcome: ${JSON.stringify(first?.o ?? 'closed')}`);
    }
    if (typeof first.o.session === 'string') this.session = first.o.session;
    return first.o;
  }

  /** The resume map a reconnecting client sends: every room, and `@` if tracked. */
  resumeMap(): Record<string, ResumePoint> {
    const out: Record<string, ResumePoint> = {};
    const point = (stream: string): ResumePoint => {
      const l = this.last.get(stream);
      if (!l) return 0;
      return l.epoch === undefined ? l.seq : { seq: l.seq, epoch: l.epoch };
    };
    for (const room of this.rooms) out[room] = point(room);
    if (this.options.trackPrivate) out['@'] = point('@');
    return out;
  }

  /** Send a request as is (it is not re-sent on reconnect unless it is a say/dm sent by say()/dm()). */
  send(req: Json): void {
    if (typeof req.id === 'string') this.requests.set(req.id, req);
    this.socket?.write(JSON.stringify(req) + '\n');
  }

  /** A fresh request id. */
  id(prefix = 'r'): string {
    return `${prefix}${++this.nextId}`;
  }

  /** Queue a room message until acked; sent now if connected, else on the next welcome. Returns its id. */
  say(room: string, text: string, id = this.id('s')): string {
    return this.track({ type: 'say', id, room, text });
  }

  /** Queue a private message until acked (or refused); sent now if connected. */
  dm(to: string, text: string, id = this.id('d')): string {
    return this.track({ type: 'dm', id, to, text });
  }

  private track(req: Json & { id: string }): string {
    this.pending.set(req.id, req);
    if (this.connected) this.send(req);
    return req.id;
  }

  /** Re-send every unacked say/dm, in order, with the same ids (done on every welcome). */
  resendPending(): void {
    for (const req of this.pending.values()) this.send(req);
  }

  /** Stop reading: bytes the server sends from now on pile up unread. */
  pause(): void {
    this.socket?.pause();
  }

  /**
   * Cut the connection at once: whatever the server sent that this client has
   * not handled yet is lost, as when a network path dies.
   */
  cut(): void {
    const s = this.socket;
    if (!s) return;
    s.emit('cut');
    this.connected = false;
    s.destroy();
  }

  /** Ping with a fresh id and wait for its pong: everything the server sent before it has been handled. */
  async fence(timeoutMs = WAIT_MS): Promise<void> {
    const id = this.id('fence');
    this.send({ type: 'ping', id });
    await this.until(() => this.replies.has(id), `${this.name}: pong ${id}`, timeoutMs);
  }

  /** Send a query with a fresh id and wait for its reply (or error). */
  async query(req: Json, timeoutMs = WAIT_MS): Promise<Json> {
    const id = this.id('q');
    this.send({ ...req, id });
    await this.until(
      () => this.replies.has(id) || this.acks.has(id) || this.errors.has(id),
      `${this.name}: reply to ${JSON.stringify(req)}`,
      timeoutMs,
    );
    return this.replies.get(id) ?? this.acks.get(id) ?? this.errors.get(id)!;
  }

  /** Every stored message of a room, oldest first, by JSON `history` paging (before/limit/more). */
  async pageHistory(room: string, limit = 500): Promise<Json[]> {
    const pages: Json[][] = [];
    let before: number | undefined;
    for (;;) {
      const reply = await this.query({
        type: 'history',
        room,
        limit,
        ...(before !== undefined && { before }),
      });
      if (reply.type !== 'history') throw new Error(`history refused: ${JSON.stringify(reply)}`);
      const messages = reply.messages as Json[];
      pages.unshift(messages);
      const first = messages[0];
      if (reply.more !== true || first === undefined) break;
      before = first.seq as number;
    }
    return pages.flat();
  }

  /** How many times this client was told that `user` quit. */
  quitsSeen(user: string): number {
    return this.objects.filter(
      (x) => x.o.type === 'system' && x.o.event === 'quit' && x.o.user === user,
    ).length;
  }

  /** Messages received on a stream, in arrival order. */
  stream(stream: string): Received[] {
    return this.received.filter((r) => r.stream === stream);
  }

  /** How many times (stream, seq) was received. */
  count(stream: string, seq: number): number {
    return this.counts.get(stream)?.get(seq) ?? 0;
  }

  /** Resolve when `pred` holds, re-checked after every line this client handles and on close. */
  until(pred: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    return until([this], pred, what, timeoutMs);
  }

  /** @internal: register a wake-up (used by `until`). */
  onWake(w: Wake): () => void {
    this.wakes.add(w);
    return () => this.wakes.delete(w);
  }

  private wake(): void {
    for (const w of [...this.wakes]) w();
  }

  private onLine(conn: number, line: string): void {
    if (!line.startsWith('{')) return;
    let o: Json;
    try {
      o = JSON.parse(line) as Json;
    } catch {
      return;
    }
    this.objects.push({ conn, o });
    this.handle(conn, o);
    this.wake();
  }

  private handle(conn: number, o: Json): void {
    const id = typeof o.id === 'string' ? o.id : undefined;
    switch (o.type) {
      case 'welcome':
        this.connected = true;
        this.rooms.clear();
        for (const r of o.rooms as string[]) this.rooms.add(r);
        for (const [stream, epoch] of Object.entries(o.epochs as Record<string, string>)) {
          this.setEpoch(stream, epoch);
        }
        // Resend-until-ack: unacked (or queued while offline) requests go first, in order.
        if (this.options.resendOnWelcome !== false) this.resendPending();
        break;
      case 'message':
        this.record(conn, o.room as string, o, false);
        break;
      case 'private':
        this.record(conn, '@', o, false);
        break;
      case 'history':
        if (id !== undefined) {
          this.replies.set(id, o);
          break;
        }
        this.setEpoch(o.room as string, o.epoch as string);
        for (const m of o.messages as Json[]) {
          this.record(conn, m.type === 'private' ? '@' : (m.room as string), m, true);
        }
        break;
      case 'ack':
        if (id === undefined) break;
        this.acks.set(id, o);
        this.ackCounts.set(id, (this.ackCounts.get(id) ?? 0) + 1);
        this.pending.delete(id);
        if (o.op === 'join' && typeof o.room === 'string') this.rooms.add(o.room);
        if (o.op === 'part' && typeof o.room === 'string') this.rooms.delete(o.room);
        // Our own message's seq: everything before it in that room reached us already.
        if (o.op === 'say' && typeof o.seq === 'number') this.bump(o.room as string, o.seq);
        break;
      case 'error':
        if (id === undefined) break;
        this.errors.set(id, o);
        this.pending.delete(id);
        break;
      case 'system':
        // A reset stream starts over: what follows is the recent history of a new one.
        if (o.event === 'reset' && typeof o.room === 'string') {
          this.last.delete(o.room);
          this.maxReceived.delete(o.room);
          this.counts.delete(o.room);
        }
        break;
      default:
        if (id !== undefined) this.replies.set(id, o);
    }
  }

  private setEpoch(stream: string, epoch: string): void {
    const l = this.last.get(stream);
    if (l) l.epoch = epoch;
    else this.last.set(stream, { seq: 0, epoch });
  }

  private bump(stream: string, seq: number): void {
    const l = this.last.get(stream);
    if (!l) this.last.set(stream, { seq });
    else if (seq > l.seq) l.seq = seq;
  }

  private record(conn: number, stream: string, m: Json, replay: boolean): void {
    const r: Received = {
      stream,
      seq: m.seq as number,
      from: m.from as string,
      text: m.text as string,
      conn,
      replay,
    };
    this.received.push(r);
    let counts = this.counts.get(stream);
    if (!counts) this.counts.set(stream, (counts = new Map()));
    const n = counts.get(r.seq) ?? 0;
    counts.set(r.seq, n + 1);
    if (n > 0) this.duplicates.push(r);
    else if (r.seq < (this.maxReceived.get(stream) ?? 0)) this.outOfOrder.push(r);
    this.maxReceived.set(stream, Math.max(this.maxReceived.get(stream) ?? 0, r.seq));
    this.bump(stream, r.seq);
  }
}

/**
 * Resolve when `pred` holds; it is re-checked whenever one of `clients`
 * handles a line or sees its connection close. Fails after `timeoutMs` with
 * `what` in the message.
 */
export function until(
  clients: readonly TrackedClient[],
  pred: () => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const offs: Array<() => void> = [];
    const done = (err?: Error): void => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}`)), timeoutMs);
    const check = (): void => {
      let ok: boolean;
      try {
        ok = pred();
      } catch (err) {
        done(err as Error);
        return;
      }
      if (ok) done();
    };
    for (const c of clients) offs.push(c.onWake(check));
  });
}
