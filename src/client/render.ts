/**
 * How chat-client shows things: pure functions from wire events to display
 * strings (one or more lines, no trailing newline). The shapes follow text mode
 * (docs/protocol.md §3) so a chat-client user and an `nc` user read the same
 * transcript; on top of that come colour, readable lists, marked mentions
 * and the user's own lines, which the server never echoes.
 */
import type {
  AckEvent,
  MessageEvent,
  PrivateEvent,
  Request,
  ServerEvent,
} from '../protocol/messages.js';
import {
  ackPhrase,
  bansPhrases,
  connectedPhrase,
  count,
  errorPhrase,
  HELP_HEAD,
  HELP_HINT,
  helpEntryPhrase,
  historyFootPhrase,
  historyGapPhrase,
  historyHeadPhrase,
  joinTopicPhrase,
  morePhrase,
  roomsHeadPhrase,
  systemPhrase,
  welcomePhrase,
  whoEntryPhrase,
  whoHeadPhrase,
  whoisPhrases,
  type Phrase,
} from '../protocol/phrases.js';
import { sanitizeText } from '../protocol/sanitize.js';
import { clock } from '../protocol/text-codec.js';
import { mentionPattern, mentions, sameAlias } from './attention.js';
import { CLIENT_COMMANDS, clientHelpEntry } from './commands.js';

/** What rendering depends on besides the event itself. */
export interface RenderContext {
  /** The user's own alias. */
  self: string;
  /** The room the user is looking at; messages from other rooms get a `#room` tag. */
  room: string;
  /** Whether to use ANSI colour (see shouldUseColor). */
  color: boolean;
}

/** Key of the private-message stream in history and resume (§4). */
const ESC = '\x1b[';
const RESET = `${ESC}0m`;
/** Alias colours: no red (errors) and no grey (notices), so those stay distinct. */
const PALETTE = ['32', '33', '34', '35', '36', '92', '93', '94', '95', '96'] as const;
const NOTICE_STYLE = '90';
const ERROR_STYLE = '1;31';
/** The `#room` tag of a message from a room other than the current one. */
const ROOM_TAG_STYLE = '1;36';
/** The `*nick*` / `-> *nick*` frame of a private message. */
const PRIVATE_STYLE = '1;35';
/** The mention marker and the mentioned name in the text: bold reverse yellow. */
const MENTION_STYLE = '1;7;33';
/**
 * Marks a line that mentions the user, after its time: `[14:02] » <Bob> hi
 * Alice`. A character, not only a colour, so it shows without colour too.
 */
const MENTION_MARK = '»';

/** Colour only for a terminal, and never when the user set NO_COLOR (https://no-color.org). */
export function shouldUseColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

