/**
 * An IRC connection's requests to the core, in order (docs/protocol.md §4
 * "Order"): each request gets an id and a note of what its ack or error
 * becomes (Pending), and while one is unanswered the commands after it wait,
 * so `NICK new` then `WHOIS new`, or `TOPIC #a :x` then `TOPIC #a`, are
 * answered as a server answers them, one after the other.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, Timer } from '../core/clock.js';
import { requestSchema } from '../protocol/commands.js';
import type { IrcMessage } from '../protocol/irc-message.js';
import type { ErrorEvent, Request } from '../protocol/messages.js';

/** A request sent to the core, kept until its ack or error says how it went. */
export interface Pending {
  command: string;
  target: string;
  text?: string;
  action?: boolean;
  /** NOTICE: the RFC says no automatic reply, so errors are not reported. */
  quiet?: boolean;
  oldNick?: string;
  /** The sender's nick when it was sent (an echo names it even after a NICK). */
  from?: string;
  reason?: string;
  /** MODE ±b: the mask as typed, echoed back in the MODE line. */
  mask?: string;
  /** MODE #chan b: the ban list asked for, answered as 367s and a 368. */
  banList?: boolean;
}

/**
 * A command waits at most this long for the requests before it to be answered
 * (the core answers each one; this only keeps a connection from hanging if it
 * did not).
 */
const MAX_ORDER_WAIT_MS = 10_000;

/** What the order needs of its connection. */
export interface IrcOrderHost {
  /** Closing, or the socket is already gone: waiting commands are dropped. */
  readonly finished: boolean;
  note(level: 'warn', fields: object, msg: string): void;
  /** Carry out one command: its turn has come. */
  runCommand(msg: IrcMessage): void;
}

/** This connection's requests awaiting their ack or error, and the commands waiting behind them. */
export class IrcRequests {
  private readonly byId = new Map<string, Pending>();
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private nextId = 1;
  /** Commands waiting for this connection's requests in flight to be answered. */
  private deferred: IrcMessage[] | undefined;
  private deferTimer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly host: IrcOrderHost,
  ) {}

  /**
   * Give `req` a fresh id and remember `pending` under it. The request is
   * checked against the same contract as every codec's (src/protocol/
   * commands.ts): what it refuses comes back as the core's bad_request would.
   */
  open(req: Request, pending: Pending): { request: Request } | { error: ErrorEvent } {
    const id = `irc-${this.idPrefix}-${this.nextId++}`;
    this.byId.set(id, pending);
    const checked = requestSchema.safeParse({ ...req, id });
    if (checked.success) return { request: checked.data };
    const message = checked.error.issues[0]?.message ?? 'Invalid request';
    return { error: { type: 'error', code: 'bad_request', message, id } };
  }

  /** Requests sent and not yet answered. */
  get size(): number {
    return this.byId.size;
  }

  /** The request `id` was answered: what it was, or undefined (not ours, or answered already). */
  answered(id: string | undefined): Pending | undefined {
    if (id === undefined) return undefined;
    const p = this.byId.get(id);
    this.byId.delete(id);
    return p;
  }

  /** Run one admitted command now, or after the requests in flight are answered. */
  command(msg: IrcMessage): void {
    if (this.deferred) {
      this.deferred.push(msg);
      return;
    }
    if (this.byId.size > 0) {
      this.deferred = [msg];
      this.deferTimer = this.clock.setTimeout(() => {
        this.host.note('warn', { waiting: this.deferred?.length }, 'irc request unanswered');
        this.resume(true);
      }, MAX_ORDER_WAIT_MS);
      this.deferTimer.unref();
      return;
    }
    this.host.runCommand(msg);
  }

  /** Run `job` once every command handed over so far has run (none is waiting for an answer). */
  whenIdle(job: () => void): void {
    if (!this.deferred && this.byId.size === 0) {
      job();
      return;
    }
    (this.idleJobs ??= []).push(job);
  }

  private idleJobs: Array<() => void> | undefined;

  /** An event's lines are out: if it answered the last request, the waiting commands run. */
  settled(): void {
    if (this.deferred && this.byId.size === 0) this.resume();
    if (this.idleJobs && !this.deferred && this.byId.size === 0) {
      const jobs = this.idleJobs;
      this.idleJobs = undefined;
      for (const job of jobs) job();
    }
  }

  /** The connection is gone: waiting commands never run. */
  stop(): void {
    this.clock.clearTimeout(this.deferTimer);
    this.deferred = undefined;
    this.idleJobs = undefined;
  }

  /** Run the waiting commands until one of them sends a request (the rest wait for it). */
  private resume(force = false): void {
    this.clock.clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    const queue = this.deferred ?? [];
    this.deferred = undefined;
    for (let i = 0; i < queue.length; i++) {
      if (this.host.finished) return;
      if (!force && this.byId.size > 0) {
        // command() starts a new wait with the rest, in order.
        for (const msg of queue.slice(i)) this.command(msg);
        return;
      }
      this.host.runCommand(queue[i]!);
    }
  }
}
