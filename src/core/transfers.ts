/**
 * File transfer relay (docs/protocol.md §5): the state machine of every
 * transfer the server carries, its limits and the per-connection chunk
 * budget. Pure domain logic: it speaks to users through their Peer, reads
 * the time from an injected clock, and nothing it relays touches a disk.
 *
 * A transfer goes offered → accepted → ending (file-end relayed) → gone
 * (file-done, reject, cancel, abort, idle timeout). When one side's
 * connection drops the transfer waits for it (`file-pause` to the other
 * side) until the idle timeout; a `file-resume` from the returning side
 * restarts it from the first chunk the receiver's connection has not seen.
 *
 * This file is the registry and the state machine; one transfer's data and
 * chunk checks are transfer-model.ts's, the per-connection chunk budget
 * transfer-budget.ts's.
 */
import { humanBytes, type FileEvent, type FileRequest } from '../protocol/file-messages.js';
import type { ErrorCode } from '../protocol/errors.js';
import { ChatError } from '../protocol/errors.js';
import type { User } from './model.js';
import { ChunkBudgets } from './transfer-budget.js';
import {
  DEFAULT_TRANSFER_LIMITS,
  rewind,
  takeChunk,
  type Side,
  type Transfer,
  type TransferHost,
  type TransferLimits,
} from './transfer-model.js';

export {
  DEFAULT_TRANSFER_LIMITS,
  type TransferHost,
  type TransferLimits,
} from './transfer-model.js';

export class Transfers {
  private readonly byId = new Map<string, Transfer>();
  private readonly budgets: ChunkBudgets;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  readonly limits: TransferLimits;

  constructor(
    private readonly host: TransferHost,
    limits: Partial<TransferLimits> = {},
    private readonly onEnd?: (fields: { id: string; outcome: string; bytes: number }) => void,
  ) {
    this.limits = { ...DEFAULT_TRANSFER_LIMITS, ...limits };
    this.budgets = new ChunkBudgets(this.limits);
  }

  /** Transfers under way (for tests and metrics). */
  get size(): number {
    return this.byId.size;
  }

  /** Carry out one file request from `user`; throws ChatError to refuse it. */
  handle(user: User, req: FileRequest): void {
    switch (req.type) {
      case 'file-offer':
        return this.offer(user, req);
      case 'file-accept':
      case 'file-reject':
        return this.answer(user, req);
      case 'file-chunk':
        return this.chunk(user, req);
      case 'file-ack':
        return this.ack(user, req);
      case 'file-end':
        return this.end(user, req.id);
      case 'file-done':
        return this.done(user, req);
      case 'file-cancel':
        return this.cancel(user, req.id, req.reason);
      case 'file-resume':
        return this.resume(user, req.id);
    }
  }

  private offer(user: User, req: Extract<FileRequest, { type: 'file-offer' }>): void {
    const target = this.host.findUser(req.to);
    if (target === user) throw new ChatError('bad_request', 'You cannot send a file to yourself');
    if (target.peer.mode !== 'json') {
      throw new ChatError(
        'forbidden',
        `${target.name.display} is connected in text mode and cannot receive files`,
      );
    }
    if (req.size > this.limits.maxFileBytes) {
      throw new ChatError(
        'too_large',
        `The file is ${humanBytes(req.size)}; this server relays at most ${humanBytes(this.limits.maxFileBytes)}`,
      );
    }
    if (this.byId.has(req.id)) {
      throw new ChatError('bad_request', `Transfer id "${req.id}" is already in use`);
    }
    for (const u of [user, target]) {
      if (this.countFor(u) >= this.limits.maxPerUser) {
        throw new ChatError(
          'rate_limited',
          `${u === user ? 'You have' : `${u.name.display} has`} ${this.limits.maxPerUser} transfers under way already`,
        );
      }
    }
    const ts = this.host.timestamp();
    const offer: Extract<FileEvent, { type: 'file-offer' }> = {
      type: 'file-offer',
      id: req.id,
      from: user.name.display,
      name: req.name,
      size: req.size,
      sha256: req.sha256.toLowerCase(),
      ts,
    };
    const t: Transfer = {
      offer,
      id: req.id,
      sender: this.side(user),
      receiver: this.side(target),
      size: req.size,
      name: req.name,
      state: 'offered',
      nextSeq: 0,
      bytesRelayed: 0,
      acked: -1,
      ackedBytes: 0,
      unacked: [],
      receiverLost: false,
      lastActivity: this.host.nowMs(),
    };
    this.byId.set(t.id, t);
    this.armSweep();
    target.peer.send(offer);
    // The recipient has it (its connection's queue): that is what the ack says.
    user.peer.send({ type: 'ack', id: t.id, op: 'file-offer', ts, name: target.name.display });
  }

