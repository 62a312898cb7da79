/**
 * The per-connection chunk budget of the file relay (docs/protocol.md §5):
 * base64 bytes written to one receiving connection and not yet acknowledged,
 * over all its transfers. Chunks beyond the budget wait here, in order, so a
 * chat line for that connection queues behind at most that much file data.
 */
import type { FileEvent } from '../protocol/file-messages.js';
import type { User } from './model.js';
import type { Transfer } from './transfer-model.js';

/** Per receiving connection: budget in use, and chunks waiting for it. */
interface Budget {
  inflight: number;
  held: Array<{ t: Transfer; seq: number; event: FileEvent }>;
}

export class ChunkBudgets {
  private readonly budgets = new Map<User, Budget>();

  constructor(private readonly limits: { readonly connectionBudgetBytes: number }) {}

  /**
   * Queue `event` for `user` (a chunk with its `seq`, or file-end with -1,
   * which so never overtakes the chunks before it) and write what fits.
   */
  hold(user: User, t: Transfer, seq: number, event: FileEvent): void {
    const budget = this.budget(user);
    budget.held.push({ t, seq, event });
    this.pump(user, budget);
  }

  /** `user` acknowledged chunks of `wire` base64 bytes: that much of its budget is free. */
  release(user: User, wire: number): void {
    const budget = this.budgets.get(user);
    if (budget) budget.inflight -= wire;
  }

  /** Write what now fits to `user`. */
  flush(user: User): void {
    const budget = this.budgets.get(user);
    if (budget) this.pump(user, budget);
  }

  /** Drop what is held for `user` of transfer `t` (it restarts from an agreed chunk). */
  unhold(user: User, t: Transfer): void {
    const budget = this.budgets.get(user);
    if (budget) budget.held = budget.held.filter((h) => h.t !== t);
  }

  /** `user`'s connection dropped: what was written to it is lost with it. */
  forget(user: User): void {
    this.budgets.delete(user);
  }

  /** Transfer `t` to `user` ended: its share of the budget is free, and the others go on. */
  finish(user: User, t: Transfer): void {
    const budget = this.budgets.get(user);
    if (!budget) return;
    for (const u of t.unacked) if (u.delivered) budget.inflight -= u.wire;
    budget.held = budget.held.filter((h) => h.t !== t);
    if (budget.inflight <= 0 && budget.held.length === 0) this.budgets.delete(user);
    else this.pump(user, budget);
  }

  /** Write held chunks to a connection while its budget allows (always at least one). */
  private pump(user: User, budget: Budget): void {
    while (budget.held.length > 0) {
      const next = budget.held[0]!;
      const wire = next.event.type === 'file-chunk' ? next.event.data.length : 0;
      if (budget.inflight > 0 && budget.inflight + wire > this.limits.connectionBudgetBytes) return;
      budget.held.shift();
      budget.inflight += wire;
      const entry = next.t.unacked.find((u) => u.seq === next.seq);
      if (entry) entry.delivered = true;
      user.peer.send(next.event);
    }
  }

  private budget(user: User): Budget {
    let b = this.budgets.get(user);
    if (!b) {
      b = { inflight: 0, held: [] };
      this.budgets.set(user, b);
    }
    return b;
  }
}
