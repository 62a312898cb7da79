/** Server events built for codec and rendering tests. */
import type { HistoryEvent } from '../../src/protocol/messages.js';

/** A `history` event with no messages, as an empty room's replay or /history answer carries. */
export function emptyHistory(room: string): HistoryEvent {
  return { type: 'history', room, epoch: 'e1', messages: [], more: false, gap: false };
}