/** The SGR colour code of an alias: stable across runs and case-insensitive, like aliases. */
export function aliasColor(name: string): string {
  // FNV-1a: tiny, deterministic, and spreads similar names across the palette.
  let hash = 0x811c9dc5;
  for (const ch of name.normalize('NFKC').toLowerCase()) {
    hash ^= ch.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return PALETTE[hash % PALETTE.length] ?? '0';
}

function paint(ctx: RenderContext, style: string, text: string): string {
  return ctx.color ? `${ESC}${style}m${text}${RESET}` : text;
}

/**
 * Text from the wire, made safe for the terminal. The server already sanitizes
 * (§1); doing it again here means a rogue or buggy server cannot drive the
 * user's terminal either.
 */
function clean(text: string | undefined): string {
  return sanitizeText(text ?? '');
}

function nick(ctx: RenderContext, name: string): string {
  const safe = clean(name);
  return paint(ctx, aliasColor(safe), safe);
}

/** A system notice or command reply: `* text`, greyed when colour is on. */
export function renderNotice(text: string, ctx: RenderContext): string {
  return text
    .split('\n')
    .map((line) => paint(ctx, NOTICE_STYLE, `* ${line}`))
    .join('\n');
}

/**
 * An error as a person reads it: `! message`, in red when colour is on. The
 * stable code (`not_found`, …) is for programs (JSON, nc's text lines, and a
 * script's stderr in piped.ts), not for this screen, where it reads as
 * debugging output (issue 9.10). `code` is taken so callers need not care.
 */
export function renderError(
  message: string,
  _code: string | undefined,
  ctx: RenderContext,
): string {
  return paint(ctx, ERROR_STYLE, `! ${words(errorPhrase(message, undefined))}`);
}

/**
 * One prefix per line of a possibly multi-line text (§6: each line gets the
 * same prefix); `style` may decorate each cleaned line.
 */
function prefixed(prefix: string, text: string, style = (line: string) => line): string {
  return text
    .split('\n')
    .map((line) => prefix + style(clean(line)))
    .join('\n');
}

/** `HH:MM`, or `--:--` for a timestamp that does not parse. */
function time(ts: string): string {
  const hm = clock(ts);
  return hm === 'NaN:NaN' ? '--:--' : hm;
}

function stamp(ts: string): string {
  return `[${time(ts)}]`;
}

/**
 * A room message, also the user's own once acked: `[HH:MM] [» ][#room ]<nick>
 * text`, with `»` when someone else's message mentions the user.
 */
function roomMessage(
  m: Pick<MessageEvent, 'ts' | 'room' | 'from' | 'text' | 'action'>,
  ctx: RenderContext,
): string {
  const mentioned = !sameAlias(m.from, ctx.self) && mentions(m.text, ctx.self);
  const mark = mentioned ? `${paint(ctx, MENTION_STYLE, MENTION_MARK)} ` : '';
  const where = m.room === ctx.room ? '' : `${paint(ctx, ROOM_TAG_STYLE, clean(m.room))} `;
  const who = m.action ? `* ${nick(ctx, m.from)} ` : `<${nick(ctx, m.from)}> `;
  const pattern = mentioned && ctx.color ? mentionPattern(ctx.self) : undefined;
  const highlight = pattern
    ? (line: string) => line.replace(pattern, (name) => paint(ctx, MENTION_STYLE, name))
    : undefined;
  return prefixed(`${stamp(m.ts)} ${mark}${where}${who}`, m.text, highlight);
}

/**
 * A private message: `[HH:MM] *Bob* text` received, `[HH:MM] -> *Bob* text`
 * sent (the user's own, after its ack or in a replay of the private stream).
 */
function privateMessage(
  m: Pick<PrivateEvent, 'ts' | 'from' | 'to' | 'text' | 'action'>,
  ctx: RenderContext,
): string {
  const mine = sameAlias(m.from, ctx.self);
  const star = paint(ctx, PRIVATE_STYLE, '*');
  const peer = mine
    ? `${paint(ctx, PRIVATE_STYLE, '->')} ${star}${nick(ctx, m.to)}${star}`
    : `${star}${nick(ctx, m.from)}${star}`;
  const prefix = m.action
    ? `${stamp(m.ts)} ${peer} * ${nick(ctx, m.from)} `
    : `${stamp(m.ts)} ${peer} `;
  return prefixed(prefix, m.text);
}

/**
 * A phrase of the shared phrasebook, with every value from the wire cleaned.
 * Names inside notices stay in the notice's colour: a notice reads as one thing.
 */
function words(phrase: Phrase): string {
  return phrase.map((seg) => (typeof seg === 'string' ? seg : clean(seg.value))).join('');
}

/** Lines of `[left, right]` pairs with the left column padded to one width. */
function columns(rows: Array<[string, string]>, indent = '    '): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}  ${right}`.trimEnd());
}

/** A phrase with its user names in their alias colours (lists, where each name stands alone). */
function named(phrase: Phrase, ctx: RenderContext): string {
  return phrase
    .map((seg) =>
      typeof seg === 'string' ? seg : seg.kind === 'user' ? nick(ctx, seg.value) : clean(seg.value),
    )
    .join('');
}

/**
 * Display text for an event from the server, or undefined when it shows
 * nothing (acks: see renderAck; keep-alive pings).
 */
export function renderEvent(e: ServerEvent, ctx: RenderContext): string | undefined {
  switch (e.type) {
    case 'message':
      return roomMessage(e, ctx);
    case 'private':
      return privateMessage(e, ctx);
    case 'system':
      return renderNotice(words(systemPhrase(e)), ctx);
    case 'welcome':
      return renderNotice(
        `${words(connectedPhrase(e))}\n${words(welcomePhrase(e))} ${HELP_HINT}, exit to leave.`,
        ctx,
      );
    case 'history': {
      if (e.messages.length === 0)
        return e.gap ? renderNotice(words(historyGapPhrase(e)), ctx) : undefined;
      return [
        renderNotice(words(historyHeadPhrase(e)), ctx),
        ...e.messages.map((m) =>
          m.type === 'private' ? privateMessage(m, ctx) : roomMessage(m, ctx),
        ),
        renderNotice(words(historyFootPhrase(e)), ctx),
      ].join('\n');
    }
    case 'error':
      return renderError(e.message, e.code, ctx);
    case 'who': {
      const head = renderNotice(words(whoHeadPhrase(e)), ctx);
      // Staff marked as in text mode (`@Ana`), so students can tell who is an operator.
      const rows = e.users.map((u) => `    ${named(whoEntryPhrase(u), ctx)}`);
      const more = morePhrase(e);
      return [head, ...rows, ...(more ? [renderNotice(words(more), ctx)] : [])].join('\n');
    }
    case 'whois':
      return renderNotice(whoisPhrases(e, time).map(words).join('\n'), ctx);
    case 'rooms': {
      const head = renderNotice(words(roomsHeadPhrase(e)), ctx);
      const rows = columns(
        e.rooms.map((r) => [
          clean(r.name),
          `${count(r.members, 'member', 'members')}${r.topic ? `  ${clean(r.topic)}` : ''}`,
        ]),
      );
      const more = morePhrase(e) ? [renderNotice(words(morePhrase(e)!), ctx)] : [];
      return [head, ...rows, ...more].join('\n');
    }
    case 'help': {
      const commands = e.commands.map(clientHelpEntry);
      const only = commands.length === 1 ? commands[0] : undefined;
      if (only) return renderNotice(words(helpEntryPhrase(only)), ctx);
      const rows = columns([
        ...commands.map((c): [string, string] => [clean(c.usage), clean(c.summary)]),
        ...CLIENT_COMMANDS.map((c): [string, string] => [c.usage, c.summary]),
        ['exit, quit, Ctrl-D', 'leave the chat'],
      ]);
      const head = renderNotice(HELP_HEAD, ctx);
      return [head, ...rows].join('\n');
    }
    case 'ack':
    case 'ping':
    case 'pong':
      return undefined;
  }
}

/**
 * Display text for the server's ack of `request`, or undefined when there is
 * nothing to say. A `say` or `dm` shows the user's own line here, once the
 * server has stored it, with the server's timestamp: the server never echoes
 * it back (§3 split horizon).
 */
export function renderAck(ack: AckEvent, request: Request, ctx: RenderContext): string | undefined {
  const room = clean(ack.room ?? ('room' in request ? request.room : undefined));
  const name = clean(ack.name ?? ('name' in request ? request.name : undefined));
  switch (request.type) {
    case 'say':
      return roomMessage(
        {
          ts: ack.ts,
          room: request.room ?? ack.room ?? ctx.room,
          from: ctx.self,
          text: request.text,
          action: request.action ?? false,
        },
        ctx,
      );
    case 'dm': {
      const line = privateMessage(
        {
          ts: ack.ts,
          from: ctx.self,
          to: request.to,
          text: request.text,
          action: request.action ?? false,
        },
        ctx,
      );
      // A dm's ack carries the recipient's away text, if any (text mode says the same).
      const away = `${clean(request.to)} is away: ${clean(ack.text)}`;
      if (ack.offline) {
        const later = `${clean(ack.name ?? request.to)} is offline; they get it at their next login`;
        return `${line}\n${renderNotice(later, ctx)}`;
      }
      return ack.text ? `${line}\n${renderNotice(away, ctx)}` : line;
    }
    case 'join':
    case 'nick':
    case 'topic':
    case 'away':
    case 'ignore':
    case 'unignore':
    case 'mute':
    case 'unmute':
    case 'passwd': {
      const phrase = ackPhrase({
        ...ack,
        op: request.type,
        room: room || undefined,
        name: name || undefined,
      });
      const line = phrase && renderNotice(words(phrase), ctx);
      if (line && request.type === 'join' && ack.topic?.text)
        return `${line}\n${renderNotice(words(joinTopicPhrase(room || undefined, ack.topic)), ctx)}`;
      return line;
    }
    case 'part':
      return renderNotice(`You left ${room}`, ctx);
    case 'register':
      return renderNotice(`${clean(ctx.self)} is now registered`, ctx);
    case 'kick':
      // The server sends the operator the room's `system` kick line, worded
      // like everyone else's (who kicked whom and why): no second line here.
      return undefined;
    case 'ban':
      return renderNotice(`Banned ${name}`, ctx);
    case 'unban':
      return renderNotice(`Unbanned ${name}`, ctx);
    case 'bans':
      return bansPhrases(ack.bans ?? [])
        .map((p) => renderNotice(words(p), ctx))
        .join('\n');
    default:
      return undefined;
  }
}
