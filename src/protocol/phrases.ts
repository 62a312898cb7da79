/**
 * The human wording of events, once (docs/protocol.md §3). Phrases are lists
 * of segments: literal words of ours, and values that came over the wire
 * (names, rooms, free text). The text codec joins them plainly; chat-client's
 * renderer cleans each value for the terminal and colours the whole. Neither
 * words an event on its own, so an `nc` user and a chat-client user read the
 * same sentence.
 */
import { MAX_HISTORY_LIMIT } from './commands.js';
import { PRIVATE_STREAM } from './constants.js';
import type {
  AckEvent,
  BanInfo,
  HelpEvent,
  HistoryEvent,
  RoomsEvent,
  SystemEvent,
  TopicInfo,
  WelcomeEvent,
  WhoEntry,
  WhoEvent,
  WhoisEvent,
} from './messages.js';

/** A value from the wire inside a phrase: `kind` says how a renderer may style it. */
export interface Value {
  kind: 'user' | 'room' | 'text';
  value: string;
}

export type Segment = string | Value;
export type Phrase = Segment[];

const user = (value: string | undefined): Value => ({ kind: 'user', value: value ?? '' });
const room = (value: string | undefined): Value => ({ kind: 'room', value: value ?? '' });
const text = (value: string | undefined): Value => ({ kind: 'text', value: value ?? '' });

/** `' (reason)'`, or nothing. */
function reason(r: string | undefined): Phrase {
  return r ? [' (', text(r), ')'] : [];
}

/** A system event (§3): who joined, left, was kicked by whom, and so on. */
export function systemPhrase(e: SystemEvent): Phrase {
  switch (e.event) {
    case 'join':
      return [user(e.user), ' joined ', room(e.room)];
    case 'part':
      return [user(e.user), ' left ', room(e.room), ...reason(e.reason)];
    case 'quit':
      // A /quit without a reason has the reason `quit` (§3 system): "Ann quit (quit)" said it twice.
      return [user(e.user), ' quit', ...reason(e.reason === 'quit' ? undefined : e.reason)];
    case 'nick':
      return [user(e.user), ' is now known as ', user(e.name)];
    case 'topic':
      return e.text
        ? [user(e.user), ' set the topic of ', room(e.room), ': ', text(e.text)]
        : [user(e.user), ' cleared the topic of ', room(e.room)];
    case 'kick':
      return [
        user(e.user),
        ' was kicked',
        ...(e.by ? [' by ', user(e.by)] : []),
        ...reason(e.reason),
      ];
    case 'away':
      return e.text ? [user(e.user), ' is away: ', text(e.text)] : [user(e.user), ' is back'];
    case 'presence': {
      const parts: string[] = [];
      if (e.joined?.length) parts.push(`${e.joined.length} joined`);
      if (e.left?.length) parts.push(`${e.left.length} left`);
      return [parts.join(', ') || 'nobody came or went in', ' ', room(e.room)];
    }
    case 'reset':
      // `@` is the wire's name for one's private messages (§4), not a word for a reader.
      return e.room === '@'
        ? ['History of your private messages was reset; showing recent ones']
        : ['History of ', room(e.room), ' was reset; showing recent messages'];
    case 'shutdown':
      return ['Server shutting down', ...(e.reason ? [': ', text(e.reason)] : [])];
    case 'mute':
      // Only the muted user gets it (§3 /mute): said to them, with what they still may do.
      return [
        'You were muted by ',
        user(e.by),
        ...(e.text ? [` until ${readableTime(e.text)}`] : []),
        ...reason(e.reason),
        ': you can read, and send private messages, but not speak in rooms',
      ];
    case 'unmute':
      return ['You may speak in rooms again (', user(e.by), ' lifted your mute)'];
    case 'file':
      // Only to a text-mode or IRC user, whom a file cannot reach (§5): the
      // sender is refused, and they learn what they missed and what it takes.
      return [
        user(e.user),
        ' tried to send you a file, ',
        text(e.text),
        ': receiving files takes chat-client (or another JSON client)',
      ];
    case 'motd':
      // Line breaks kept: each mode shows one notice line per line of the file.
      return (e.text ?? '').split('\n').flatMap((l, i) => (i === 0 ? [text(l)] : ['\n', text(l)]));
  }
}

/**
 * The acks both sides word alike, or undefined for the ones each side words
 * its own way (a message's ack is the message itself in chat-client, nothing
 * in text mode).
 */
