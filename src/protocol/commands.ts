/**
 * The command contract (docs/protocol.md §3, §4): for every request type, its
 * JSON schema and the typed commands that produce it. The server's codecs
 * and chat-client both read this one table, so JSON validation, text-mode
 * parsing, usage errors, `/help` and completion cannot disagree. The `Request`
 * union is derived from the schemas; nothing here knows how a request is
 * carried out (that is `src/core/commands/*`, one handler per type).
 */
import { z } from 'zod';
import { FILE_REQUESTS } from './file-codec.js';
import { MODERATION_REQUESTS } from './moderation-requests.js';
import {
  lines,
  MAX_HISTORY_LIMIT,
  name,
  optText,
  pageLimit,
  password,
  request,
  rest,
  word,
  type TypedCommand,
} from './request-builder.js';

export type { ArgSpec } from './request-builder.js';
export { DEFAULT_PAGE, MAX_HISTORY_LIMIT, MAX_PAGE } from './request-builder.js';

/** One typed command (§3): the syntax a text-mode user or chat-client user types. */
export interface CommandSpec extends TypedCommand {
  request: RequestType;
  /** Only operators may send this request; the command table refuses it for others. */
  operator?: boolean;
}

/**
 * Every request, in the order `/help` lists their typed commands. Adding a
 * request type is one entry here (an operator-only one in
 * moderation-requests.ts) plus its handler in `src/core/commands/`.
 */
const REQUESTS = [
  request('help', { command: name.optional() }, [
    {
      name: 'help',
      usage: '/help [command]',
      summary: 'list commands, or show how to use one',
      args: [word('command', true)],
    },
  ]),
  request('who', { room: name.optional(), limit: pageLimit, cursor: name.optional() }, [
    {
      name: 'who',
      usage: '/who [#room | *] [from]',
      summary: 'users in this room, another room, or everyone online (* is paged: /who * NEXT)',
      args: [word('room', true), word('cursor', true)],
    },
  ]),
  request('whois', { name }, [
    {
      name: 'whois',
      usage: '/whois nick',
      summary: 'who a user is: account, shared rooms, online since, idle, away',
      args: [word('name')],
    },
  ]),
  request('rooms', { limit: pageLimit, cursor: name.optional() }, [
    {
      name: 'rooms',
      usage: '/rooms [from]',
      summary: 'rooms with member counts and topics (paged: /rooms NEXT shows more)',
      args: [word('cursor', true)],
    },
  ]),
  request('join', { room: name, history: z.number().int().min(0).max(500).optional() }, [
    {
      name: 'join',
      usage: '/join #room',
      summary: 'join a room (creating it if new) and make it current',
      args: [word('room')],
    },
  ]),
  request('part', { room: name.optional(), reason: optText }, [
    {
      name: 'part',
      usage: '/part [#room]',
      summary: 'leave a room (not your last one)',
      args: [word('room', true)],
    },
  ]),
  request('dm', { to: name, text: lines, action: z.boolean().optional() }, [
    {
      name: 'msg',
      usage: '/msg nick text',
      summary: 'send a private message',
      args: [word('to'), rest('text')],
    },
  ]),
  request('say', { room: name.optional(), text: lines, action: z.boolean().optional() }, [
    {
      name: 'me',
      usage: '/me text',
      summary: 'send an action ("* Alice waves")',
      args: [rest('text')],
      fixed: { action: true },
    },
  ]),
  request('nick', { name, password: password.optional() }, [
    {
      name: 'nick',
      usage: '/nick newnick [password]',
      summary: 'change your alias (a registered one needs its password)',
      args: [word('name'), rest('password', true)],
    },
  ]),
  request(
    'topic',
    {
      room: name.optional(),
      text: optText,
      /** Operators: lock (true) or unlock (false) the topic; a locked one only operators change. */
      lock: z.boolean().optional(),
    },
    [
      {
        name: 'topic',
        usage: '/topic [text]',
        summary: "show or set the current room's topic; /topic -clear clears it",
        operatorSummary: '/topic -lock [text] locks it (only operators change it), /topic -unlock',
        args: [rest('text', true)],
      },
    ],
  ),
  request(
    'history',
    {
      room: name.optional(),
      before: z.number().int().nonnegative().optional(),
      after: z.number().int().nonnegative().optional(),
      limit: z.number().int().positive().max(MAX_HISTORY_LIMIT).optional(),
    },
    [
      {
        name: 'history',
        usage: '/history [n]',
        summary: 'the last n messages of the current room (default 20, max 500)',
        args: [
          {
            field: 'limit',
            take: 'word',
            optional: true,
            int: true,
            min: 1,
            max: MAX_HISTORY_LIMIT,
          },
        ],
      },
    ],
  ),
  request('register', { password: password.min(1) }, [
    {
      name: 'register',
      usage: '/register password',
      summary: 'register your current alias with a password',
      args: [rest('password')],
    },
  ]),
  request('passwd', { old: password, password: password.min(1) }, [
    {
      name: 'passwd',
      usage: '/passwd old new',
      summary: 'change your account password (the old one first; it may hold no spaces here)',
      args: [word('old'), rest('password')],
    },
  ]),
  request('away', { text: optText }, [
    {
      name: 'away',
      usage: '/away [text]',
      summary: 'set an away message, or clear it without text',
      args: [rest('text', true)],
    },
  ]),
  request('ignore', { name: name.optional() }, [
    {
      name: 'ignore',
      usage: '/ignore [nick]',
      summary: "stop receiving a user's messages (list ignored users without a nick)",
      args: [word('name', true)],
    },
  ]),
  request('unignore', { name }, [
    {
      name: 'unignore',
      usage: '/unignore nick',
      summary: "receive a user's messages again",
      args: [word('name')],
    },
  ]),
  ...MODERATION_REQUESTS,
  request('quit', { reason: optText }, [
    {
      name: 'quit',
      usage: '/quit [reason]',
      summary: 'leave the chat; others see the reason',
      args: [rest('reason', true)],
    },
  ]),
  request('ping', {}),
  request('pong', {}),
  // File transfer (§5): JSON only, no typed command.
  ...FILE_REQUESTS,
] as const;

