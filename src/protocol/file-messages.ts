/**
 * Wire types of file transfer (docs/protocol.md §5). Every message names its
 * transfer by `id`: the sender picks it in its `file-offer` and both sides use
 * it until the transfer ends. Chunks carry base64 `data` and a `seq` from 0.
 */

/** What a client may send about a transfer. */
export type FileRequest =
  | {
      type: 'file-offer';
      id: string;
      to: string;
      name: string;
      size: number;
      sha256: string;
      /** The sender can resume after its connection drops (docs/protocol.md §5 "Resume"). */
      resumable?: boolean;
    }
  | { type: 'file-accept'; id: string; resumable?: boolean }
  | { type: 'file-reject'; id: string; reason?: string }
  | { type: 'file-chunk'; id: string; seq: number; data: string }
  | { type: 'file-ack'; id: string; seq: number }
  | { type: 'file-end'; id: string }
  | { type: 'file-done'; id: string; ok: boolean; reason?: string }
  | { type: 'file-cancel'; id: string; reason?: string }
  | { type: 'file-resume'; id: string };

/** What the server relays or says about a transfer. */
export type FileEvent =
  /** To the recipient: someone offers a file. */
  | {
      type: 'file-offer';
      id: string;
      from: string;
      name: string;
      size: number;
      sha256: string;
      ts: string;
    }
  /** To the sender: the recipient accepted or refused. */
  | { type: 'file-accept'; id: string; from: string }
  | { type: 'file-reject'; id: string; from: string; reason?: string }
  /** To the recipient, only after its accept. */
  | { type: 'file-chunk'; id: string; seq: number; data: string }
  /** To the sender: the recipient has every chunk up to `seq`. */
  | { type: 'file-ack'; id: string; seq: number }
  /** To the recipient: no more chunks. */
  | { type: 'file-end'; id: string }
  /** To the other side: a transfer was cancelled by `from`. */
  | { type: 'file-cancel'; id: string; from: string; reason?: string }
  /** To the sender: the recipient checked size and SHA-256 (`ok`) or not. */
  | { type: 'file-done'; id: string; ok: boolean; reason?: string }
  /** To one side: the other side's connection dropped; the transfer waits for it. */
  | { type: 'file-pause'; id: string; reason: string }
  /** To both sides after a reconnect: go on from chunk `seq`. */
  | { type: 'file-resume'; id: string; seq: number };

export type FileRequestType = FileRequest['type'];

/** A size for people: `37 bytes`, `512 KiB`, `4.2 MiB`. */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/**
 * Two sizes for people, compared in one sentence: exact byte counts
 * (`10,485,761 bytes`) when humanBytes would round them to the same figure.
 */
export function humanBytesApart(a: number, b: number): [string, string] {
  const [x, y] = [humanBytes(a), humanBytes(b)];
  return x === y && a !== b ? [exactBytes(a), exactBytes(b)] : [x, y];
}

function exactBytes(n: number): string {
  return `${String(n).replace(/\B(?=(?:\d{3})+$)/gu, ',')} ${n === 1 ? 'byte' : 'bytes'}`;
}
