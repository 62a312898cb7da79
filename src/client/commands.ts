/**
 * What a line typed into chat-client means (docs/protocol.md §3, sent as §4 JSON).
 * The command table itself is the protocol's (`protocol/commands.ts`, parsed by
 * the text codec), so `/help`, text mode and this client can never disagree on
 * a command's arguments; this module only adds what is the client's own:
 * leaving words, `/reply`, and the current room the user is looking at.
 */
import { COMMAND_SPECS } from '../protocol/commands.js';
import { ChatError } from '../protocol/errors.js';
import type { Request } from '../protocol/messages.js';
import { decodeTextLine } from '../protocol/text-codec.js';
import { TRANSFER_COMMANDS } from './transfer-ui.js';

/** The result of reading one typed line. */
export type ParsedInput =
  /** Nothing to do (a blank line). */
  | { kind: 'none' }
  /** Send this request to the server. */
  | { kind: 'send'; request: Request }
  /** Leave the chat (`exit`, `quit`, `/quit [reason]`). */
  | { kind: 'quit'; reason?: string }
  /** Show this notice; nothing is sent (help on a command of the client's own). */
  | { kind: 'notice'; text: string }
  /** The line could not be understood; say why and send nothing. */
  | { kind: 'invalid'; message: string };

/** Words that leave the chat on their own, as in a shell or telnet session. */
const LEAVE_WORDS = new Set(['exit', 'quit']);

/** Commands the client carries out itself, for /help and completion. */
export const CLIENT_COMMANDS = [
  { name: 'reply', usage: '/reply text', summary: 'answer the last private message' },
  ...TRANSFER_COMMANDS,
] as const;

/**
 * Server commands that chat-client runs its own way, as its /help shows them:
 * `/passwd` alone asks for the passwords without echo (passwd.ts).
 */
const CLIENT_USAGE: Readonly<Record<string, { usage: string; summary: string }>> = {
  passwd: {
    usage: '/passwd',
    summary: 'change your password, asked for without echo (or /passwd old new)',
  },
};

/** A /help entry from the server, as chat-client runs that command. */
export function clientHelpEntry<T extends { name: string; usage: string; summary: string }>(
  entry: T,
): T {
  const own = CLIENT_USAGE[entry.name];
  return own ? { ...entry, ...own } : entry;
}

/** Every command name (without the slash), for Tab completion. */
export const COMMAND_NAMES: readonly string[] = [
  ...COMMAND_SPECS.map((c) => c.name),
  ...CLIENT_COMMANDS.map((c) => c.name),
];

/** `/reply text` and `/help reply`, or undefined for any other line. */
function clientCommand(input: string, replyTo: string | undefined): ParsedInput | undefined {
  const match = /^\/(\S+)\s*(.*)$/su.exec(input);
  const name = match?.[1]?.toLowerCase();
  const args = (match?.[2] ?? '').trim();
  const reply = CLIENT_COMMANDS[0];
  if (name === 'help' && args.replace(/^\//u, '').toLowerCase() === reply.name) {
    return { kind: 'notice', text: `${reply.usage} — ${reply.summary}` };
  }
  if (name !== reply.name) return undefined;
  if (replyTo === undefined) {
    return { kind: 'invalid', message: 'No private message to reply to yet' };
  }
  if (args === '') return { kind: 'invalid', message: `Missing text. Usage: ${reply.usage}` };
  return { kind: 'send', request: { type: 'dm', to: replyTo, text: args } };
}

/** Request types whose room defaults to the current one when none is typed. */
const ROOM_DEFAULTED = new Set<Request['type']>(['say', 'topic', 'who', 'history', 'part']);

/**
 * Turn one typed line into what to do, with `room` as the user's current room
 * and `replyTo` the sender of the last private message received (for /reply).
 */
export function parseInput(line: string, room: string, replyTo?: string): ParsedInput {
  const text = line.replace(/\r$/u, '');
  const word = text.trim();
  if (word === '') return { kind: 'none' };
  if (LEAVE_WORDS.has(word.toLowerCase())) return { kind: 'quit' };
  // Plain messages are sent as typed (leading spaces kept); commands may be indented.
  const input = word.startsWith('/') ? word : text;
  const own = input.startsWith('/') ? clientCommand(input, replyTo) : undefined;
  if (own) return own;
  let request: Request;
  try {
    // Every command is offered: the server, not the client, decides who is an operator.
    request = decodeTextLine(input, () => true);
  } catch (err) {
    if (err instanceof ChatError) return { kind: 'invalid', message: err.message };
    throw err;
  }
  if (request.type === 'quit') {
    return request.reason === undefined
      ? { kind: 'quit' }
      : { kind: 'quit', reason: request.reason };
  }
  // An explicit room keeps a line bound to the room the user saw when typing it,
  // even if a /join is still in flight.
  if (ROOM_DEFAULTED.has(request.type) && !('room' in request && request.room !== undefined)) {
    // Only types that take an optional `room` are in ROOM_DEFAULTED, so this stays a Request.
    request = { ...request, room } as Request;
  }
  return { kind: 'send', request };
}

/** Commands whose arguments include a password (for the ones the parser does not know yet too). */
const PASSWORD_COMMANDS =
  /^\s*\/(?:(?:register|passwd|password|login|identify|oper)\b|nick\s+\S+\s+\S)/iu;

/**
 * Whether a typed line holds a password, so it must never be kept for
 * Up-arrow recall (issue 9 §10): `/register`, `/nick NAME PASSWORD`, `/passwd`.
 */
export function holdsPassword(line: string): boolean {
  if (PASSWORD_COMMANDS.test(line)) return true;
  const input = parseInput(line, '#lobby');
  return (
    input.kind === 'send' && 'password' in input.request && input.request.password !== undefined
  );
}
