/**
 * chat-client's file transfers (docs/protocol.md §5), both directions,
 * without any terminal: it sends and receives the file-* messages through a
 * `send` function, reads and writes files, and reports in plain sentences
 * (`notice`) and progress snapshots. transfer-ui.ts puts it on screen.
 *
 * Sending: hash, offer, wait for the accept, then keep at most WINDOW chunks
 * unacknowledged, then file-end and wait for file-done. Receiving: accept
 * into a temporary file, write each chunk in order and acknowledge it, and on
 * file-end check size and SHA-256 before the file gets its name. After a
 * reconnect every open transfer asks to resume; the server says from which
 * chunk.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { humanBytes, type FileEvent } from '../protocol/file-messages.js';
import type { ServerEvent } from '../protocol/messages.js';
import { expandHome, hashFile, hashPath, publish, safeFileName } from './transfer-files.js';
import {
  TransferError,
  type Incoming,
  type Outgoing,
  type Transfer,
  type TransferEvents,
  type TransferIO,
  type TransferOptions,
  type TransferView,
} from './transfer-state.js';

export {
  TransferError,
  type TransferEvents,
  type TransferIO,
  type TransferOptions,
  type TransferView,
} from './transfer-state.js';

/** Chunks a sender keeps unacknowledged (the server enforces the same, §5). */
export const WINDOW = 8;
/** Largest chunk, whatever the line limit allows. */
const MAX_CHUNK = 48 * 1024;
/** Room in a line for the JSON around a chunk's data (type, a 128-char id, seq). */
const CHUNK_OVERHEAD = 256;
/** Errors after which the server has already forgotten the transfer. */
const SERVER_ENDED = new Set(['shutting_down', 'timeout', 'not_found']);

export class ClientTransfers extends EventEmitter<TransferEvents> {
  private readonly all = new Map<string, Transfer>();
  /**
   * Ids of transfers that ended here, most recent last: the server may still
   * refuse chunks that were in flight when the other side cancelled, and those
   * refusals are no news to the user.
   */
  private readonly ended: string[] = [];
  private readonly now: () => number;
  private readonly idPrefix = randomBytes(3).toString('hex');
  private nextId = 0;

  constructor(
    private readonly io: TransferIO,
    private readonly options: TransferOptions,
  ) {
    super();
    this.now = options.now ?? Date.now;
  }

