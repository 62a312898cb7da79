import type { RequestType } from '../../protocol/messages.js';

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

/**
 * One typed command (PROTOCOL.md §3) as data: the single source for text-mode
 * parsing, arity checks, `/help` text and client-side completion.
 */
export interface CommandSpec {
  name: string;
  request: RequestType;
  usage: string;
  summary: string;
  args: ArgSpec[];
  /** Fixed fields added to the request (`/me` is a `say` with `action: true`). */
  fixed?: Record<string, unknown>;
  operator?: boolean;
}

const word = (field: string, optional = false): ArgSpec => ({ field, take: 'word', optional });
const rest = (field: string, optional = false): ArgSpec => ({ field, take: 'rest', optional });

export const COMMAND_SPECS: readonly CommandSpec[] = [
  {
    name: 'help',
    request: 'help',
    usage: '/help [command]',
    summary: 'list commands, or show how to use one',
    args: [word('command', true)],
  },
  {
    name: 'who',
    request: 'who',
    usage: '/who [#room | *]',
    summary: 'users in this room, another room, or everyone online',
    args: [word('room', true)],
  },
  {
    name: 'rooms',
    request: 'rooms',
    usage: '/rooms',
    summary: 'rooms with member counts and topics',
    args: [],
  },
  {
    name: 'join',
    request: 'join',
    usage: '/join #room',
    summary: 'join a room (creating it if new) and make it current',
    args: [word('room')],
  },
  {
    name: 'part',
    request: 'part',
    usage: '/part [#room]',
    summary: 'leave a room (not your last one)',
    args: [word('room', true)],
  },
  {
    name: 'msg',
    request: 'dm',
    usage: '/msg nick text',
    summary: 'send a private message',
    args: [word('to'), rest('text')],
  },
  {
    name: 'me',
    request: 'say',
    usage: '/me text',
    summary: 'send an action ("* Alice waves")',
    args: [rest('text')],
    fixed: { action: true },
  },
  {
    name: 'nick',
    request: 'nick',
    usage: '/nick newnick [password]',
    summary: 'change your alias (a registered one needs its password)',
    args: [word('name'), rest('password', true)],
  },
  {
    name: 'topic',
    request: 'topic',
    usage: '/topic [text]',
    summary: "show or set the current room's topic",
    args: [rest('text', true)],
  },
  {
    name: 'history',
    request: 'history',
    usage: '/history [n]',
    summary: 'the last n messages of the current room (default 20, max 500)',
    args: [{ field: 'limit', take: 'word', optional: true, int: true }],
  },
  {
    name: 'register',
    request: 'register',
    usage: '/register password',
    summary: 'register your current alias with a password',
    args: [rest('password')],
  },
  {
    name: 'away',
    request: 'away',
    usage: '/away [text]',
    summary: 'set an away message, or clear it without text',
    args: [rest('text', true)],
  },
  {
    name: 'ignore',
    request: 'ignore',
    usage: '/ignore [nick]',
    summary: "stop receiving a user's messages (list ignored users without a nick)",
    args: [word('name', true)],
  },
  {
    name: 'unignore',
    request: 'unignore',
    usage: '/unignore nick',
    summary: "receive a user's messages again",
    args: [word('name')],
  },
  {
    name: 'kick',
    request: 'kick',
    usage: '/kick nick [reason]',
    summary: 'disconnect a user (operators only)',
    args: [word('name'), rest('reason', true)],
    operator: true,
  },
  {
    name: 'ban',
    request: 'ban',
    usage: '/ban nick',
    summary: 'ban a user (operators only)',
    args: [word('name')],
    operator: true,
  },
  {
    name: 'unban',
    request: 'unban',
    usage: '/unban nick',
    summary: 'lift a ban (operators only)',
    args: [word('name')],
    operator: true,
  },
  {
    name: 'quit',
    request: 'quit',
    usage: '/quit [reason]',
    summary: 'leave the chat; others see the reason',
    args: [rest('reason', true)],
  },
];

const BY_NAME = new Map(COMMAND_SPECS.map((c) => [c.name, c]));

/** Look up a typed command by name (case-insensitive, without the slash). */
export function findCommand(name: string): CommandSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}