  private answer(
    user: User,
    req: Extract<FileRequest, { type: 'file-accept' | 'file-reject' }>,
  ): void {
    const t = this.mine(user, req.id, 'receiver');
    if (t.state !== 'offered') {
      throw new ChatError('bad_request', `Transfer ${t.id} was already answered`, undefined);
    }
    if (req.type === 'file-accept') {
      t.state = 'accepted';
      this.toSender(t, { type: 'file-accept', id: t.id, from: user.name.display });
      return;
    }
    this.toSender(t, {
      type: 'file-reject',
      id: t.id,
      from: user.name.display,
      ...(req.reason !== undefined && { reason: req.reason }),
    });
    this.finish(t, 'rejected');
  }

  private chunk(user: User, req: Extract<FileRequest, { type: 'file-chunk' }>): void {
    const t = this.mine(user, req.id, 'sender');
    if (t.state === 'offered') {
      throw new ChatError(
        'bad_request',
        `Transfer ${t.id} was not accepted yet; chunk ${req.seq} dropped`,
      );
    }
    if (t.state !== 'accepted') {
      throw new ChatError(
        'bad_request',
        `Transfer ${t.id} already ended; chunk ${req.seq} dropped`,
      );
    }
    // The receiver is away: what would be lost anyway is not judged; the
    // resume tells the sender where to start again.
    if (!t.receiver.online) return;
    takeChunk(t, req.seq, req.data, this.limits.window);
    t.lastActivity = this.host.nowMs();
    this.budgets.hold(t.receiver.user, t, req.seq, {
      type: 'file-chunk',
      id: t.id,
      seq: req.seq,
      data: req.data,
    });
  }

  private ack(user: User, req: Extract<FileRequest, { type: 'file-ack' }>): void {
    const t = this.mine(user, req.id, 'receiver');
    if (t.state !== 'accepted' && t.state !== 'ending') {
      throw new ChatError('bad_request', `Transfer ${t.id} is not under way`);
    }
    const last = t.unacked.filter((u) => u.delivered).at(-1)?.seq;
    if (req.seq <= t.acked || last === undefined || req.seq > last) {
      throw new ChatError(
        'bad_request',
        `file-ack ${req.seq} of transfer ${t.id} does not match a chunk awaiting acknowledgement`,
      );
    }
    t.lastActivity = this.host.nowMs();
    while (t.unacked.length > 0 && t.unacked[0]!.seq <= req.seq) {
      const u = t.unacked.shift()!;
      t.acked = u.seq;
      t.ackedBytes += u.bytes;
      this.budgets.release(user, u.wire);
    }
    this.toSender(t, { type: 'file-ack', id: t.id, seq: req.seq });
    this.budgets.flush(user);
  }