  /** Offer a local file to `to`; resolves with the transfer id once offered. */
  async send(to: string, file: string): Promise<string> {
    const full = path.resolve(expandHome(file));
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch (err) {
      throw new TransferError(
        `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    if (!stat.isFile()) throw new TransferError(`${file} is not a regular file`);
    const max = this.io.limits().maxFileBytes;
    if (max !== undefined && stat.size > max) {
      throw new TransferError(
        `${path.basename(full)} is ${humanBytes(stat.size)}; the server relays at most ${humanBytes(max)}`,
      );
    }
    const sha256 = await hashPath(full);
    const fd = fs.openSync(full, 'r');
    const id = `f${this.idPrefix}${++this.nextId}`;
    const t: Outgoing = {
      dir: 'out',
      id,
      peer: to,
      name: path.basename(full),
      size: stat.size,
      sha256,
      state: 'offering',
      done: 0,
      since: 0,
      sinceBytes: 0,
      fd,
      chunkSize: this.chunkSize(),
      nextSeq: 0,
      acked: -1,
    };
    this.all.set(id, t);
    if (!this.io.send({ type: 'file-offer', id, to, name: t.name, size: t.size, sha256 })) {
      this.end(t);
      throw new TransferError('Not connected; try again once reconnected');
    }
    return id;
  }

  /** Accept an offer (the only one waiting when `id` is omitted). */
  accept(id?: string): Incoming {
    const t = this.pendingOffer(id);
    fs.mkdirSync(this.options.downloadDir, { recursive: true });
    const temp = path.join(
      this.options.downloadDir,
      `.${t.safeName.slice(0, 80)}.${t.id.replace(/[^\w-]/gu, '_').slice(0, 40)}.part`,
    );
    t.fd = fs.openSync(temp, 'wx+', 0o600);
    t.temp = temp;
    if (!this.io.send({ type: 'file-accept', id: t.id })) {
      this.end(t);
      throw new TransferError('Not connected; the offer is lost');
    }
    t.state = 'receiving';
    this.started(t);
    return t;
  }

  /** Refuse an offer (the only one waiting when `id` is omitted). */
  reject(id?: string): Incoming {
    const t = this.pendingOffer(id);
    this.io.send({ type: 'file-reject', id: t.id });
    this.end(t);
    return t;
  }

  /** Stop a transfer in either direction; a partial download is deleted. */
  cancel(id: string): Transfer {
    const t = this.all.get(id);
    if (!t) throw new TransferError(`No transfer ${id}; /transfers lists them`);
    this.io.send({ type: 'file-cancel', id });
    this.end(t);
    return t;
  }

  list(): TransferView[] {
    return [...this.all.values()].map((t) => ({
      id: t.id,
      direction: t.dir,
      peer: t.peer,
      name: t.name,
      size: t.size,
      done: t.done,
      state: t.paused
        ? 'paused'
        : t.state === 'offered' && t.dir === 'in'
          ? 'offered to you'
          : t.state,
      rate: this.rate(t),
    }));
  }

  /** Transfers whose bytes are flowing (for the progress bar). */
  active(): TransferView[] {
    return this.list().filter((v) =>
      ['sending', 'ending', 'receiving', 'paused'].includes(v.state),
    );
  }

  /** Handle a server event if it belongs to a transfer; true when it did. */
  onEvent(event: ServerEvent): boolean {
    if (event.type === 'ack' && event.op === 'file-offer') {
      const t = event.id === undefined ? undefined : this.all.get(event.id);
      if (!t || t.dir !== 'out') return false;
      t.state = 'offered';
      this.notice(
        `Offered ${t.name} (${humanBytes(t.size)}) to ${t.peer} [${t.id}]; waiting for them to accept`,
      );
      return true;
    }
    if (event.type === 'error') {
      const t = event.id === undefined ? undefined : this.all.get(event.id);
      if (!t) return event.id !== undefined && this.ended.includes(event.id);
      if (!SERVER_ENDED.has(event.code)) this.io.send({ type: 'file-cancel', id: t.id });
      this.fail(t, `${event.message} [${event.code}]`);
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
      this.io.send({ type: 'file-cancel', id: t.id, reason: 'the other side had a local error' });
      this.fail(t, (err as Error).message);
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
      if (known) known.paused = undefined;
      else this.offered(e);
      return;
    }
    const t = this.all.get(e.id);
    if (!t) return;
    switch (e.type) {
      case 'file-accept':
        if (t.dir !== 'out' || t.state !== 'offered') return;
        t.state = 'sending';
        this.notice(`${t.peer} accepted ${t.name}; sending`);
        this.started(t);
        this.pump(t);
        return;
      case 'file-reject':
        this.notice(`${t.peer} declined ${t.name}${e.reason ? `: ${e.reason}` : ''}`);
        this.end(t);
        return;
      case 'file-ack':
        if (t.dir !== 'out') return;
        t.acked = Math.max(t.acked, e.seq);
        t.done = Math.min(t.size, (t.acked + 1) * t.chunkSize);
        this.pump(t);
        this.emit('progress');
        return;
      case 'file-chunk':
        if (t.dir === 'in') this.chunk(t, e.seq, e.data);
        return;
      case 'file-end':
        if (t.dir === 'in') this.verify(t);
        return;
      case 'file-done':
        if (t.dir !== 'out') return;
        if (e.ok) {
          t.done = t.size;
          this.notice(
            `Sent ${t.name} to ${t.peer}: ${this.summary(t)}, SHA-256 verified by ${t.peer}`,
          );
          this.end(t);
        } else {
          this.fail(t, `${t.peer} could not verify it${e.reason ? `: ${e.reason}` : ''}`);
        }
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
        this.resumed(t, e.seq);
        return;
    }
  }

  private offered(e: Extract<FileEvent, { type: 'file-offer' }>): void {
    if (this.all.has(e.id)) return;
    const safeName = safeFileName(e.name);
    const t: Incoming = {
      dir: 'in',
      id: e.id,
      peer: e.from,
      name: e.name,
      safeName,
      size: e.size,
      sha256: e.sha256,
      state: 'offered',
      done: 0,
      since: 0,
      sinceBytes: 0,
      nextSeq: 0,
      offsets: [0],
    };
    this.all.set(e.id, t);
    const shown = showName(e.name);
    const saved = safeName === e.name ? '' : ` (would be saved as ${safeName})`;
    this.notice(
      `${e.from} offers ${shown}${saved}, ${humanBytes(e.size)} [${e.id}]: /accept ${e.id} or /reject ${e.id}`,
    );
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

  /** Chunk size that keeps a chunk's line within the server's line limit. */
  private chunkSize(): number {
    const room = this.io.limits().maxLineBytes - CHUNK_OVERHEAD;
    return Math.max(3, Math.min(MAX_CHUNK, Math.floor(room / 4) * 3));
  }

  /** Send chunks while the window has room, then file-end. */
  private pump(t: Outgoing): void {
    if (t.state !== 'sending' || t.paused) return;
    const buf = Buffer.allocUnsafe(t.chunkSize);
    while (t.nextSeq - (t.acked + 1) < WINDOW) {
      const offset = t.nextSeq * t.chunkSize;
      if (offset >= t.size) break;
      const n = fs.readSync(t.fd, buf, 0, Math.min(t.chunkSize, t.size - offset), offset);
      if (n <= 0) {
        this.io.send({ type: 'file-cancel', id: t.id, reason: 'the file shrank while sending' });
        this.fail(t, 'the file shrank while it was being sent');
        return;
      }
      const data = buf.subarray(0, n).toString('base64');
      if (!this.io.send({ type: 'file-chunk', id: t.id, seq: t.nextSeq, data })) return;
      t.nextSeq++;
    }
    if (t.nextSeq * t.chunkSize >= t.size && this.io.send({ type: 'file-end', id: t.id })) {
      t.state = 'ending';
    }
  }

  private chunk(t: Incoming, seq: number, data: string): void {
    if (t.state !== 'receiving' || t.fd === undefined) return;
    if (seq !== t.nextSeq) {
      this.io.send({ type: 'file-cancel', id: t.id, reason: `chunk ${seq} out of order` });
      this.fail(t, `chunk ${seq} arrived out of order (expected ${t.nextSeq})`);
      return;
    }
    const bytes = Buffer.from(data, 'base64');
    if (t.done + bytes.length > t.size) {
      this.io.send({ type: 'file-cancel', id: t.id, reason: 'more data than offered' });
      this.fail(t, 'more data arrived than was offered');
      return;
    }
    fs.writeSync(t.fd, bytes, 0, bytes.length, t.done);
    t.done += bytes.length;
    t.nextSeq++;
    t.offsets[t.nextSeq] = t.done;
    t.paused = undefined;
    this.io.send({ type: 'file-ack', id: t.id, seq });
    this.emit('progress');
  }

  private verify(t: Incoming): void {
    if (t.fd === undefined || t.temp === undefined) return;
    t.state = 'verifying';
    let problem: string | undefined;
    if (t.done !== t.size) problem = `got ${t.done} of ${t.size} bytes`;
    else if (hashFile(t.fd, t.size) !== t.sha256) problem = 'SHA-256 does not match';
    if (problem) {
      this.io.send({ type: 'file-done', id: t.id, ok: false, reason: problem });
      this.fail(t, problem);
      return;
    }
    fs.closeSync(t.fd);
    t.fd = undefined;
    let saved: string;
    try {
      saved = publish(t.temp, this.options.downloadDir, t.safeName);
    } catch (err) {
      const why = `could not save: ${(err as Error).message}`;
      this.io.send({
        type: 'file-done',
        id: t.id,
        ok: false,
        reason: 'the receiver could not save it',
      });
      this.fail(t, why);
      return;
    }
    t.temp = undefined;
    this.io.send({ type: 'file-done', id: t.id, ok: true });
    this.notice(
      `Received ${showName(t.name)} from ${t.peer}: ${this.summary(t)}, SHA-256 verified, saved as ${saved}`,
    );
    this.end(t);
  }

  private resumed(t: Transfer, seq: number): void {
    t.paused = undefined;
    if (t.dir === 'in' && t.state === 'offered') return;
    if (t.dir === 'out') {
      // An offer accepted while we were away resumes like a transfer at chunk 0.
      if (t.state === 'offering' || t.state === 'offered')
        this.notice(`${t.peer} accepted ${t.name}`);
      t.nextSeq = seq;
      t.acked = seq - 1;
      t.done = Math.min(t.size, seq * t.chunkSize);
      t.state = 'sending';
      this.started(t);
      this.notice(`Transfer ${t.id} (${showName(t.name)}) resumed at ${humanBytes(t.done)}`);
      this.pump(t);
      return;
    }
    const offset = t.offsets[seq];
    if (offset === undefined || seq > t.nextSeq || t.fd === undefined) {
      this.io.send({ type: 'file-cancel', id: t.id, reason: 'cannot resume there' });
      this.fail(t, `cannot resume at chunk ${seq}: only ${t.nextSeq} were received`);
      return;
    }
    fs.ftruncateSync(t.fd, offset);
    t.nextSeq = seq;
    t.offsets.length = seq + 1;
    t.done = offset;
    t.state = 'receiving';
    this.started(t);
    this.notice(`Transfer ${t.id} (${showName(t.name)}) resumed at ${humanBytes(t.done)}`);
  }

  private started(t: Transfer): void {
    t.since = this.now();
    t.sinceBytes = t.done;
    t.firstStart ??= t.since;
    this.emit('progress');
  }

  private rate(t: Transfer): number {
    const seconds = (this.now() - t.since) / 1000;
    if (t.since === 0 || seconds <= 0) return 0;
    return (t.done - t.sinceBytes) / seconds;
  }

  private summary(t: Transfer): string {
    const seconds = Math.max(0.001, (this.now() - (t.firstStart ?? t.since)) / 1000);
    return `${humanBytes(t.size)} in ${seconds.toFixed(1)} s (${humanBytes(Math.round(t.size / seconds))}/s)`;
  }

  private fail(t: Transfer, why: string): void {
    const dir = t.dir === 'out' ? `to ${t.peer}` : `from ${t.peer}`;
    this.notice(`Transfer ${t.id} (${showName(t.name)}) ${dir} failed: ${why}`, true);
    this.end(t);
  }

  /** Forget a transfer: close its file; an unfinished download leaves nothing behind. */
  private end(t: Transfer): void {
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

/** An offered name as shown: quoted, controls made visible, at most 80 characters. */
function showName(name: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const visible = name.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu, '�');
  return JSON.stringify(visible.length > 80 ? `${visible.slice(0, 77)}…` : visible);
}
