/**
 * How server events read in text mode (docs/protocol.md §3): the lines an
 * `nc` or `telnet` user sees, built from the phrasebook's words, and the
 * encoder that formats a broadcast once per variant instead of once per
 * recipient.
 */
import { EncodedBatch, type Bytes } from './batch-bytes.js';
import {
  ASKED_FOR,
  type AckEvent,
  type MessageEvent,
  type ServerEvent,
  type SystemEvent,
} from './messages.js';
import {
  ackPhrase,
  bansPhrases,
  errorPhrase,
  greetingPhrase,
  HELP_HEAD,
  HELP_HINT,
  helpEntryPhrase,
  historyEmptyPhrase,
  historyFootPhrase,
  historyGapPhrase,
  historyHeadPhrase,
  joinTopicPhrase,
  plain,
  morePhrase,
  roomsHeadPhrase,
  systemPhrase,
  welcomePhrase,
  whoEntryPhrase,
  whoHeadPhrase,
  whoisPhrases,
} from './phrases.js';

let lastMinute = '';
let lastClock = '';

/** `HH:MM` in the server's local time (§3). */
export function clock(iso: string): string {
  // Every message of a minute shares the answer; the ISO string up to the
  // minute (and the zone offset of the process, fixed) decides it.
  const minute = iso.slice(0, 16);
  if (minute === lastMinute) return lastClock;
  const d = new Date(iso);
  lastMinute = minute;
  lastClock = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return lastClock;
}

/** Prefix each line of a possibly multi-line text (§6: each line gets the same prefix). */
function prefixed(prefix: string, text: string): string {
  if (!text.includes('\n')) return prefix + text + '\n';
  return text
    .split('\n')
    .map((l) => prefix + l + '\n')
    .join('');
}

function systemLine(e: SystemEvent): string {
  // A multi-line notice (the MOTD) is one `* ` line per line, as chat-client shows it.
  return '* ' + plain(systemPhrase(e)).replace(/\n/gu, '\n* ');
}

function ackLine(e: AckEvent): string | undefined {
  const phrase = ackPhrase(e);
  // A join shows the room's topic too, as IRC users expect (§3 /join).
  if (phrase && e.op === 'join' && e.topic?.text)
    return `* ${plain(phrase)}\n* ${plain(joinTopicPhrase(e.room, e.topic))}`;
  if (phrase) return '* ' + plain(phrase);
  switch (e.op) {
    case 'part':
      return `* You left ${e.room}; current room is ${e.text}`;
    case 'register':
      return `* ${e.name} is now registered; next time send the password after your alias`;
    case 'bans':
      return bansPhrases(e.bans ?? [])
        .map((p) => '* ' + plain(p))
        .join('\n');
    case 'dm':
      // Waiting for an offline account (§4 dm), or the recipient's away text.
      if (e.offline) return `* ${e.name} is offline; they get it at their next login`;
      return e.text ? `* ${e.name} is away: ${e.text}` : undefined;
    case 'quit':
      // The last line of a session: a script reading until it sees it can end (§3 /quit).
      return '* Bye';
    default:
      // Messages are never echoed (split horizon); a kick's operator reads the
      // room's `system` kick line instead (one wording for all); other acks need no words.
      return undefined;
  }
}

/** The prefix of a room message's lines (§3): time, the room when not the reader's, the sender. */
function messagePrefix(e: MessageEvent, here: string): string {
  const room = e.room === here ? '' : `${e.room} `;
  return e.action ? `[${clock(e.ts)}] ${room}* ${e.from} ` : `[${clock(e.ts)}] ${room}<${e.from}> `;
}

/**
 * encodeText's answer as pieces to lay end to end, for EncodedBatch.ofTexts:
 * a one-line room message is its prefix, its text and the LF apart, so the
 * text is never copied into a string of the whole line (batch-bytes.ts).
 */
export function encodeTextPieces(e: ServerEvent, here: string): string | readonly string[] {
  if (e.type === 'message' && !e.text.includes('\n')) return [messagePrefix(e, here), e.text, '\n'];
  return encodeText(e, here);
}

