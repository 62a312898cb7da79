/**
 * The chat lines chat-client shows, shaped as text mode shows them
 * (docs/protocol.md §3): room messages (`[HH:MM] <nick> text`, a `#room` tag
 * from another room, `»` and highlight where the user is mentioned) and
 * private messages (`*Bob*` received, `-> *Bob*` sent), one prefix per line
 * of a multi-line text (§6).
 */
import type { MessageEvent, PrivateEvent } from '../protocol/messages.js';
import { clock } from '../protocol/text-encode.js';
import { mentionPattern, mentions, sameAlias } from './attention.js';
import { clean, nick, paint, type RenderContext } from './paint.js';

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
export function time(ts: string): string {
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
export function roomMessage(
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
export function privateMessage(
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