export function ackPhrase(e: AckEvent): Phrase | undefined {
  switch (e.op) {
    case 'join':
      return ['You are now in ', room(e.room)];
    case 'nick':
      return ['You are now known as ', user(e.name)];
    case 'topic': {
      const lock =
        e.locked === true
          ? [' (locked: operators only)']
          : e.locked === false
            ? [' (unlocked: anyone in it may change it)']
            : [];
      if (e.topic) return [...joinTopicPhrase(e.room, e.topic), ...lock];
      return e.text
        ? ['Topic of ', room(e.room), ': ', text(e.text), ...lock]
        : [room(e.room), ' has no topic', ...lock];
    }
    case 'away':
      return e.text ? ['You are marked away: ', text(e.text)] : ['You are no longer marked away'];
    case 'ignore':
      return e.name ? ['Ignoring ', user(e.name)] : ['Ignored users: ', text(e.text || 'none')];
    case 'unignore':
      return ['No longer ignoring ', user(e.name)];
    case 'mute':
      return [
        user(e.name),
        ' is muted',
        ...(e.text ? [` until ${readableTime(e.text)}`] : []),
        ...(e.offline ? [' (not online now: it applies when they sign in)'] : []),
      ];
    case 'unmute':
      return [user(e.name), ' may speak again'];
    case 'passwd':
      return ['Password changed for ', user(e.name)];
    case 'ban':
      return [
        user(e.name),
        ' is banned',
        ...(e.text ? [` until ${readableTime(e.text)}`] : []),
        // A class operator banned a guest, who came straight back as another alias.
        ...(e.kind === 'alias'
          ? [' (this alias only: a guest can come back as another; /ban -addr bans an address)']
          : []),
      ];
    case 'unban':
      return [user(e.name), ' is no longer banned'];
    default:
      return undefined;
  }
}

/**
 * An ISO time as people read it: to the minute, in UTC (`2026-12-02 02:37
 * UTC`), for readers in any time zone; the raw ISO time with its
 * milliseconds read like a machine's. Anything else is returned as it is.
 */
export function readableTime(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/u.test(iso)
    ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
    : iso;
}

/** ` until 2026-12-02 09:30 UTC` for an end time in ms since the epoch; '' for none (a ban or mute for good). */
export function untilText(expires: number | undefined): string {
  return expires === undefined ? '' : ` until ${readableTime(new Date(expires).toISOString())}`;
}

/**
 * The topic a join shows (§3 /join), with who set it and when: to the
 * minute, in UTC (`2026-12-02 02:37 UTC`), for readers in any time zone;
 * the raw ISO time with its milliseconds read like a machine's.
 */
export function joinTopicPhrase(r: string | undefined, t: TopicInfo): Phrase {
  return [
    'Topic of ',
    room(r),
    ': ',
    text(t.text),
    ' (set by ',
    user(t.by),
    ' ',
    readableTime(t.at),
    ')',
  ];
}

/** /bans (operators, §3): a heading, then one line per ban; `name` is what /unban takes. */
export function bansPhrases(bans: readonly BanInfo[]): Phrase[] {
  if (bans.length === 0) return [['No bans']];
  return [
    [`${bans.length} ${bans.length === 1 ? 'ban' : 'bans'} (/unban NAME lifts one):`],
    ...bans.map((b): Phrase => [
      `  ${b.kind} `,
      b.kind === 'address' ? text(b.name) : user(b.name),
      ' — by ',
      user(b.by),
      ` ${readableTime(b.at)}`,
      ...(b.expires ? [`, until ${readableTime(b.expires)}`] : []),
      ...reason(b.reason),
    ]),
  ];
}

/** `3h 5m`, `2m 10s`, `42s`: an idle time a person reads at a glance. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** /whois (§3): one line per fact, the first naming the user. */
export function whoisPhrases(e: WhoisEvent, clockOf: (iso: string) => string): Phrase[] {
  const kind = e.operator ? 'an operator' : e.account ? 'a registered user' : 'a guest';
  return [
    [
      user(e.name),
      ` is ${kind}${e.accountName ? ` (account ${e.accountName})` : ''}${e.bot ? ' (a bot)' : ''}`,
    ],
    e.rooms.length
      ? ['Rooms in common: ', ...e.rooms.flatMap((r, i) => (i ? [', ', room(r)] : [room(r)]))]
      : ['No rooms in common'],
    [`Online since ${clockOf(e.since)}, idle ${duration(e.idle)}`],
    ...(e.away ? [['Away: ', text(e.away)]] : []),
    ...(e.address ? [['Address: ', text(e.address)]] : []),
  ];
}

/** `1 user`, `3 users`. */
export function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `a, b, c` of values. */
function list(values: readonly Value[]): Phrase {
  return values.flatMap((v, i): Phrase => (i ? [', ', v] : [v]));
}

/** Text mode's greeting (§3): the alias the server settled on. */
export function greetingPhrase(e: WelcomeEvent): Phrase {
  return ['Welcome, ', user(e.name), '!'];
}

/** chat-client's greeting: which server it reached, and as whom. */
export function connectedPhrase(e: WelcomeEvent): Phrase {
  return [
    'Connected to ',
    text(e.server.name),
    ' ',
    text(e.server.version),
    ' as ',
    user(e.name),
    '.',
  ];
}

/**
 * Where the welcome leaves the user (§3): the rooms, and who else is there
 * (the welcome names at most a few members; memberCount says how many).
 */
