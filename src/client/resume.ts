/**
 * What this client has seen of each stream (a room, or `@` for private
 * messages), docs/protocol.md §4: where a resume starts, and which events
 * were shown before and must not be shown twice. Pure: no sockets, no timers.
 */
import { PRIVATE_STREAM } from '../protocol/constants.js';
import type { ResumePoint, ServerEvent } from '../protocol/messages.js';

/**
 * One stream as seen by this client. `seq` is the highest the server sent us;
 * our own messages' seqs (from acks) are kept apart, because a message from
 * someone else with a lower seq may still be on its way and must not look
 * like a duplicate.
 */
interface StreamState {
  seq: number;
  own: Set<number>;
  epoch?: string;
  /**
   * The stream's newest seq when a login that did not resume it was welcomed
   * (`welcome.seqs`): older messages came before this client, so a resume
   * starts here at the earliest, not at 0. Not a dedupe bound: the recent
   * history a login asks for is older and is shown.
   */
  floor?: number;
  /**
   * The seqs a history reply showed (a replay after a reconnect may show
   * our own message whose ack was lost), to not show it again when the
   * re-sent request's ack comes; emptied past REPLAYED_KEPT.
   */
  replayed?: Set<number>;
}

/** Seqs of replayed messages kept per stream (a replay is at most 500). */
const REPLAYED_KEPT = 2000;

/** See the module comment. */
export class ResumeState {
  private readonly streams = new Map<string, StreamState>();

  /** The resume map for a hello after a drop: every joined room, and `@` if any private was seen. */
  resumeMap(rooms: Iterable<string>): Record<string, ResumePoint> | undefined {
    const resume: Record<string, ResumePoint> = {};
    let any = false;
    for (const room of rooms) {
      resume[room] = this.resumePoint(room);
      any = true;
    }
    if (!any) return undefined;
    if (this.streams.has(PRIVATE_STREAM)) resume[PRIVATE_STREAM] = this.resumePoint(PRIVATE_STREAM);
    return resume;
  }

  /** Where a resume of `key` starts: after everything seen, our own messages included (§4). */
  resumePoint(key: string): ResumePoint {
    const state = this.streams.get(key);
    if (!state) return 0;
    const seq = Math.max(state.seq, state.floor ?? 0, ...state.own);
    return state.epoch === undefined ? seq : { seq, epoch: state.epoch };
  }

  /**
   * Record an unsolicited event; undefined when it was shown before. After a
   * resume the server replays from our seq, so overlap is possible only by
   * mistake, but "shown once" is ours to keep.
   */
  dedupe(event: ServerEvent): ServerEvent | undefined {
    switch (event.type) {
      case 'message':
        return this.observe(event.room, event.seq) ? event : undefined;
      case 'private':
        return event.seq === undefined || this.observe(PRIVATE_STREAM, event.seq)
          ? event
          : undefined;
      case 'history': {
        this.setEpoch(event.room, event.epoch);
        const fresh = event.messages.filter((m) =>
          m.type === 'private'
            ? m.seq === undefined || this.observe(PRIVATE_STREAM, m.seq)
            : this.observe(m.room, m.seq) && this.replayedHere(m.room, m.seq),
        );
        return { ...event, messages: fresh };
      }
      case 'system':
        if (event.event === 'reset' && event.room) this.streams.delete(event.room);
        return event;
      default:
        return event;
    }
  }

  /** Record a message the server sent on `key`; false when it was shown before. */
  observe(key: string, seq: number): boolean {
    const state = this.stream(key);
    if (seq <= state.seq || state.own.has(seq)) return false;
    state.seq = seq;
    for (const mine of state.own) if (mine <= seq) state.own.delete(mine);
    return true;
  }

  /** Whether message `seq` of `key` was shown by a replay (before its ack came). */
  shown(key: string, seq: number): boolean {
    return this.streams.get(key)?.replayed?.has(seq) === true;
  }

  /** Remember that a replay showed `seq` of `key` (true: for filter). */
  private replayedHere(key: string, seq: number): boolean {
    const state = this.stream(key);
    if (!state.replayed || state.replayed.size >= REPLAYED_KEPT) state.replayed = new Set();
    state.replayed.add(seq);
    return true;
  }

  /** Everything up to `seq` of `key` was there before this client logged in (see StreamState.floor). */
  joinedAt(key: string, seq: number): void {
    const state = this.stream(key);
    state.floor = Math.max(state.floor ?? 0, seq);
  }

  /** Record the seq of our own acked message, which the server never echoes but may replay. */
  ownMessage(key: string, seq: number): void {
    const state = this.stream(key);
    if (seq > state.seq) state.own.add(seq);
  }

  /** A stream's epoch changed means its history was reset: our seq no longer applies. */
  setEpoch(key: string, epoch: string): void {
    const state = this.streams.get(key);
    if (state?.epoch !== undefined && state.epoch !== epoch) this.streams.delete(key);
    this.stream(key).epoch = epoch;
  }

  private stream(key: string): StreamState {
    let state = this.streams.get(key);
    if (!state) {
      state = { seq: 0, own: new Set() };
      this.streams.set(key, state);
    }
    return state;
  }
}
