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
import { sanitizeLines, sanitizeText } from './sanitize.js';

/** How one argument of a typed command is taken from the line. */
export interface ArgSpec {
  /** The Request field it fills. */
  field: string;
  /** `word` takes one token; `rest` takes the remainder of the line, spaces included. */
  take: 'word' | 'rest';
  optional?: boolean;
  /** `int` arguments must be whole numbers. */
  int?: boolean;
}

/** One typed command (§3): the syntax a text-mode user or chat-client user types. */
export interface CommandSpec {
  name: string;
  request: RequestType;
  usage: string;
  summary: string;
  args: ArgSpec[];
  /** Fixed fields added to the request (`/me` is a `say` with `action: true`). */
  fixed?: Record<string, unknown>;
  /** Only operators may send this request; the command table refuses it for others. */
  operator?: boolean;
}

const word = (field: string, optional = false): ArgSpec => ({ field, take: 'word', optional });
const rest = (field: string, optional = false): ArgSpec => ({ field, take: 'rest', optional });

const MAX_FIELD = 65536;
/** Most messages one `history` request returns (§4); `/history`'s hint stays within it. */
export const MAX_HISTORY_LIMIT = 500;
/** Entries in one `/rooms` or `/who *` reply unless the request asks for fewer (§6). */
export const DEFAULT_PAGE = 100;
/** The most a request may ask for in one page. */
export const MAX_PAGE = 500;
const id = z.string().max(128).optional();
const str = z.string().max(MAX_FIELD);
/** Every string a user typed is sanitized while it is validated, so the core sees clean text. */
const text = str.transform(sanitizeText);
const optText = text.optional();
const lines = str.transform(sanitizeLines);
const name = z.string().max(256);
const password = z.string().max(1024);
/** Page size of `/rooms` and `/who *` (§6); the default is DEFAULT_PAGE. */
const pageLimit = z.number().int().min(1).max(MAX_PAGE).optional();

type Typed = Omit<CommandSpec, 'request' | 'operator'>;

/** One request type: its JSON fields, its typed commands, and whether it is for operators. */
function request<T extends string, F extends z.ZodRawShape>(
  type: T,
  fields: F,
  typed: Typed[] = [],
  operator = false,
) {
  // Strict (§4): an unknown key is `bad_request` naming it, never dropped —
  // a typo such as `"histroy":0` must not silently mean the default.
  const schema = z.object({ type: z.literal(type), id, ...fields }).strict();
  return { type, schema, typed, operator };
}

/**
 * Every request, in the order `/help` lists their typed commands. Adding a
 * request type is one entry here plus its handler in `src/core/commands/`.
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
        summary:
          "show or set the current room's topic (operators: /topic -lock [text], /topic -unlock)",
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
        args: [{ field: 'limit', take: 'word', optional: true, int: true }],
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
  request(
    'kick',
    { name, reason: optText },
    [
      {
        name: 'kick',
        usage: '/kick nick [reason]',
        summary: 'disconnect a user (operators only)',
        args: [word('name'), rest('reason', true)],
      },
    ],
    true,
  ),
  request(
    'ban',
    {
      name,
      reason: optText,
      /** Ban an address or CIDR block (`name` is one, or an online nick whose address is taken). */
      addr: z.boolean().optional(),
      /** How long: `30m`, `1h`, `7d`, `2w`; permanent when absent. */
      duration: z.string().max(16).optional(),
    },
    [
      {
        name: 'ban',
        usage: '/ban nick [duration] [reason]',
        summary:
          'ban an account or guest alias (/ban -addr nick|address[/bits] …: an address) (operators only)',
        args: [word('name'), rest('reason', true)],
      },
    ],
    true,
  ),
  request(
    'mute',
    {
      name,
      reason: optText,
      /** How long: `30m`, `1h`, `7d`, `2w`; until /unmute (or a restart) when absent. */
      duration: z.string().max(16).optional(),
    },
    [
      {
        name: 'mute',
        usage: '/mute nick [duration] [reason]',
        summary:
          'stop a user speaking in rooms; they still read and get private messages (operators only)',
        args: [word('name'), rest('reason', true)],
      },
    ],
    true,
  ),
  request(
    'unmute',
    { name },
    [
      {
        name: 'unmute',
        usage: '/unmute nick',
        summary: 'let a muted user speak again (operators only)',
        args: [word('name')],
      },
    ],
    true,
  ),
  request(
    'bans',
    {},
    [
      {
        name: 'bans',
        usage: '/bans',
        summary: 'list bans: who set them, when, why, until when (operators only)',
        args: [],
      },
    ],
    true,
  ),
  request(
    'unban',
    { name },
    [
      {
        name: 'unban',
        usage: '/unban name',
        summary: 'lift a ban, named as /bans shows it (operators only)',
        args: [word('name')],
      },
    ],
    true,
  ),
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
  (r.typed as readonly Typed[]).map((t): CommandSpec => ({
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