  private end(user: User, id: string): void {
    const t = this.mine(user, id, 'sender');
    if (t.state !== 'accepted') {
      throw new ChatError('bad_request', `Transfer ${t.id} is not sending chunks`);
    }
    if (!t.receiver.online) return;
    if (t.bytesRelayed !== t.size) {
      throw new ChatError(
        'bad_request',
        `Transfer ${t.id} ended after ${t.bytesRelayed} of ${t.size} bytes`,
      );
    }
    t.lastActivity = this.host.nowMs();
    t.state = 'ending';
    // Behind the chunks still held for the budget, never before them.
    this.budgets.hold(t.receiver.user, t, -1, { type: 'file-end', id: t.id });
  }

  private done(user: User, req: Extract<FileRequest, { type: 'file-done' }>): void {
    const t = this.mine(user, req.id, 'receiver');
    if (t.state !== 'ending') {
      throw new ChatError('bad_request', `Transfer ${t.id} has not ended yet`);
    }
    const event: FileEvent = {
      type: 'file-done',
      id: t.id,
      ok: req.ok,
      ...(req.reason !== undefined && { reason: req.reason }),
    };
    if (t.sender.online) {
      this.toSender(t, event);
      this.finish(t, req.ok ? 'done' : 'failed');
    } else {
      // Kept for the sender's resume, until the idle timeout.
      t.state = 'done';
      t.result = event;
      t.lastActivity = this.host.nowMs();
    }
  }

  private cancel(user: User, id: string, reason: string | undefined): void {
    const t = this.party(user, id);
    const other = t.sender.user === user ? t.receiver : t.sender;
    if (other.online) {
      other.user.peer.send({
        type: 'file-cancel',
        id: t.id,
        from: user.name.display,
        ...(reason !== undefined && { reason }),
      });
    }
    this.finish(t, 'cancelled');
  }

  /**
   * A side that came back (a new connection under the same alias) picks its
   * transfer up again; once both sides are online both hear where to go on.
   */
  private resume(user: User, id: string): void {
    const t = this.byId.get(id);
    const side =
      t && (t.sender.user === user || t.sender.key === user.name.key)
        ? t.sender
        : t && (t.receiver.user === user || t.receiver.key === user.name.key)
          ? t.receiver
          : undefined;
    if (!t || !side || (side.online && side.user !== user)) {
      throw new ChatError(
        'not_found',
        `Transfer ${id} cannot be resumed: the server no longer has it (it ended, timed out or the server restarted)`,
      );
    }
    side.user = user;
    side.online = true;
    t.lastActivity = this.host.nowMs();
    if (t.state === 'done') {
      if (side === t.sender && t.result) {
        user.peer.send(t.result);
        this.finish(t, t.result.type === 'file-done' && t.result.ok ? 'done' : 'failed');
      }
      return;
    }
    const other = side === t.sender ? t.receiver : t.sender;
    if (!other.online) {
      user.peer.send({
        type: 'file-pause',
        id: t.id,
        reason: `waiting for ${other.display} to reconnect`,
      });
      return;
    }
    if (t.state === 'offered') {
      // Still unanswered: each side hears the offer again as it first did.
      if (side === t.sender) {
        user.peer.send({
          type: 'ack',
          id: t.id,
          op: 'file-offer',
          ts: this.host.timestamp(),
          name: t.receiver.display,
        });
      } else {
        user.peer.send({ ...t.offer, ts: this.host.timestamp() });
      }
      return;
    }
    this.restart(t);
  }

  /** Both sides are online again: agree on the first chunk the receiver still needs. */
  private restart(t: Transfer): void {
    this.budgets.unhold(t.receiver.user, t);
    const seq = rewind(t);
    const event: FileEvent = { type: 'file-resume', id: t.id, seq };
    t.receiver.user.peer.send(event);
    t.sender.user.peer.send(event);
  }

