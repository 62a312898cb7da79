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
 * This file is the protocol's steps; the registry, with what ends or pauses
 * transfers from outside them (drops, leaves, idle sweep, shutdown), is
 * transfer-registry.ts's, one transfer's data and chunk checks
 * transfer-model.ts's, the per-connection chunk budget transfer-budget.ts's.
 */
import {
  humanBytes,
  humanBytesApart,
  type FileEvent,
  type FileRequest,
} from '../protocol/file-messages.js';
import { ChatError } from '../protocol/errors.js';
import type { User } from './model.js';
import { rewind, takeChunk, type Transfer } from './transfer-model.js';
import { TransferRegistry } from './transfer-registry.js';

export {
  DEFAULT_TRANSFER_LIMITS,
  type TransferHost,
  type TransferLimits,
} from './transfer-model.js';

export class Transfers extends TransferRegistry {
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
      target.peer.send({
        type: 'system',
        event: 'file',
        ts: this.host.timestamp(),
        user: user.name.display,
        text: `${req.name} (${humanBytes(req.size)})`,
      });
      throw new ChatError(
        'forbidden',
        `${target.name.display} is connected ${target.peer.mode === 'irc' ? 'over IRC' : 'in text mode'} and cannot receive files (only JSON clients such as chat-client can)`,
      );
    }
    if (req.size > this.limits.maxFileBytes) {
      const [size, max] = humanBytesApart(req.size, this.limits.maxFileBytes);
      throw new ChatError('too_large', `The file is ${size}; this server relays at most ${max}`);
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
      senderResumes: req.resumable === true,
      receiverResumes: false,
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
      t.receiverResumes = req.resumable === true;
      // The idle clock starts again: an offer answered late must not time out before its first chunk.
      t.lastActivity = this.host.nowMs();
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
}