type Schemas<T extends readonly { schema: unknown }[]> = { [K in keyof T]: T[K]['schema'] };

/** Every request a client may send after the handshake, validated (§4). */
export const requestSchema = z.discriminatedUnion(
  'type',
  REQUESTS.map((r) => r.schema) as unknown as Schemas<typeof REQUESTS>,
);

/** Everything a client may ask after the handshake, in either mode (derived from the schemas). */
export type Request = z.infer<typeof requestSchema>;
export type RequestType = Request['type'];
/** The request of one type. */
export type RequestOf<T extends RequestType> = Extract<Request, { type: T }>;

/** Request types only operators may send (checked before any handler runs). */
export const OPERATOR_REQUESTS: ReadonlySet<RequestType> = new Set(
  REQUESTS.filter((r) => r.operator).map((r) => r.type),
);

/** Every typed command, in `/help` order. */
export const COMMAND_SPECS: readonly CommandSpec[] = REQUESTS.flatMap((r) =>
  (r.typed as readonly TypedCommand[]).map((t): CommandSpec => ({
    ...t,
    request: r.type,
    ...(r.operator && { operator: true }),
  })),
);

const BY_NAME = new Map(COMMAND_SPECS.map((c) => [c.name, c]));

/** Look up a typed command by name (case-insensitive, without the slash). */
export function findCommand(name: string): CommandSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}

const LONGEST_COMMAND = Math.max(...COMMAND_SPECS.map((c) => c.name.length));

/**
 * The command a mistyped name most likely meant (`msgg` → `msg`, `j` →
 * `join`), among those `isAvailable` offers, operators' excepted: a unique prefix, or the first
 * in `/help` order within edit distance 1 (2 for names of 5 letters or
 * more). Undefined when nothing is that close.
 */
export function nearestCommand(
  name: string,
  isAvailable: (c: CommandSpec) => boolean,
): CommandSpec | undefined {
  const typed = name.toLowerCase();
  // Past the longest name by more than the reach, nothing is near: and the
  // distance costs length × length, so a 16 KB "command" must not reach it.
  if (typed.length > LONGEST_COMMAND + 2) return undefined;
  // Operator commands are never suggested: the codec's check is the server's,
  // not the user's, and a guest should not learn them from a typo.
  const offered = COMMAND_SPECS.filter((c) => !c.operator && isAvailable(c));
  const prefixed = offered.filter((c) => c.name.startsWith(typed));
  if (prefixed.length === 1) return prefixed[0];
  const reach = typed.length >= 5 ? 2 : 1;
  return offered.find((c) => editDistance(typed, c.name) <= reach);
}

/**
 * Edit distance with swapped neighbours as one edit (`mgs` → `msg`),
 * hand-rolled: a dozen lines for names of a few letters, run only on a
 * refused command (no package in the stack has it).
 */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