  /**
   * A user's connection dropped without a goodbye: its transfers wait for it
   * (until the idle timeout) and the other sides are told.
   */
  suspend(user: User): void {
    // Chunks written to the dead connection are lost with it.
    this.budgets.forget(user);
    for (const t of this.byId.values()) {
      const side =
        t.sender.user === user ? t.sender : t.receiver.user === user ? t.receiver : undefined;
      if (!side || !side.online) continue;
      side.online = false;
      side.key = user.name.key;
      side.display = user.name.display;
      if (side === t.receiver) t.receiverLost = true;
      t.lastActivity = this.host.nowMs();
      const other = side === t.sender ? t.receiver : t.sender;
      if (other.online && t.state !== 'done') {
        other.user.peer.send({
          type: 'file-pause',
          id: t.id,
          reason: `${side.display}'s connection dropped; waiting up to ${Math.round(this.limits.idleTimeoutMs / 1000)} s for it to come back`,
        });
      }
    }
  }

  /** A user left for good (quit, kick, ban): each of its transfers ends, the other side told. */
  leave(user: User, why: string): void {
    for (const t of [...this.byId.values()]) {
      const other =
        t.sender.user === user ? t.receiver : t.receiver.user === user ? t.sender : undefined;
      if (!other) continue;
      this.tell(
        other,
        t,
        'not_found',
        `Transfer ${t.id} (${t.name}) aborted: ${user.name.display} ${why}`,
      );
      this.finish(t, 'aborted');
    }
  }

  /** The server is stopping (§8): every transfer ends, both sides told. */
  shutdown(): void {
    for (const t of [...this.byId.values()]) {
      const message = `Transfer ${t.id} (${t.name}) aborted: the server is shutting down`;
      this.tell(t.sender, t, 'shutting_down', message);
      this.tell(t.receiver, t, 'shutting_down', message);
      this.finish(t, 'shutdown');
    }
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** End transfers idle for longer than the limit; both sides (if online) told. */
  sweep(): void {
    const now = this.host.nowMs();
    for (const t of [...this.byId.values()]) {
      if (now - t.lastActivity < this.limits.idleTimeoutMs) continue;
      const s = Math.round(this.limits.idleTimeoutMs / 1000);
      const message = `Transfer ${t.id} (${t.name}) timed out: nothing happened for ${s} s`;
      this.tell(t.sender, t, 'timeout', message);
      this.tell(t.receiver, t, 'timeout', message);
      this.finish(t, 'timeout');
    }
  }

  private armSweep(): void {
    if (this.sweepTimer) return;
    const every = Math.max(100, Math.min(1000, this.limits.idleTimeoutMs / 4));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref?.();
  }

  private finish(t: Transfer, outcome: string): void {
    this.byId.delete(t.id);
    this.budgets.finish(t.receiver.user, t);
    this.onEnd?.({ id: t.id, outcome, bytes: t.bytesRelayed });
    if (this.byId.size === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  private side(user: User): Side {
    return { user, key: user.name.key, display: user.name.display, online: true };
  }

  private countFor(user: User): number {
    let n = 0;
    for (const t of this.byId.values()) if (t.sender.user === user || t.receiver.user === user) n++;
    return n;
  }

  /** The transfer `id` in which `user` plays `role`, or not_found. */
  private mine(user: User, id: string, role: 'sender' | 'receiver'): Transfer {
    const t = this.byId.get(id);
    if (!t || t[role].user !== user) {
      const doing = role === 'sender' ? 'sending' : 'receiving';
      throw new ChatError('not_found', `No transfer ${id} that you are ${doing}`);
    }
    return t;
  }

  private party(user: User, id: string): Transfer {
    const t = this.byId.get(id);
    if (!t || (t.sender.user !== user && t.receiver.user !== user)) {
      throw new ChatError('not_found', `No transfer ${id} of yours`);
    }
    return t;
  }

  private toSender(t: Transfer, event: FileEvent): void {
    if (t.sender.online) t.sender.user.peer.send(event);
  }

  private tell(side: Side, t: Transfer, code: ErrorCode, message: string): void {
    if (side.online) side.user.peer.send({ type: 'error', id: t.id, code, message });
  }
}
