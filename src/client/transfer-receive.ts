/**
 * The receiving side of chat-client's file transfers (docs/protocol.md §5):
 * an offer is announced with the safe name it would be saved under; accepted,
 * it is written into a hidden `.part` file in the download directory, each
 * chunk in order and acknowledged; on file-end size and SHA-256 are checked
 * before the file gets its name. A resume truncates to the chunk the server
 * names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { humanBytes, type FileEvent } from '../protocol/file-messages.js';
import { hashFile, publish, safeFileName } from './transfer-files.js';
import { TransferError, type Incoming, type TransferHost } from './transfer-state.js';
import { resumedText, showName, summary } from './transfer-view.js';

/** The temporary file a download is written to: hidden, and named after the transfer too. */
function partFile(dir: string, t: Incoming): string {
  return path.join(
    dir,
    `.${t.safeName.slice(0, 80)}.${t.id.replace(/[^\w-]/gu, '_').slice(0, 40)}.part`,
  );
}

/**
 * A `.part` file untouched this long belongs to no live transfer: a server
 * aborts one idle for `--file-idle-timeout` (2 minutes by default).
 */
export const STALE_PART_MS = 60 * 60 * 1000;

/**
 * Remove the `.part` files of downloads that died with their client (a
 * kill -9, a crash): nothing else ever would (a hands-on trial found one
 * left for good). Only files of our own pattern, untouched for
 * STALE_PART_MS: another chat-client downloading into the same directory
 * writes to its file more often, or its transfer is aborted.
 */
export function sweepStaleParts(dir: string, now: number): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!/^\..+\.[\w-]+\.part$/u.test(name)) continue;
    const file = path.join(dir, name);
    try {
      const st = fs.statSync(file);
      if (st.isFile() && now - st.mtimeMs > STALE_PART_MS) fs.rmSync(file);
    } catch {
      // Gone meanwhile, or not ours to remove: nothing to clean.
    }
  }
}

/** See the module comment; the registry (transfers.ts) hands it the events of incoming transfers. */
export class ReceivingSide {
  /** Stale `.part` files are swept once, at the first download. */
  private swept = false;

  constructor(
    private readonly host: TransferHost,
    private readonly downloadDir: string,
  ) {}

  /** A new offer: held until the user answers it. */
  offered(e: Extract<FileEvent, { type: 'file-offer' }>): void {
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
    this.host.add(t);
    const shown = showName(e.name);
    const saved = safeName === e.name ? '' : ` (would be saved as ${safeName})`;
    this.host.notice(
      `${e.from} offers ${shown}${saved}, ${humanBytes(e.size)} [${e.id}]: /accept ${e.id} or /reject ${e.id}`,
    );
  }

  /** The user accepted `t`: open its `.part` file and say so. */
  accept(t: Incoming): void {
    fs.mkdirSync(this.downloadDir, { recursive: true });
    if (!this.swept) {
      this.swept = true;
      sweepStaleParts(this.downloadDir, Date.now());
    }
    const temp = partFile(this.downloadDir, t);
    t.fd = fs.openSync(temp, 'wx+', 0o600);
    t.temp = temp;
    if (!this.host.io.send({ type: 'file-accept', id: t.id, resumable: true })) {
      this.host.end(t);
      throw new TransferError('Not connected; the offer is lost');
    }
    t.state = 'receiving';
    this.host.started(t);
  }

  /** Write chunk `seq` where the last one ended, and acknowledge it. */
  chunk(t: Incoming, seq: number, data: string): void {
    if (t.state !== 'receiving' || t.fd === undefined) return;
    if (seq !== t.nextSeq) {
      this.host.abort(
        t,
        `chunk ${seq} out of order`,
        `chunk ${seq} arrived out of order (expected ${t.nextSeq})`,
      );
      return;
    }
    const bytes = Buffer.from(data, 'base64');
    if (t.done + bytes.length > t.size) {
      this.host.abort(t, 'more data than offered', 'more data arrived than was offered');
      return;
    }
    fs.writeSync(t.fd, bytes, 0, bytes.length, t.done);
    t.done += bytes.length;
    t.nextSeq++;
    t.offsets[t.nextSeq] = t.done;
    t.paused = undefined;
    this.host.io.send({ type: 'file-ack', id: t.id, seq });
    this.host.progress();
  }

  /** file-end: check size and SHA-256, then give the file its name (never over another). */
  verify(t: Incoming): void {
    if (t.fd === undefined || t.temp === undefined) return;
    t.state = 'verifying';
    let problem: string | undefined;
    if (t.done !== t.size) problem = `got ${t.done} of ${t.size} bytes`;
    else if (hashFile(t.fd, t.size) !== t.sha256) problem = 'SHA-256 does not match';
    if (problem) {
      this.host.io.send({ type: 'file-done', id: t.id, ok: false, reason: problem });
      this.host.fail(t, problem);
      return;
    }
    // Private while incomplete (someone else's bytes, unchecked); once
    // verified, the mode any new file of the user's gets (0666 less the umask).
    fs.fchmodSync(t.fd, 0o666 & ~process.umask());
    fs.closeSync(t.fd);
    t.fd = undefined;
    let saved: string;
    try {
      saved = publish(t.temp, this.downloadDir, t.safeName);
    } catch (err) {
      const why = `could not save: ${(err as Error).message}`;
      this.host.io.send({
        type: 'file-done',
        id: t.id,
        ok: false,
        reason: 'the receiver could not save it',
      });
      this.host.fail(t, why);
      return;
    }
    t.temp = undefined;
    this.host.io.send({ type: 'file-done', id: t.id, ok: true });
    this.host.notice(
      `Received ${showName(t.name)} from ${t.peer}: ${summary(t, this.host.now())}, SHA-256 verified, saved as ${saved}`,
    );
    this.host.end(t);
  }

  /** After a reconnect: go on from chunk `seq`, dropping what was written after it. */
  resume(t: Incoming, seq: number): void {
    if (t.state === 'offered') return;
    const offset = t.offsets[seq];
    if (offset === undefined || seq > t.nextSeq || t.fd === undefined) {
      this.host.abort(
        t,
        'cannot resume there',
        `cannot resume at chunk ${seq}: only ${t.nextSeq} were received`,
      );
      return;
    }
    fs.ftruncateSync(t.fd, offset);
    t.nextSeq = seq;
    t.offsets.length = seq + 1;
    t.done = offset;
    t.state = 'receiving';
    this.host.started(t);
    this.host.notice(resumedText(t));
  }
}