/** Render one event as text-mode lines; `here` is the recipient's current room. */
export function encodeText(e: ServerEvent, here: string): string {
  switch (e.type) {
    case 'message':
      return prefixed(messagePrefix(e, here), e.text);
    case 'private':
      return prefixed(
        e.action ? `[${clock(e.ts)}] *${e.from}* * ${e.from} ` : `[${clock(e.ts)}] *${e.from}* `,
        e.text,
      );
    case 'system':
      return systemLine(e) + '\n';
    case 'welcome':
      return `* ${plain(greetingPhrase(e))} ${plain(welcomePhrase(e))} ${HELP_HINT}.\n`;
    case 'history':
      if (e.messages.length === 0) {
        // Asked with /history: an answer, or the command looked ignored.
        if (!e[ASKED_FOR]) return '';
        return `* ${plain(e.gap ? historyGapPhrase(e) : historyEmptyPhrase(e))}\n`;
      }
      return (
        `* ${plain(historyHeadPhrase(e))}\n` +
        e.messages.map((m) => encodeText(m, here)).join('') +
        `* ${plain(historyFootPhrase(e))}\n`
      );
    case 'ack': {
      const line = ackLine(e);
      return line ? line + '\n' : '';
    }
    case 'error':
      return `! ${plain(errorPhrase(e.message, e.code))}\n`;
    case 'who': {
      const names = e.users.map((u) => plain(whoEntryPhrase(u)));
      const more = morePhrase(e);
      return `* ${plain(whoHeadPhrase(e))} ${names.join(', ')}\n${more ? `* ${plain(more)}\n` : ''}`;
    }
    case 'whois':
      return whoisPhrases(e, clock)
        .map((p) => `* ${plain(p)}\n`)
        .join('');
    case 'rooms': {
      return (
        `* ${plain(roomsHeadPhrase(e))}\n` +
        e.rooms
          .map((r) => `*   ${r.name} (${r.members})${r.topic ? ` — ${r.topic}` : ''}\n`)
          .join('') +
        // One page (§6): the next one starts after e.next.
        (morePhrase(e) ? `* ${plain(morePhrase(e)!)}\n` : '')
      );
    }
    case 'help':
      if (e.commands.length === 1) return `* ${plain(helpEntryPhrase(e.commands[0]!))}\n`;
      return (
        `* ${HELP_HEAD}\n` + e.commands.map((c) => `*   ${plain(helpEntryPhrase(c))}\n`).join('')
      );
    case 'ping':
    case 'pong':
      return '';
    default:
      // File transfer (§5) is JSON-only: offers to text-mode users are refused.
      return '';
  }
}

/**
 * Encodes events for text-mode sessions. A broadcast event reaches many
 * recipients, whose only difference is whether the room is their current one,
 * so each event is formatted at most twice whatever the room's size.
 */
export class TextEncoder {
  private readonly current = new WeakMap<ServerEvent, Buffer>();
  private readonly other = new WeakMap<ServerEvent, Buffer>();
  // A broadcast hands one event to every member in a row: remembering the
  // last answer spares the WeakMap lookups on that path.
  private lastEvent: ServerEvent | undefined;
  private lastInHere = false;
  private lastBytes: Buffer | undefined;

  /** Bytes for `e` as seen by a user whose current room is `here`. */
  encode(e: ServerEvent, here: string): Buffer {
    // Messages and history render differently outside the reader's current room.
    const inHere = e.type === 'message' || e.type === 'history' ? e.room === here : true;
    if (e === this.lastEvent && inHere === this.lastInHere) return this.lastBytes!;
    const cache = inHere ? this.current : this.other;
    let bytes = cache.get(e);
    if (!bytes) {
      bytes = Buffer.from(encodeText(e, here), 'utf8');
      cache.set(e, bytes);
    }
    this.lastEvent = e;
    this.lastInHere = inHere;
    this.lastBytes = bytes;
    return bytes;
  }

  private readonly allCurrent = new WeakMap<readonly ServerEvent[], EncodedBatch>();
  private readonly allOther = new WeakMap<readonly ServerEvent[], EncodedBatch>();

  /**
   * Bytes for several events of one room in order, made once per array and
   * variant: a burst shared by a room's members costs one encoding, and its
   * senders get it without their own lines (`skip`) as ranges of that one.
   */
  encodeAll(
    events: readonly ServerEvent[],
    here: string,
    skip?: readonly number[],
    instead?: readonly (Buffer | undefined)[],
  ): Bytes {
    const first = events[0];
    const inHere = first?.type === 'message' ? first.room === here : true;
    const cache = inHere ? this.allCurrent : this.allOther;
    let batch = cache.get(events);
    if (!batch) {
      // Formatted straight into the burst's one Buffer, not cached event by
      // event: a text reader holds a room only during a replay, rarely.
      batch = EncodedBatch.ofTexts(events.map((e) => encodeTextPieces(e, here)));
      cache.set(events, batch);
    }
    return skip ? batch.without(skip, instead) : batch.bytes;
  }
}
