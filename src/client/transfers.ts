/**
 * chat-client's file transfers (docs/protocol.md §5), both directions,
 * without any terminal: the registry of open transfers by id. It hands each
 * file-* event to the side it belongs to (transfer-send.ts,
 * transfer-receive.ts), handles what both share (refusals, cancels, pauses,
 * the connection dropping and coming back), and reports in plain sentences
 * (`notice`) and progress snapshots. transfer-ui.ts puts it on screen.
 *
 * After a reconnect every open transfer asks to resume; the server says from
 * which chunk.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { FileEvent } from '../protocol/file-messages.js';
import type { ServerEvent } from '../protocol/messages.js';
import { ReceivingSide } from './transfer-receive.js';
import { SendingSide } from './transfer-send.js';
import {
  TransferError,
  type Incoming,
  type Transfer,
  type TransferEvents,
  type TransferHost,
  type TransferIO,
  type TransferOptions,
  type TransferView,
} from './transfer-state.js';
import { averageRate, showName, viewOf } from './transfer-view.js';

export {
  TransferError,
  type TransferEvents,
  type TransferIO,
  type TransferOptions,
  type TransferView,
} from './transfer-state.js';
export { WINDOW } from './transfer-send.js';

/** Errors after which the server has already forgotten the transfer. */
const SERVER_ENDED = new Set(['shutting_down', 'timeout', 'not_found']);

/** How many ended transfers /transfers still lists. */
const FINISHED_SHOWN = 10;

export class ClientTransfers extends EventEmitter<TransferEvents> {
  private readonly all = new Map<string, Transfer>();
  /**
   * Ids of transfers that ended here, most recent last: the server may still
   * refuse chunks that were in flight when the other side cancelled, and those
   * refusals are no news to the user.
   */
  private readonly ended: string[] = [];
  /** The last transfers that ended, as /transfers shows them (newest last). */
  private readonly finished: TransferView[] = [];
  private readonly now: () => number;
  private readonly sending: SendingSide;
  private readonly receiving: ReceivingSide;

  constructor(
    private readonly io: TransferIO,
    options: TransferOptions,
  ) {
    super();
    this.now = options.now ?? Date.now;
    const host: TransferHost = {
      io,
      now: () => this.now(),
      add: (t) => this.all.set(t.id, t),
      notice: (text, error) => this.notice(text, error),
      started: (t) => this.started(t),
      progress: () => this.emit('progress'),
      abort: (t, reason, why) => this.abort(t, reason, why),
      fail: (t, why) => this.fail(t, why),
      end: (t) => this.end(t),
    };
    this.sending = new SendingSide(host);
    this.receiving = new ReceivingSide(host, options.downloadDir);
  }

  /** Offer a local file to `to`; resolves with the transfer id once offered. */
  send(to: string, file: string): Promise<string> {
    return this.sending.offer(to, file);
  }

  /** Accept an offer (the only one waiting when `id` is omitted). */
  accept(id?: string): Incoming {
    const t = this.pendingOffer(id);
    this.receiving.accept(t);
    return t;
  }

  /** Refuse an offer (the only one waiting when `id` is omitted). */
  reject(id?: string): Incoming {
    const t = this.pendingOffer(id);
    this.io.send({ type: 'file-reject', id: t.id });
    this.end(t, 'declined');
    return t;
  }

  /** Stop a transfer in either direction; a partial download is deleted. */
  cancel(id: string): Transfer {
    const t = this.all.get(id);
    if (!t) throw new TransferError(`No transfer ${id}; /transfers lists them`);
    this.io.send({ type: 'file-cancel', id });
    this.end(t, 'cancelled');
    return t;
  }

  list(): TransferView[] {
    const now = this.now();
    return [...this.finished, ...[...this.all.values()].map((t) => viewOf(t, now))];
  }

  /** Transfers whose bytes are flowing (for the progress bar). */
  active(): TransferView[] {
    // Ended ones never match: their states are done, failed, declined and the like.
    return this.list().filter((v) =>
      ['sending', 'ending', 'receiving', 'paused'].includes(v.state),
    );
  }

  /** Handle a server event if it belongs to a transfer; true when it did. */
  onEvent(event: ServerEvent): boolean {
    if (event.type === 'ack' && event.op === 'file-offer') {
      const t = event.id === undefined ? undefined : this.all.get(event.id);
      if (!t || t.dir !== 'out') return false;
      this.sending.offerAcked(t);
      return true;
    }
    if (event.type === 'error') {
      const t = event.id === undefined ? undefined : this.all.get(event.id);
      if (!t) return event.id !== undefined && this.ended.includes(event.id);
      // In words, as every other refusal is shown (the code is for programs).
      const why = event.message;
      if (SERVER_ENDED.has(event.code)) this.fail(t, why);
      else this.abort(t, undefined, why);
      return true;
    }
    if (!event.type.startsWith('file-')) return false;
    const e = event as FileEvent;
    try {
      this.onFileEvent(e);
    } catch (err) {
      // A disk error ends this transfer, never the connection or the others.
      const t = this.all.get(e.id);
      if (!t) throw err;
      this.abort(t, 'the other side had a local error', (err as Error).message);
    }
    return true;
  }

