/**
 * The sending side of chat-client's file transfers (docs/protocol.md §5):
 * check, hash and offer a local file, wait for the accept, then keep at most
 * WINDOW chunks unacknowledged, then file-end and wait for file-done; after a
 * reconnect, go on from the chunk the server names.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { humanBytes, humanBytesApart } from '../protocol/file-messages.js';
import { expandHome, hashPath } from './transfer-files.js';
import { TransferError, type Outgoing, type TransferHost } from './transfer-state.js';
import { resumedText, summary } from './transfer-view.js';

/** Chunks a sender keeps unacknowledged (the server enforces the same, §5). */
export const WINDOW = 8;
/** Largest chunk, whatever the line limit allows. */
const MAX_CHUNK = 48 * 1024;
/** Room in a line for the JSON around a chunk's data (type, a 128-char id, seq). */
const CHUNK_OVERHEAD = 256;

/** Chunk size that keeps a chunk's line within the server's line limit. */
function chunkSize(maxLineBytes: number): number {
  const room = maxLineBytes - CHUNK_OVERHEAD;
  return Math.max(3, Math.min(MAX_CHUNK, Math.floor(room / 4) * 3));
}

/** See the module comment; the registry (transfers.ts) hands it the events of outgoing transfers. */
export class SendingSide {
  /** Ids are ours to make for what we send: random per run, so two runs never collide. */
  private readonly idPrefix = randomBytes(3).toString('hex');
  private nextId = 0;

  constructor(private readonly host: TransferHost) {}

  /** Offer a local file to `to`; resolves with the transfer id once offered. */
  async offer(to: string, file: string): Promise<string> {
    const full = path.resolve(expandHome(file));
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch (err) {
      throw new TransferError(`Cannot read ${file}: ${whyUnreadable(err)}`);
    }
    if (!stat.isFile()) throw new TransferError(`${file} is not a regular file`);
    const max = this.host.io.limits().maxFileBytes;
    if (max !== undefined && stat.size > max) {
      const [size, most] = humanBytesApart(stat.size, max);
      throw new TransferError(
        `${path.basename(full)} is ${size}; the server relays at most ${most}`,
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
      chunkSize: chunkSize(this.host.io.limits().maxLineBytes),
      nextSeq: 0,
      acked: -1,
    };
    this.host.add(t);
    if (
      !this.host.io.send({
        type: 'file-offer',
        id,
        to,
        name: t.name,
        size: t.size,
        sha256,
        resumable: true,
      })
    ) {
      this.host.end(t);
      throw new TransferError('Not connected; try again once reconnected');
    }
    return id;
  }

  /** The server took the offer and passed it on. */
  offerAcked(t: Outgoing): void {
    t.state = 'offered';
    this.host.notice(
      `Offered ${t.name} (${humanBytes(t.size)}) to ${t.peer} [${t.id}]; waiting for them to accept`,
    );
  }

  accepted(t: Outgoing): void {
    if (t.state !== 'offered') return;
    t.state = 'sending';
    this.host.notice(`${t.peer} accepted ${t.name}; sending`);
    this.host.started(t);
    this.pump(t);
  }

  /** The receiver wrote chunk `seq`: the window moves on. */
  acked(t: Outgoing, seq: number): void {
    t.acked = Math.max(t.acked, seq);
    t.done = Math.min(t.size, (t.acked + 1) * t.chunkSize);
    this.pump(t);
    this.host.progress();
  }

  /** The receiver's verdict after file-end. */
  done(t: Outgoing, ok: boolean, reason: string | undefined): void {
    if (ok) {
      t.done = t.size;
      this.host.notice(
        `Sent ${t.name} to ${t.peer}: ${summary(t, this.host.now())}, SHA-256 verified by ${t.peer}`,
      );
      this.host.end(t);
    } else {
      this.host.fail(t, `${t.peer} could not verify it${reason ? `: ${reason}` : ''}`);
    }
  }

  /** After a reconnect the server says which chunk the receiver wants next. */
  resume(t: Outgoing, seq: number): void {
    // An offer accepted while we were away resumes like a transfer at chunk 0.
    if (t.state === 'offering' || t.state === 'offered')
      this.host.notice(`${t.peer} accepted ${t.name}`);
    t.nextSeq = seq;
    t.acked = seq - 1;
    t.done = Math.min(t.size, seq * t.chunkSize);
    t.state = 'sending';
    this.host.started(t);
    this.host.notice(resumedText(t));
    this.pump(t);
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
        this.host.abort(
          t,
          'the file shrank while sending',
          'the file shrank while it was being sent',
        );
        return;
      }
      const data = buf.subarray(0, n).toString('base64');
      if (!this.host.io.send({ type: 'file-chunk', id: t.id, seq: t.nextSeq, data })) return;
      t.nextSeq++;
    }
    if (t.nextSeq * t.chunkSize >= t.size && this.host.io.send({ type: 'file-end', id: t.id })) {
      t.state = 'ending';
    }
  }
}

/** Why a file cannot be read, in words (an errno name means nothing to most people). */
export function whyUnreadable(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file (check the path; Tab completes it)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return (err as Error).message;
  }
}
