/**
 * IRC lines (docs/protocol.md "IRC"): parse a client's line into tags, prefix,
 * command and parameters, and serialize the server's replies, keeping every
 * line within the 512-byte limit of RFC 1459 (tags not counted, as IRCv3
 * message-tags says). Pure functions: no sockets, no chat state.
 */

/** One IRC message. `params` holds the trailing parameter (after ` :`) last, unmarked. */
export interface IrcMessage {
  tags: Record<string, string>;
  prefix?: string;
  command: string;
  params: string[];
}

/** The RFC limit for a line without its tags, CRLF included. */
export const IRC_LINE_BYTES = 512;
/** IRCv3: a client's tags may take this many bytes (plus the `@` and the space). */
export const IRC_CLIENT_TAG_BYTES = 4096;
/** Longest line a client may send: tags plus a full RFC line. */
export const IRC_MAX_INPUT_BYTES = IRC_CLIENT_TAG_BYTES + IRC_LINE_BYTES;
/** RFC 1459: at most 15 parameters; more are folded into the last one. */
const MAX_PARAMS = 15;

export type IrcParseErrorCode = 'empty' | 'nul' | 'bad_tags' | 'no_command';

export class IrcParseError extends Error {
  override readonly name = 'IrcParseError';
  constructor(
    readonly code: IrcParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const TAG_UNESCAPES: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

function unescapeTag(value: string): string {
  return value.replace(/\\(.?)/gu, (_m, c: string) => (c === '' ? '' : (TAG_UNESCAPES[c] ?? c)));
}

function escapeTag(value: string): string {
  return value.replace(/[;\s\\]/gu, (c) =>
    c === ';' ? '\\:' : c === ' ' ? '\\s' : c === '\\' ? '\\\\' : c === '\r' ? '\\r' : '\\n',
  );
}

/**
 * Parse one line (without CRLF). Throws IrcParseError for an empty line, a NUL
 * byte (RFC 1459 forbids it anywhere), a bare tag section or no command. The
 * command comes back upper-cased; numerics stay digits.
 */
export function parseIrcLine(line: string): IrcMessage {
  if (line.includes('\0')) throw new IrcParseError('nul', 'NUL bytes are not allowed in IRC lines');
  let rest = line.replace(/^[ \r\n]+/u, '').replace(/[\r\n]+$/u, '');
  if (rest === '') throw new IrcParseError('empty', 'Empty line');
  const tags: Record<string, string> = {};
  if (rest.startsWith('@')) {
    const space = rest.indexOf(' ');
    if (space < 0) throw new IrcParseError('bad_tags', 'Tags without a command');
    for (const tag of rest.slice(1, space).split(';')) {
      if (tag === '') continue;
      const eq = tag.indexOf('=');
      const key = eq < 0 ? tag : tag.slice(0, eq);
      if (key === '') throw new IrcParseError('bad_tags', 'A tag without a name');
      tags[key] = eq < 0 ? '' : unescapeTag(tag.slice(eq + 1));
    }
    rest = rest.slice(space + 1).replace(/^ +/u, '');
  }
  let prefix: string | undefined;
  if (rest.startsWith(':')) {
    const space = rest.indexOf(' ');
    if (space < 0) throw new IrcParseError('no_command', 'A prefix without a command');
    prefix = rest.slice(1, space);
    rest = rest.slice(space + 1).replace(/^ +/u, '');
  }
  const params: string[] = [];
  let command = '';
  while (rest !== '') {
    if (command !== '' && (rest.startsWith(':') || params.length === MAX_PARAMS - 1)) {
      params.push(rest.startsWith(':') ? rest.slice(1) : rest);
      break;
    }
    const space = rest.indexOf(' ');
    const word = space < 0 ? rest : rest.slice(0, space);
    if (command === '') command = word;
    else params.push(word);
    rest = space < 0 ? '' : rest.slice(space + 1).replace(/^ +/u, '');
  }
  if (command === '') throw new IrcParseError('no_command', 'No command');
  return { tags, ...(prefix !== undefined && { prefix }), command: command.toUpperCase(), params };
}

/**
 * Serialize a message (without CRLF). The last parameter is written as a
 * trailing one (` :…`) when it must be (empty, has a space, starts with `:`)
 * or when `trailing` asks for it (clients read text parameters either way).
 */
export function formatIrc(msg: IrcMessage, trailing = false): string {
  let out = '';
  const tagKeys = Object.keys(msg.tags);
  if (tagKeys.length > 0) {
    out +=
      '@' +
      tagKeys.map((k) => (msg.tags[k] ? `${k}=${escapeTag(msg.tags[k]!)}` : k)).join(';') +
      ' ';
  }
  if (msg.prefix !== undefined) out += ':' + msg.prefix + ' ';
  out += msg.command;
  msg.params.forEach((p, i) => {
    const last = i === msg.params.length - 1;
    if (last && (trailing || p === '' || p.includes(' ') || p.startsWith(':'))) out += ' :' + p;
    else out += ' ' + p;
  });
  return out;
}

/** Bytes of a line without its tags, CRLF included (what the 512 limit counts). */
export function ircBodyBytes(msg: IrcMessage, trailing = false): number {
  return Buffer.byteLength(formatIrc({ ...msg, tags: {} }, trailing)) + 2;
}

/**
 * Cut `text` into pieces of at most `maxBytes` UTF-8 bytes each, never inside
 * a character, preferring to cut after a space. Nothing is dropped: the
 * pieces joined give the text back. An empty text is one empty piece.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must leave room for one character');
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const pieces: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest) > maxBytes) {
    // Walk characters (code points) until the budget is spent.
    let bytes = 0;
    let end = 0;
    let lastSpace = -1;
    for (const ch of rest) {
      const n = Buffer.byteLength(ch);
      if (bytes + n > maxBytes) break;
      bytes += n;
      end += ch.length;
      if (ch === ' ') lastSpace = end;
    }
    // A space in the last quarter is a good place to cut; otherwise cut where the budget ends.
    const cut = lastSpace > end * 0.75 ? lastSpace : end;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  pieces.push(rest);
  return pieces;
}

/**
 * Lines carrying `text` as the last parameter of `msg` (appended to its
 * params): one per line of the text (IRC has no multi-line message), each
 * line split further so that no IRC line exceeds 512 bytes. Empty lines are
 * left out: IRC cannot carry one (`PRIVMSG #room :` is no message). `wrap`
 * goes around every piece (CTCP ACTION's `\x01ACTION ` and `\x01`).
 */
export function formatTextLines(
  msg: IrcMessage,
  text: string,
  wrap: readonly [string, string] = ['', ''],
): string[] {
  const overhead = ircBodyBytes({ ...msg, params: [...msg.params, wrap[0] + wrap[1]] }, true);
  const room = Math.max(16, IRC_LINE_BYTES - overhead);
  const out: string[] = [];
  for (const line of text.split(/\r?\n/u)) {
    if (line === '') continue;
    for (const piece of splitUtf8(line, room)) {
      out.push(formatIrc({ ...msg, params: [...msg.params, wrap[0] + piece + wrap[1]] }, true));
    }
  }
  return out;
}
