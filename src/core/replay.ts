/**
 * Replaying a stream to one user (docs/protocol.md §4, docs/architecture.md):
 * recent history on join, everything after a seq on resume, a `reset` when
 * the resume point does not fit the stream. The user's live messages of that
 * stream are held while the replay is read and sent after it, never twice.
 */
import type {
  HistoryEvent,
  Hello,
  MessageEvent,
  PrivateEvent,
  ResumePoint,
} from '../protocol/messages.js';
import type { ReadResult, Store, StoredMessage } from '../store/store.js';
import type { Chat } from './chat.js';
import type { Room, User } from './model.js';
import { foldKey, parseRoomArg, type Name } from '../protocol/names.js';

/** Maximum messages sent by one resume replay before `more: true` (§4). */
export const RESUME_CAP = 500;

/** Where a replay starts: after a seq (resume) or, when undefined, the recent history. */
export interface ResumeFrom {
  after: number | undefined;
  epoch: string | undefined;
}

/** A stream as replayed to one user: a room, or the user's private stream `@`. */
export interface ReplayTarget {
  /** Key of the user's replay buffer and replay mark: the room key, or `@`. */
  key: string;
  storeKey: string;
  /** Name on the wire (`room` of the history event). */
  display: string;
  toEvent(m: StoredMessage): MessageEvent | PrivateEvent;
  /** False once the replay no longer applies (room left, alias changed). */
  wanted(): boolean;
}

export interface ReplayRead {
  result: ReadResult;
  /** The resume seq, or undefined when this is the recent history. */
  after: number | undefined;
  /** The resume point did not match this stream (other epoch, or beyond its top). */
  reset: boolean;
}

/** The replay target of a room for one of its members. */
export function roomTarget(chat: Chat, user: User, room: Room): ReplayTarget {
  return {
    key: room.name.key,
    storeKey: room.name.key,
    display: room.name.display,
    toEvent: (m) => chat.messageEvent(room, m, user),
    wanted: () => user.rooms.get(room.name.key) === room,
  };
}

/** The replay target of a user's own private stream (`@` in resume points). */
export function privateTarget(chat: Chat, user: User): ReplayTarget {
  const storeKey = user.privateStream;
  return {
    key: '@',
    storeKey,
    display: '@',
    toEvent: (m) => chat.privateEvent(m, user),
    wanted: () => user.privateStream === storeKey,
  };
}

/**
 * Read what a user should be replayed for a stream, holding its live
 * messages for that user meanwhile. With `after` it is everything newer than
 * that seq (a resume; a `reset` and the recent history when the epoch or seq
 * does not match); otherwise the recent `count` messages.
 */
export async function readReplay(
  chat: Chat,
  user: User,
  target: ReplayTarget,
  from: ResumeFrom,
  count: number,
): Promise<ReplayRead> {
  user.hold(target.key);
  const store = chat.options.store;
  const { after, epoch } = from;
  if (after !== undefined) {
    const r = await store.read(target.storeKey, after, RESUME_CAP);
    if ((epoch === undefined || epoch === r.epoch) && after <= r.top) {
      return { result: r, after, reset: false };
    }
  }
  const recent = await readBeforeKept(store, target.storeKey, undefined, count, shownTo(user));
  return { result: recent, after: undefined, reset: after !== undefined };
}

/** Whether `user` is shown a stored message: not one of someone it ignores (history too). */
export function shownTo(user: User): (m: StoredMessage) => boolean {
  return (m) => !user.isIgnoring(foldKey(m.from));
}

/** Pages read at most to fill a history page around a user's ignores (each a store read). */
const MAX_FILL_READS = 8;

/**
 * Up to `limit` messages of `stream` before `before` (exclusive) that `keep`
 * keeps, oldest first: a user's ignores are filtered out before counting,
 * so `/history 20` shows 20 when the store holds them. The result's other
 * fields (epoch, top, firstRetained) are the last read's; `messages` holds
 * only what was kept, and `oldest` the oldest seq read (for `more`).
 */
export async function readBeforeKept(
  store: Pick<Store, 'readBefore'>,
  stream: string,
  before: number | undefined,
  limit: number,
  keep: (m: StoredMessage) => boolean,
): Promise<ReadResult & { oldest: number | undefined }> {
  let r = await store.readBefore(stream, before, limit);
  let kept = r.messages.filter(keep);
  let oldest = r.messages[0]?.seq;
  for (let reads = 1; kept.length < limit && reads < MAX_FILL_READS; reads++) {
    if (oldest === undefined || oldest <= r.firstRetained) break;
    r = await store.readBefore(stream, oldest, limit - kept.length);
    if (r.messages.length === 0) break;
    oldest = r.messages[0]!.seq;
    kept = [...r.messages.filter(keep), ...kept];
  }
  return { ...r, messages: kept, oldest };
}

/** Send a replay read by readReplay, then the live messages held meanwhile. */
export function finishReplay(
  chat: Chat,
  user: User,
  target: ReplayTarget,
  read: ReplayRead | undefined,
  id?: string,
): void {
  const held = user.release(target.key);
  if (!user.connected || !target.wanted()) return;
  if (read) {
    const { result: r, after } = read;
    // Sent here rather than when read, so it follows the welcome (§4).
    if (read.reset) user.peer.send(chat.system('reset', { room: target.display }));
    const history: HistoryEvent = {
      type: 'history',
      ...(id !== undefined && { id }),
      room: target.display,
      epoch: r.epoch,
      // Ignored users stay ignored in history too (a resume's replay is not filled up).
      messages: r.messages.filter(shownTo(user)).map(target.toEvent),
      more:
        after === undefined
          ? (r.messages[0]?.seq ?? r.top + 1) > r.firstRetained
          : r.messages.length >= RESUME_CAP,
      gap: after !== undefined && r.firstRetained > after + 1 && r.top > after,
    };
    const last = after === undefined ? r.top : (r.messages.at(-1)?.seq ?? after);
    user.markReplayed(target.key, last);
    user.peer.send(history);
  }
  for (const [event, stream] of held) chat.deliver(user, event, stream);
}

/** A resume point as where a replay starts; undefined when there is none. */
export function resumePoint(point: ResumePoint | undefined): ResumeFrom | undefined {
  if (point === undefined) return undefined;
  return typeof point === 'number'
    ? { after: point, epoch: undefined }
    : { after: point.seq, epoch: point.epoch };
}

/** The rooms of a hello's resume map (not `@`); invalid room names are ignored, not fatal. */
export function resumeRooms(resume: Hello['resume']): Array<{ room: Name } & ResumeFrom> {
  const out: Array<{ room: Name } & ResumeFrom> = [];
  for (const [raw, point] of Object.entries(resume ?? {})) {
    if (raw === '@') continue;
    try {
      out.push({ room: parseRoomArg(raw), ...resumePoint(point)! });
    } catch {
      // Not a room name: refused by the codec's hello check; skipped if one gets here.
    }
  }
  return out;
}
