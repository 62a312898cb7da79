/**
 * The file relay's registry (docs/protocol.md §5): the transfers under way,
 * their limits and chunk budgets, and what ends or pauses them from outside
 * the protocol's steps: a dropped connection (`file-pause` to the other
 * side when both can resume, an abort otherwise), a user who leaves, the
 * idle sweep and the server's shutdown. The steps themselves (offer,
 * accept, chunk, ack, end, done, cancel, resume) are transfers.ts's. Pure
 * domain logic, like the rest of the relay.
 */
import type { FileEvent } from '../protocol/file-messages.js';
import type { ErrorCode } from '../protocol/errors.js';
import { ChatError } from '../protocol/errors.js';
import type { User } from './model.js';
import { ChunkBudgets } from './transfer-budget.js';
import {
  DEFAULT_TRANSFER_LIMITS,
  type Side,
  type Transfer,
  type TransferHost,
  type TransferLimits,
} from './transfer-model.js';

export class TransferRegistry {
  protected readonly byId = new Map<string, Transfer>();
  protected readonly budgets: ChunkBudgets;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  readonly limits: TransferLimits;

  constructor(
    protected readonly host: TransferHost,
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

  /**
   * A user's connection dropped without a goodbye: a transfer whose sides
   * both said they can resume waits for it (until the idle timeout), the
   * other side told with `file-pause`; any other ends as if the user had
   * left (§5: a client that knows no `file-pause` is told with an `error`).
   */
  suspend(user: User): void {
    // Chunks written to the dead connection are lost with it.
    this.budgets.forget(user);
    for (const t of [...this.byId.values()]) {
      const side =
        t.sender.user === user ? t.sender : t.receiver.user === user ? t.receiver : undefined;
      if (!side || !side.online) continue;
      if (!t.senderResumes || !t.receiverResumes) {
        this.abortFor(user, t, "'s connection dropped");
        continue;
      }
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
    for (const t of [...this.byId.values()]) this.abortFor(user, t, ` ${why}`);
  }

  /** End `t` because `user`, one of its sides, is gone; the other side is told `why`. */
  private abortFor(user: User, t: Transfer, why: string): void {
    const other =
      t.sender.user === user ? t.receiver : t.receiver.user === user ? t.sender : undefined;
    if (!other) return;
    this.tell(
      other,
      t,
      'not_found',
      `Transfer ${t.id} (${t.name}) aborted: ${user.name.display}${why}`,
    );
    this.finish(t, 'aborted');
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

  protected armSweep(): void {
    if (this.sweepTimer) return;
    const every = Math.max(100, Math.min(1000, this.limits.idleTimeoutMs / 4));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref?.();
  }

  protected finish(t: Transfer, outcome: string): void {
    this.byId.delete(t.id);
    this.budgets.finish(t.receiver.user, t);
    this.onEnd?.({ id: t.id, outcome, bytes: t.bytesRelayed });
    if (this.byId.size === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  protected side(user: User): Side {
    return { user, key: user.name.key, display: user.name.display, online: true };
  }

  protected countFor(user: User): number {
    let n = 0;
    for (const t of this.byId.values()) if (t.sender.user === user || t.receiver.user === user) n++;
    return n;
  }

  /** The transfer `id` in which `user` plays `role`, or not_found. */
  protected mine(user: User, id: string, role: 'sender' | 'receiver'): Transfer {
    const t = this.byId.get(id);
    if (!t || t[role].user !== user) {
      const doing = role === 'sender' ? 'sending' : 'receiving';
      throw new ChatError('not_found', `No transfer ${id} that you are ${doing}`);
    }
    return t;
  }

  protected party(user: User, id: string): Transfer {
    const t = this.byId.get(id);
    if (!t || (t.sender.user !== user && t.receiver.user !== user)) {
      throw new ChatError('not_found', `No transfer ${id} of yours`);
    }
    return t;
  }

  protected toSender(t: Transfer, event: FileEvent): void {
    if (t.sender.online) t.sender.user.peer.send(event);
  }

  protected tell(side: Side, t: Transfer, code: ErrorCode, message: string): void {
    if (side.online) side.user.peer.send({ type: 'error', id: t.id, code, message });
  }
}
