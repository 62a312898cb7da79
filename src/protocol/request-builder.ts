/**
 * What a request type is defined with (docs/protocol.md §3, §4): its field
 * schemas, which sanitize typed text while they validate, the page and
 * history limits, argument specs for its typed commands, and `request()`,
 * which makes one strict entry of the command table (commands.ts).
 */
import { z } from 'zod';
import { sanitizeLines, sanitizeText } from './sanitize.js';

/** How one argument of a typed command is taken from the line. */
export interface ArgSpec {
  /** The Request field it fills. */
  field: string;
  /** `word` takes one token; `rest` takes the remainder of the line, spaces included. */
  take: 'word' | 'rest';
  optional?: boolean;
  /** `int` arguments must be whole numbers, within `min` and `max` when given. */
  int?: boolean;
  min?: number;
  max?: number;
}

/** A typed command as a request entry declares it; the table adds its request type. */
export interface TypedCommand {
  name: string;
  usage: string;
  summary: string;
  /** What `/help` adds for operators: options only they may use (§2 lists those to them only). */
  operatorSummary?: string;
  args: ArgSpec[];
  /** Fixed fields added to the request (`/me` is a `say` with `action: true`). */
  fixed?: Record<string, unknown>;
}

export const word = (field: string, optional = false): ArgSpec => ({
  field,
  take: 'word',
  optional,
});
export const rest = (field: string, optional = false): ArgSpec => ({
  field,
  take: 'rest',
  optional,
});

/** Longest string field a request may have (sayFastPath in json-codec.ts checks it too). */
export const MAX_FIELD = 65536;
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
export const optText = text.optional();
export const lines = str.transform(sanitizeLines);
export const name = z.string().max(256);
export const password = z.string().max(1024);
/** Page size of `/rooms` and `/who *` (§6); the default is DEFAULT_PAGE. */
export const pageLimit = z.number().int().min(1).max(MAX_PAGE).optional();

/** One request type: its JSON fields, its typed commands, and whether it is for operators. */
export function request<T extends string, F extends z.ZodRawShape>(
  type: T,
  fields: F,
  typed: TypedCommand[] = [],
  operator = false,
) {
  // Strict (§4): an unknown key is `bad_request` naming it, never dropped —
  // a typo such as `"histroy":0` must not silently mean the default.
  const schema = z.object({ type: z.literal(type), id, ...fields }).strict();
  return { type, schema, typed, operator };
}
