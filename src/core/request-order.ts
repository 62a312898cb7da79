/**
 * The order of one user's requests (docs/protocol.md §4 "Order"): each runs
 * after the previous one's store writes have committed and been fanned out,
 * so everything a connection causes reaches every recipient, and its answers
 * reach it, in the order it was sent. Says behind a say waiting for its
 * commit are pipelined into the same group commit.
 */
import { toChatError } from '../protocol/errors.js';
import { errorEvent, type Request, type ServerEvent } from '../protocol/messages.js';
import type { RequestOf } from '../protocol/commands.js';
import type { Chat } from './chat.js';
import { runCommand } from './commands/index.js';
import { storeSay } from './commands/say.js';
import { sayAnswered, type SayTurn, type User } from './model.js';

/** Mark `turn` answered once `sent` (a say's answer, maybe still going out) is done. */
function answered(turn: SayTurn, sent: void | Promise<void>): void | Promise<void> {
  if (!sent) {
    sayAnswered(turn);
    return;
  }
  return sent.then(() => sayAnswered(turn));
}

export class RequestOrder {
  constructor(private readonly chat: Chat) {}

  /**
   * Handle one request from a connected user. Never throws: refusals go to the
   * peer. Requests of one connection run one at a time, in the order handed
   * over (§4 "Order"): the next starts only once this one's store writes have
   * committed and been fanned out, so everything a connection causes reaches
   * every recipient, and its answers reach it, in the order it was sent.
   */
  handle(user: User, req: Request): void {
    if (req.type === 'say' && this.chat.store.pipelinesAppends) {
      // Pipelining: a say behind a say that is still waiting for its commit
      // is appended now, not after (the store takes its seq at once and
      // commits, publishes and resolves in append order), so a sender's
      // backlog goes into one group commit instead of one commit per line.
      // Its answer still waits for the previous say's (§4 "Order"); any other
      // request (or a say behind one) keeps waiting its turn below. So does a
      // say to another room: a commit reaches readers room by room, so it
      // would arrive after the says behind it (one to #a, one to #b, one to
      // #a reached every reader as #a, #a, #b).
      const tail = user.sayTail;
      const room = tail && this.roomOf(user, req);
      if (tail && user.busy && !user.waiting?.length && room && room === user.sayRoom) {
        user.sayTail = this.pipelineSay(user, req, tail);
        return;
      }
      this.inOrder(user, () => this.runSay(user, req), true);
      return;
    }
    this.inOrder(user, () => this.run(user, req));
  }

  /**
   * A say that may have others pipelined behind it (handle): the `say`
   * command, with a turn among the user's says (ack-order.ts).
   */
  private runSay(user: User, req: RequestOf<'say'>): void | Promise<void> {
    if (!user.connected) return;
    user.sayRoom = this.roomOf(user, req);
    user.lastActive = this.chat.now();
    const turn = user.beginSay();
    return storeSay(this.chat, user, req, turn).then(
      (a) => answered(turn, a.send()),
      (err: unknown) => {
        this.refuse(user, err, req.id);
        sayAnswered(turn);
      },
    );
  }

  /** The key of the room `req` goes to; undefined when it is none of the user's (it will be refused). */
  private roomOf(user: User, req: RequestOf<'say'>): string | undefined {
    if (req.room === undefined) return user.current.name.key;
    try {
      return this.chat.memberRoom(user, req.room).name.key;
    } catch {
      return undefined;
    }
  }

  /** A pipelined say (handle): appended now, answered once `after` has settled. Never rejects. */
  private pipelineSay(user: User, req: RequestOf<'say'>, after: Promise<void>): Promise<void> {
    if (!user.connected) return after;
    user.lastActive = this.chat.now();
    const turn = user.beginSay();
    const answer = storeSay(this.chat, user, req, turn).then(
      (a) => a.send,
      (err: unknown) => () => this.refuse(user, err, req.id),
    );
    return after
      .then(() => answer)
      .then((send) => answered(turn, send()))
      .catch((err: unknown) =>
        this.chat.options.onInternalError?.(err, 'answering a pipelined say'),
      );
  }

  /** Send `event` to the user after the answers to everything handed over before it. */
  answer(user: User, event: ServerEvent): void {
    this.inOrder(user, () => user.peer.send(event));
  }

  /** Run `then` once everything handed over for this user so far is done (a close). */
  afterPending(user: User, then: () => void): void {
    this.inOrder(user, then);
  }

  /**
   * The user's connection ended: once what it sent before is carried out,
   * remove the user (§4 "Order": a quit never overtakes the user's last message).
   */
  leave(user: User, reason: string): void {
    this.inOrder(user, () => this.chat.disconnect(user, reason));
  }

  private run(user: User, req: Request): void | Promise<void> {
    if (!user.connected) return;
    // Heartbeats keep a connection alive; they do not make its user less idle (/whois).
    if (req.type !== 'ping' && req.type !== 'pong') user.lastActive = this.chat.now();
    try {
      const pending = runCommand(this.chat, user, req);
      if (pending) return pending.catch((err: unknown) => this.refuse(user, err, req.id));
    } catch (err) {
      this.refuse(user, err, req.id);
    }
  }

  /**
   * Run `job` after the user's earlier jobs. A synchronous job costs no
   * promise; an asynchronous one holds the queue until it settles. The store
   * publishes an append before it resolves it, so by then the Bus has fanned
   * the message out on this node.
   */
  inOrder(user: User, job: () => void | Promise<void>, isSay = false): void {
    if (user.busy) {
      (user.waiting ??= []).push(job);
      return;
    }
    let next: (() => void | Promise<void>) | undefined = job;
    while (next) {
      user.busy = true;
      let pending: void | Promise<void> = undefined;
      try {
        pending = next();
      } catch (err) {
        // Jobs handle their own refusals; a throw here is a bug, not the user's.
        this.chat.options.onInternalError?.(err, 'running a request in order');
      }
      if (pending) {
        // A say waiting for its commit lets later says be pipelined behind it (handle).
        const mine = pending;
        if (isSay && next === job) user.sayTail = mine;
        const resume = (settled: Promise<void>): void => {
          // Pipelined says are still out: the queue moves on after the last one.
          const tail = user.sayTail;
          if (tail !== undefined && tail !== settled) {
            const next = (): void => resume(tail);
            void tail.then(next, next);
            return;
          }
          user.sayTail = undefined;
          user.busy = false;
          const after = user.waiting?.shift();
          if (after) this.inOrder(user, after);
        };
        pending.then(
          () => resume(mine),
          (err: unknown) => {
            this.chat.options.onInternalError?.(err, 'running a request in order');
            resume(mine);
          },
        );
        return;
      }
      user.busy = false;
      next = user.waiting?.shift();
    }
    if (user.waiting?.length === 0) user.waiting = undefined;
  }

  /** Send a refusal for a failed request to its requester. */
  refuse(user: User, err: unknown, id: string | undefined): void {
    const e = toChatError(err);
    if (e.code === 'internal') this.chat.options.onInternalError?.(err, 'handling a request');
    user.peer.send(errorEvent(e.code, e.message, id, e.retryAfterMs, e.detail));
  }
}