  /** Our connection dropped: nothing can be sent until it is back. */
  connectionLost(): void {
    for (const t of this.all.values()) t.paused ??= 'reconnecting';
    this.emit('progress');
  }

  /** Our connection is back: every open transfer asks the server where to go on. */
  reconnected(): void {
    // An offer still unanswered may never have reached the server: it says not_found if so.
    for (const t of this.all.values()) this.io.send({ type: 'file-resume', id: t.id });
  }

  /** The client is leaving: close files and delete partial downloads. */
  close(): void {
    for (const t of [...this.all.values()]) this.end(t);
  }

  private onFileEvent(e: FileEvent): void {
    if (e.type === 'file-offer') {
      const known = this.all.get(e.id);
      // Offered again after a reconnect of the sender: the same offer, still waiting.
      if (known) known.paused = undefined;
      else this.receiving.offered(e);
      return;
    }
    const t = this.all.get(e.id);
    if (!t) return;
    switch (e.type) {
      case 'file-accept':
        if (t.dir === 'out') this.sending.accepted(t);
        return;
      case 'file-reject':
        this.notice(`${t.peer} declined ${t.name}${e.reason ? `: ${e.reason}` : ''}`);
        this.end(t, 'declined');
        return;
      case 'file-ack':
        if (t.dir === 'out') this.sending.acked(t, e.seq);
        return;
      case 'file-chunk':
        if (t.dir === 'in') this.receiving.chunk(t, e.seq, e.data);
        return;
      case 'file-end':
        if (t.dir === 'in') this.receiving.verify(t);
        return;
      case 'file-done':
        if (t.dir === 'out') this.sending.done(t, e.ok, e.reason);
        return;
      case 'file-cancel':
        this.fail(t, `${e.from} cancelled it${e.reason ? `: ${e.reason}` : ''}`);
        return;
      case 'file-pause':
        t.paused = e.reason;
        this.notice(`Transfer ${t.id} (${showName(t.name)}) paused: ${e.reason}`);
        this.emit('progress');
        return;
      case 'file-resume':
        t.paused = undefined;
        if (t.dir === 'out') this.sending.resume(t, e.seq);
        else this.receiving.resume(t, e.seq);
        return;
    }
  }

  private pendingOffer(id: string | undefined): Incoming {
    const offers = [...this.all.values()].filter(
      (t): t is Incoming => t.dir === 'in' && t.state === 'offered',
    );
    if (id === undefined) {
      if (offers.length === 0) throw new TransferError('No file offer is waiting for an answer');
      if (offers.length > 1) {
        throw new TransferError(
          `${offers.length} offers are waiting; name one: ${offers.map((o) => o.id).join(', ')}`,
        );
      }
      return offers[0]!;
    }
    const t = offers.find((o) => o.id === id);
    if (!t) throw new TransferError(`No file offer ${id} is waiting; /transfers lists them`);
    return t;
  }

  private started(t: Transfer): void {
    t.since = this.now();
    t.sinceBytes = t.done;
    t.firstStart ??= t.since;
    this.emit('progress');
  }

  private abort(t: Transfer, reason: string | undefined, why: string): void {
    this.io.send(
      reason === undefined
        ? { type: 'file-cancel', id: t.id }
        : { type: 'file-cancel', id: t.id, reason },
    );
    this.fail(t, why);
  }

  private fail(t: Transfer, why: string): void {
    const dir = t.dir === 'out' ? `to ${t.peer}` : `from ${t.peer}`;
    // The server's word names the transfer too ("Transfer f1 (a.txt) aborted: Bo
    // left", "… timed out: nothing happened for 120 s"): once is enough.
    const named = `Transfer ${t.id} (${t.name}) `;
    const said = why.startsWith(named) ? why.slice(named.length) : `failed: ${why}`;
    const aborted = 'aborted: ';
    const outcome = said.startsWith(aborted) ? `failed: ${said.slice(aborted.length)}` : said;
    this.notice(`Transfer ${t.id} (${showName(t.name)}) ${dir} ${outcome}`, true);
    this.end(t, 'failed');
  }

  /**
   * Forget a transfer: close its file; an unfinished download leaves nothing
   * behind. /transfers keeps showing the last few, with how they ended.
   */
  private end(t: Transfer, outcome?: string): void {
    if (this.all.has(t.id)) {
      const state = outcome ?? (t.done >= t.size ? 'done' : 'ended');
      // Its average rate: /help promises a rate, and a tester looked after the end.
      const now = this.now();
      this.finished.push({ ...viewOf(t, now), state, rate: averageRate(t, now) });
      if (this.finished.length > FINISHED_SHOWN) this.finished.shift();
    }
    this.all.delete(t.id);
    this.ended.push(t.id);
    if (this.ended.length > 64) this.ended.shift();
    if (t.fd !== undefined) {
      try {
        fs.closeSync(t.fd);
      } catch {
        // Already closed.
      }
    }
    if (t.dir === 'in' && t.temp !== undefined) fs.rmSync(t.temp, { force: true });
    this.emit('progress');
  }

  private notice(text: string, error = false): void {
    this.emit('notice', { text, error });
  }
}
