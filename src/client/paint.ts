/**
 * chat-client's ink: ANSI colour (only for a terminal, never under NO_COLOR),
 * a stable colour per alias, text from the wire made safe for the terminal,
 * notice (`* …`) and error (`! …`) lines, and phrasebook segments turned into
 * text. Every display module (render.ts, chat-lines.ts) draws with these.
 */
import { errorPhrase, type Phrase } from '../protocol/phrases.js';
import { sanitizeText } from '../protocol/sanitize.js';

/** What rendering depends on besides the event itself. */
export interface RenderContext {
  /** The user's own alias. */
  self: string;
  /** The room the user is looking at; messages from other rooms get a `#room` tag. */
  room: string;
  /** Whether to use ANSI colour (see shouldUseColor). */
  color: boolean;
}

const ESC = '\x1b[';
const RESET = `${ESC}0m`;
/** Alias colours: no red (errors) and no grey (notices), so those stay distinct. */
const PALETTE = ['32', '33', '34', '35', '36', '92', '93', '94', '95', '96'] as const;
const NOTICE_STYLE = '90';
const ERROR_STYLE = '1;31';

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

/** `text` in an SGR `style` when colour is on; as it is otherwise. */
export function paint(ctx: RenderContext, style: string, text: string): string {
  return ctx.color ? `${ESC}${style}m${text}${RESET}` : text;
}

/**
 * Text from the wire, made safe for the terminal. The server already sanitizes
 * (§1); doing it again here means a rogue or buggy server cannot drive the
 * user's terminal either.
 */
export function clean(text: string | undefined): string {
  return sanitizeText(text ?? '');
}

/** An alias from the wire, cleaned, in its own colour. */
export function nick(ctx: RenderContext, name: string): string {
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
 * A phrase of the shared phrasebook, with every value from the wire cleaned.
 * Names inside notices stay in the notice's colour: a notice reads as one thing.
 */
export function words(phrase: Phrase): string {
  return phrase.map((seg) => (typeof seg === 'string' ? seg : clean(seg.value))).join('');
}

/** Lines of `[left, right]` pairs with the left column padded to one width. */
export function columns(rows: Array<[string, string]>, indent = '    '): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}  ${right}`.trimEnd());
}

/** A phrase with its user names in their alias colours (lists, where each name stands alone). */
export function named(phrase: Phrase, ctx: RenderContext): string {
  return phrase
    .map((seg) =>
      typeof seg === 'string' ? seg : seg.kind === 'user' ? nick(ctx, seg.value) : clean(seg.value),
    )
    .join('');
}
