/**
 * Private messages to an offline account (docs/protocol.md §4 `dm`): they
 * are stored in the account's own stream `@` as usual, and the account's
 * next login replays them once, unasked.
 *
 * What is still unread is one number per account: the seq of the first
 * private message stored while it was offline. It is kept as the newest
 * entry of a small stream of its own (`!offline` + the private stream key),
 * written with the Store's ordinary append and read back with readBefore, so
 * every backend (SQLite, Redis, memory) keeps it durably with no new table:
 * an entry holding a seq means "unread from there", an empty one "read".
 */
import type { Store, StreamKey } from '../store/store.js';
import { accountOwner, accountStream } from './model.js';

/**
 * What is kept for account `key` besides its record, for its removal
 * (AccountStore.forgetAccountData): its private stream, that stream's
 * unread mark, and the owner of its ignores.
 */
export function accountData(key: string): { streams: StreamKey[]; owner: string } {
  const stream = accountStream(key);
  return { streams: [stream, markStream(stream)], owner: accountOwner(key) };
}

/** How many newest marks a login reads: marks written in a race still count. */
const MARKS = 16;

/** Where the unread mark of a private stream is kept. */
export function markStream(privateStream: StreamKey): StreamKey {
  return '!offline' + privateStream;
}

/** The unread mark: the lowest seq written since the last "read" entry. */
async function pendingFrom(store: Store, privateStream: StreamKey): Promise<number | undefined> {
  const r = await store.readBefore(markStream(privateStream), undefined, MARKS);
  let from: number | undefined;
  // Newest first, back to the last "read" entry.
  for (const m of [...r.messages].reverse()) {
    if (m.text === '') break;
    const seq = Number(m.text);
    if (Number.isSafeInteger(seq)) from = from === undefined ? seq : Math.min(from, seq);
  }
  return from;
}

/** A private message `seq` was stored while its account was offline: keep the first such seq. */
export async function noteOffline(
  store: Store,
  privateStream: StreamKey,
  seq: number,
  now: number,
): Promise<void> {
  if ((await pendingFrom(store, privateStream)) !== undefined) return;
  await store.append(markStream(privateStream), {
    from: '',
    text: String(seq),
    action: false,
    ts: now,
  });
}

/** Whether private message `seq` of this stream still waits for its account's next login. */
export async function waitsOffline(
  store: Store,
  privateStream: StreamKey,
  seq: number,
): Promise<boolean> {
  const from = await pendingFrom(store, privateStream);
  return from !== undefined && seq >= from;
}

/**
 * At login: the seq from which private messages are unread (undefined:
 * none), marking them read. The caller replays them.
 */
export async function takeOffline(
  store: Store,
  privateStream: StreamKey,
  now: number,
): Promise<number | undefined> {
  const from = await pendingFrom(store, privateStream);
  if (from !== undefined) {
    await store.append(markStream(privateStream), { from: '', text: '', action: false, ts: now });
  }
  return from;
}
