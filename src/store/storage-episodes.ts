/**
 * Storage failures as episodes for the operator's log: reported once when
 * writes start failing and once when they work again, with how many appends
 * failed in between, instead of once per refused message.
 */
import type { StoreError } from './store-error.js';

/** One report of an episode (see the module comment). */
export interface StorageReport {
  state: 'failing' | 'recovered';
  /** The first failure's reason (failing), or the last one's (recovered). */
  reason: string;
  /** Appends refused in this episode so far. */
  failed: number;
}

export class StorageEpisodes {
  /** The current episode: appends refused since writes started failing. */
  private failing: { reason: string; failed: number } | undefined;

  constructor(private readonly report: (report: StorageReport) => void) {}

  /** A batch of `count` appends was refused: report the episode's start once. */
  failed(failure: StoreError, count: number): void {
    if (failure.failure === 'lease') return; // reported once, by the lease
    if (this.failing) {
      this.failing.failed += count;
      return;
    }
    this.failing = { reason: failure.message, failed: count };
    this.report({ state: 'failing', ...this.failing });
  }

  /** A batch committed: the episode, if any, is over. */
  succeeded(): void {
    if (!this.failing) return;
    this.report({ state: 'recovered', ...this.failing });
    this.failing = undefined;
  }
}