export function welcomePhrase(e: WelcomeEvent): Phrase {
  const others = e.members.filter((m) => m !== e.name);
  const unnamed = e.memberCount - 1 - others.length;
  const company: Phrase =
    others.length === 0
      ? ['alone for now']
      : ['with ', ...list(others.map(user)), ...(unnamed > 0 ? [` and ${unnamed} more`] : [])];
  return ['You are in ', ...list(e.rooms.map(room)), ' ', ...company, '.'];
}

/** The pointer to /help that ends the welcome. */
export const HELP_HINT = 'Type /help for commands';

/** An error line (`! ` before it): the server's message and its stable code. */
export function errorPhrase(message: string, code: string | undefined): Phrase {
  return [text(message), ...(code === undefined ? [] : [` [${code}]`])];
}

/** The heading of a /who answer: how many, and where. */
export function whoHeadPhrase(e: WhoEvent): Phrase {
  const where: Phrase = e.room === '*' ? ['online'] : ['in ', room(e.room)];
  const total = e.total ?? e.users.length;
  return [count(total, 'user', 'users'), ' ', ...where, ...shown(total, e.users.length), ':'];
}

/** ` (100 shown)` when a reply is one page of more (§6 "Paging"). */
function shown(total: number, here: number): Phrase {
  return total > here ? [` (${here} shown)`] : [];
}

/** The command for the next page of a paged reply (§6), when more follow. */
export function morePhrase(e: WhoEvent | RoomsEvent): Phrase | undefined {
  if (e.next === undefined) return undefined;
  return ['More: ', e.type === 'rooms' ? '/rooms ' : '/who * ', text(e.next)];
}

/**
 * A user in a /who list: `@` marks an operator (as IRC does; `@` is never
 * part of an alias, so it cannot be faked), ` (bot)` a bot, then the away text.
 */
export function whoEntryPhrase(e: WhoEntry): Phrase {
  return [
    ...(e.operator ? ['@'] : []),
    user(e.name),
    ...(e.bot ? [' (bot)'] : []),
    ...(e.away ? [' (away: ', text(e.away), ')'] : []),
  ];
}

/** The heading of a /rooms answer. */
export function roomsHeadPhrase(e: RoomsEvent): Phrase {
  const total = e.total ?? e.rooms.length;
  return [count(total, 'room', 'rooms'), ...shown(total, e.rooms.length), ':'];
}

/** The heading of a full /help answer. */
export const HELP_HEAD = 'Commands (a line without "/" is a message; "//text" sends "/text"):';

/** One command of /help: its usage and what it does. */
export function helpEntryPhrase(c: HelpEvent['commands'][number]): Phrase {
  return [text(c.usage), ' — ', text(c.summary)];
}

/** The room a history replays, or `private messages` for the private stream. */
function historyOf(e: HistoryEvent): Phrase {
  return e.room === PRIVATE_STREAM ? ['private messages'] : ['history of ', room(e.room)];
}

/** The line before replayed history. */
export function historyHeadPhrase(e: HistoryEvent): Phrase {
  return ['— ', ...historyOf(e), ...(e.gap ? [' (older messages were trimmed)'] : []), ' —'];
}

/**
 * The line after replayed history (§3): when older messages exist it says
 * how to see them in the syntax a person can type (`/history N`; text lines
 * carry no seq, so `before` is for programs).
 */
export function historyFootPhrase(e: Pick<HistoryEvent, 'room' | 'more' | 'messages'>): Phrase {
  // The private stream (`@`) is only ever a resume replay: /history cannot page it.
  if (!e.more || e.room === PRIVATE_STREAM) return ['— end of history —'];
  const shown = e.messages.length;
  if (shown >= MAX_HISTORY_LIMIT) {
    return [
      `— end of history (older messages exist; /history shows at most ${MAX_HISTORY_LIMIT}) —`,
    ];
  }
  // Seqs count from 1, so at most seq − 1 messages are older than the oldest
  // shown: "/history 22" after 2 of 3 messages promised 20 that do not exist.
  const older = Math.max(1, (e.messages[0]?.seq ?? 21) - 1);
  const next = Math.min(MAX_HISTORY_LIMIT, shown + Math.min(20, older));
  // Said as what it adds: "/history 22 shows the last 22" after two lines
  // read as a typo to a tester, who had asked for 2.
  return [
    `— end of history (${shown} shown; /history ${next} adds the ${next - shown} before them) —`,
  ];
}

/** An empty answer to /history: nothing to show (nothing said yet, or only by the ignored). */
export function historyEmptyPhrase(e: HistoryEvent): Phrase {
  return [
    'No messages to show in ',
    ...(e.room === PRIVATE_STREAM ? ['your private messages'] : [room(e.room)]),
  ];
}

/** An empty history that lost messages: say so rather than nothing. */
export function historyGapPhrase(e: HistoryEvent): Phrase {
  return ['Some messages in ', room(e.room), ' are no longer stored'];
}

/** A phrase as plain text (text mode, tests). */
export function plain(phrase: Phrase): string {
  return phrase.map((s) => (typeof s === 'string' ? s : s.value)).join('');
}
