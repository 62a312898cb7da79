/**
 * JSON mode (docs/protocol.md §4): one JSON object per line. Every inbound object is
 * validated with zod before it reaches the core; every string a user typed is
 * sanitized here so the core only ever sees clean text.
 */
import { z } from 'zod';
import { EncodedBatch, type Bytes } from './batch-bytes.js';
import type { Codec, Decoded, HelloStep, LoginRetry, View } from './codec.js';
import { ChatError } from './errors.js';
import {
  PROTOCOL_VERSION,
  type AckEvent,
  type Hello,
  type MessageEvent,
  type Request,
  type ServerEvent,
} from './messages.js';
import { sanitizeLines } from './sanitize.js';
import { requestSchema, type RequestOf } from './commands.js';
import { MAX_FIELD } from './request-builder.js';
import { parseRoomArg } from './names.js';

const name = z.string().max(256);

const resumePoint = z.union([
  z.number().int().nonnegative(),
  z.object({ seq: z.number().int().nonnegative(), epoch: z.string().max(128).optional() }).strict(),
]);

/**
 * A JSON-mode frame as text: UTF-8, invalid bytes as U+FFFD (§1). No telnet
 * negotiation is read here: a 0xFF byte is invalid UTF-8 like any other.
 */
function jsonText(frame: Buffer): string {
  const text = frame.toString('utf8');
  // A byte order mark some editors and Windows tools put first is not JSON
  // (JSON.parse refuses it): it is dropped, as the hello's trim() drops it.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
/** The handshake line of a JSON client (§2, §4 `hello`). */
export const helloSchema = z
  .object({
    type: z.literal('hello'),
    // Any request may carry an id (§4), the hello too: its welcome or error echoes it.
    id: z.string().max(128).optional(),
    version: z.number().int().positive(),
    name,
    password: z.string().max(1024).optional(),
    account: name.optional(),
    resume: z.record(z.string().max(64), resumePoint).optional(),
    history: z.number().int().min(0).max(500).optional(),
    bot: z.boolean().optional(),
    session: z
      .string()
      .regex(/^[A-Za-z0-9_-]{22,128}$/, 'session must be 22-128 of A-Z a-z 0-9 _ -')
      .optional(),
    instance: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,64}$/, 'instance must be 8-64 of A-Z a-z 0-9 _ -')
      .optional(),
  })
  .strict();

function parseObject(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ChatError('bad_request', 'Not valid JSON: send one JSON object per line');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ChatError('bad_request', 'Expected a JSON object with a "type"');
  }
  return value as Record<string, unknown>;
}

/**
 * The request id of a raw object, so even a refusal can carry it (§4: a
 * request with an id gets one reply carrying it), an over-long id's refusal
 * too: it is no longer than the line it came in.
 */
function idOf(obj: Record<string, unknown>): string | undefined {
  return typeof obj.id === 'string' ? obj.id : undefined;
}

/**
 * The id of a line that is not valid JSON (cut short, a missing comma), when
 * a string `id` member of its object can still be read: a bot that sent it
 * waits for a reply with that id (§4).
 */
function unparsedId(line: string): string | undefined {
  return fitting(topLevelId(line));
}

/** An id read from raw text, if it is one a request may have (at most 128 characters). */
function fitting(id: string | undefined): string | undefined {
  return id !== undefined && id.length <= 128 ? id : undefined;
}

/** A refusal of one inbound JSON line, carrying the request id when there was one. */
export class JsonDecodeError extends ChatError {
  constructor(
    err: ChatError,
    readonly requestId: string | undefined,
  ) {
    super(err.code, err.message);
  }
}

/**
 * A refusal in the words of the protocol's fields, not of the validator
 * ("Missing \"text\" (a string)", not "Invalid input: expected string,
 * received undefined"): bot authors read these. `obj` is what was sent.
 */
function describe(issues: z.core.$ZodIssue[], obj: Record<string, unknown>): string {
  const first = issues[0];
  if (!first) return 'Invalid request';
  if (first.code === 'unrecognized_keys') {
    // Name the keys (a typo is found at once), but never echo thousands of them.
    const shown = first.keys.slice(0, 3).map((k) => JSON.stringify(k.slice(0, 40)));
    const more = first.keys.length - shown.length;
    return `Unknown key${first.keys.length > 1 ? 's' : ''} ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  }
  if (first.path.length === 0) return `Invalid request: ${first.message}`;
  const field = `"${first.path.join('.')}"`;
  const sent = valueAt(obj, first.path);
  switch (first.code) {
    case 'invalid_type': {
      const expected = first.expected === 'int' ? 'an integer' : `a ${first.expected}`;
      if (sent === undefined) return `Missing ${field} (${expected})`;
      // A number where an integer is wanted: the number says what was wrong (1.5).
      const got =
        first.expected === 'int' && typeof sent === 'number' ? String(sent) : kindOf(sent);
      return `${field} must be ${expected}, not ${got}`;
    }
    case 'too_big':
      return first.origin === 'string'
        ? `${field} is too long: at most ${String(first.maximum)} characters`
        : `${field} must be at most ${String(first.maximum)}`;
    case 'too_small':
      if (first.origin === 'string') return `${field} must not be empty`;
      return `${field} must be ${first.inclusive ? 'at least' : 'more than'} ${String(first.minimum)}`;
    default:
      return `Invalid ${field}: ${first.message}`;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  return t === 'object' ? 'an object' : `a ${t}`;
}

/** The value at `path` in what was sent (undefined when absent). */
function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let at = obj;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** Parse the handshake line of a JSON-mode client; a refusal carries the hello's id when readable. */
export function decodeHello(line: string): Hello {
  let obj: Record<string, unknown> | undefined;
  try {
    obj = parseObject(line);
    return checkHello(obj);
  } catch (err) {
    if (err instanceof ChatError)
      throw new JsonDecodeError(err, obj ? idOf(obj) : unparsedId(line));
    throw err;
  }
}

function checkHello(obj: Record<string, unknown>): Hello {
  if (obj.type !== 'hello') {
    throw new ChatError('bad_request', 'The first JSON line must be {"type":"hello",...}');
  }
  const r = helloSchema.safeParse(obj);
  if (!r.success) throw new ChatError('bad_request', describe(r.error.issues, obj));
  // A resume point for a name that is no room would be lost without a word.
  for (const key of Object.keys(r.data.resume ?? {})) {
    if (key === '@') continue;
    try {
      parseRoomArg(key);
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      throw new ChatError(
        'bad_request',
        `Invalid resume key: ${err.message}; keys are rooms or "@"`,
      );
    }
  }
  return r.data;
}

/** The keys a `say` may have (commands.ts), for sayFastPath. */
const SAY_KEYS = new Set(['type', 'id', 'room', 'text', 'action']);

/**
 * A `say` exactly as requestSchema would give it, or undefined when it is
 * anything else or not plainly valid (zod then decides, and words the
 * refusal). zod cost about 6 µs per say, three times JSON.parse
 * (docs/performance.md, fourth pass); a test checks both agree.
 */
export function sayFastPath(obj: Record<string, unknown>): RequestOf<'say'> | undefined {
  const { id, room, text, action } = obj;
  if (obj.type !== 'say' || typeof text !== 'string' || text.length > MAX_FIELD) return undefined;
  if (id !== undefined && (typeof id !== 'string' || id.length > 128)) return undefined;
  if (room !== undefined && (typeof room !== 'string' || room.length > 256)) return undefined;
  if (action !== undefined && typeof action !== 'boolean') return undefined;
  for (const k in obj) if (!SAY_KEYS.has(k)) return undefined;
  const say: RequestOf<'say'> = { type: 'say', text: sanitizeLines(text) };
  if (id !== undefined) say.id = id;
  if (room !== undefined) say.room = room;
  if (action !== undefined) say.action = action;
  return say;
}

/** Parse one post-handshake JSON line into a validated Request. */
export function decodeJsonRequest(line: string): Request {
  let obj: Record<string, unknown> | undefined;
  try {
    obj = parseObject(line);
    if (typeof obj.type !== 'string') throw new ChatError('bad_request', 'Missing "type"');
    const say = sayFastPath(obj);
    if (say) return say;
    const r = requestSchema.safeParse(obj);
    if (!r.success) {
      const unknownType = r.error.issues.some(
        (i) => i.code === 'invalid_union' && i.path.length === 1 && i.path[0] === 'type',
      );
      throw new ChatError(
        'bad_request',
        obj.type === 'hello'
          ? 'Already signed in: hello is only the first line; to change alias send nick, to be someone else connect again'
          : unknownType
            ? `Unknown request type "${String(obj.type).slice(0, 40)}"`
            : describe(r.error.issues, obj),
      );
    }
    return r.data;
  } catch (err) {
    if (err instanceof ChatError)
      throw new JsonDecodeError(err, obj ? idOf(obj) : unparsedId(line));
    throw err;
  }
}

/**
 * Where an event keeps its JSON line once made. A symbol, so JSON.stringify
 * and every other reader of the event ignore it; on the event rather than
 * in a WeakMap, whose entry per message the GC had to visit as an ephemeron
 * at every scavenge while the message was in flight (docs/performance.md,
 * ninth pass). The bytes are the same for every JsonEncoder.
 */
const JSON_LINE = Symbol('json line');
type Encoded = ServerEvent & { [JSON_LINE]?: Buffer };

/** Any event's line: JSON.stringify and a LF. */
function jsonLine(e: ServerEvent): Buffer {
  return Buffer.from(JSON.stringify(e) + '\n', 'utf8');
}

/** Printable ASCII but `"` and `\\`: as a JSON string, exactly these characters between quotes. */
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A room message's line, byte for byte what JSON.stringify gives (a test
 * checks), for the common case of text that needs no escaping: that
 * skips JSON.stringify's scan of the text and a UTF-8 pass, about 1 µs of
 * a 512-character message (docs/performance.md, ninth pass). Anything else
 * goes through JSON.stringify.
 */
function messageLine(e: MessageEvent): Buffer {
  if (!verbatim(e)) return jsonLine(e);
  const head = messageHead(e);
  const tail = messageTail(e);
  const b = Buffer.allocUnsafe(head.length + e.text.length + tail.length);
  writeMessage(b, 0, head, e.text, tail);
  return b;
}

/** Whether messageLine may write `e` as it is (VERBATIM). */
function verbatim(e: MessageEvent): boolean {
  return (
    VERBATIM.test(e.text) && VERBATIM.test(e.room) && VERBATIM.test(e.from) && VERBATIM.test(e.ts)
  );
}

/** A verbatim message's line up to its text, and after it (messageLine). */
function messageHead(e: MessageEvent): string {
  return `{"type":"message","room":"${e.room}","seq":${e.seq},"ts":"${e.ts}","from":"${e.from}","text":"`;
}

function messageTail(e: MessageEvent): string {
  return `","action":${e.action}${e.mention ? ',"mention":true' : ''}}\n`;
}

/**
 * Write a verbatim message at `at` piece by piece: a template string of the
 * whole line would be one more copy of the text on the heap per message,
 * for the GC to sweep. Returns the offset after it.
 */
function writeMessage(b: Buffer, at: number, head: string, text: string, tail: string): number {
  at += b.write(head, at, 'latin1');
  at += b.write(text, at, 'latin1');
  return at + b.write(tail, at, 'latin1');
}

/**
 * A burst's lines written straight into one Buffer (EncodedBatch). A line
 * already made (an event sent on its own before) is copied; the others are
 * written in place and not kept on their events: keeping each (a Buffer of
 * its own, then a copy into the burst's, and a property defined on the
 * event) cost about 3 % of a JSON sender's message in the (g) bench
 * (docs/performance.md, fourteenth pass). Events held for a say's ack in
 * cluster mode reach a member in an array of their own, and are then
 * written again, which costs about what the copy did.
 */
function encodeBurst(events: readonly ServerEvent[]): EncodedBatch {
  const n = events.length;
  // Per event: its bytes, or a verbatim message's head (its tail in `tails`).
  const heads = new Array<Buffer | string>(n);
  const tails = new Array<string>(n);
  const ends = new Uint32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    const made = (e as Encoded)[JSON_LINE];
    if (made) {
      heads[i] = made;
      total += made.length;
    } else if (e.type === 'message' && verbatim(e)) {
      const head = messageHead(e);
      const tail = messageTail(e);
      heads[i] = head;
      tails[i] = tail;
      total += head.length + e.text.length + tail.length;
    } else {
      const line = jsonLine(e);
      heads[i] = line;
      total += line.length;
    }
    ends[i] = total;
  }
  const bytes = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const head = heads[i]!;
    if (typeof head === 'string') {
      at = writeMessage(bytes, at, head, (events[i] as MessageEvent).text, tails[i]!);
    } else at += head.copy(bytes, at);
  }
  return EncodedBatch.at(bytes, ends);
}

/** The keys of a say's ack, in the order sayAck makes them (core/commands/reply.ts). */
const SAY_ACK_KEYS = ['type', 'id', 'op', 'ts', 'seq', 'room'];

/**
 * A say's ack (one per JSON message) as messageLine writes a message: byte
 * for byte what JSON.stringify gives (a test checks), when it has exactly
 * sayAck's keys in sayAck's order and nothing to escape; undefined
 * otherwise. About 0.33 µs against 0.63 (docs/performance.md, ninth pass).
 */
function sayAckLine(e: AckEvent): Buffer | undefined {
  // for-in, not Object.keys: the same order without an array per ack.
  let n = 0;
  for (const k in e) if (k !== SAY_ACK_KEYS[n++]) return undefined;
  if (n !== SAY_ACK_KEYS.length) return undefined;
  const { id, ts, seq, room } = e;
  if (typeof id !== 'string' || typeof room !== 'string' || !Number.isInteger(seq))
    return undefined;
  if (!VERBATIM.test(id) || !VERBATIM.test(ts) || !VERBATIM.test(room)) return undefined;
  return Buffer.from(
    `{"type":"ack","id":"${id}","op":"say","ts":"${ts}","seq":${seq},"room":"${room}"}\n`,
    'latin1',
  );
}

/** Encodes events as JSON lines, once per event whatever the number of recipients. */
export class JsonEncoder {
  /** Bytes for `e`: one JSON object and a LF. */
  encode(e: ServerEvent): Buffer {
    // An ack or an error goes to one connection: nothing to keep.
    if (e.type === 'ack' || e.type === 'error') {
      const line = e.type === 'ack' && e.op === 'say' ? sayAckLine(e) : undefined;
      return line ?? jsonLine(e);
    }
    let bytes = (e as Encoded)[JSON_LINE];
    if (!bytes) {
      bytes = e.type === 'message' ? messageLine(e) : jsonLine(e);
      // Not enumerable: a copy made by spreading (a mention's own copy)
      // must not take this event's line with it, nor deepEqual see it.
      Object.defineProperty(e, JSON_LINE, { value: bytes });
    }
    return bytes;
  }

  private readonly all = new WeakMap<readonly ServerEvent[], EncodedBatch>();

  /** Bytes for several events in order, made once per array (see TextEncoder.encodeAll). */
  encodeAll(
    events: readonly ServerEvent[],
    skip?: readonly number[],
    instead?: readonly (Buffer | undefined)[],
  ): Bytes {
    let batch = this.all.get(events);
    if (!batch) {
      batch = encodeBurst(events);
      this.all.set(events, batch);
    }
    return skip ? batch.without(skip, instead) : batch.bytes;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The string `id` member of the top-level object in the first bytes of a
 * discarded request line (JsonCodec.discardedId), or of a line JSON.parse
 * refused: a scan that steps over strings and nested values, so an `"id"`
 * inside a text or an inner object is never taken for the request's.
 */
function topLevelId(text: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      // The request object ended: what follows is not its (`{…} {"id":…}`).
      if (--depth <= 0) return undefined;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (end < 0) return undefined;
      if (depth === 1 && text.slice(i, end + 1) === '"id"') {
        // A key only when a colon follows (`"type":"id"` has a value "id").
        const value = /^\s*:\s*("(?:[^"\\]|\\.){0,200}")/u.exec(text.slice(end + 1));
        if (value) {
          try {
            return JSON.parse(value[1]!) as string;
          } catch {
            return undefined;
          }
        }
      }
      i = end;
    }
  }
  return undefined;
}

/**
 * A string `id` that is the last member of the top-level object, from a
 * discarded line's last bytes (`…,"id":"c7"}`), where it is not known where a
 * string starts. Unescaped quotes end strings in JSON, so `,"id":"…"` cannot
 * be inside a text; the one `}` and the end of the line after it mean no
 * object encloses it, since `"id"` in an inner object is followed by at least
 * two closing brackets.
 */
const LAST_ID = /,\s*"id"\s*:\s*("(?:[^"\\]|\\.){0,200}")\s*\}\s*$/u;

function lastMemberId(text: string): string | undefined {
  const m = LAST_ID.exec(text);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as string;
  } catch {
    return undefined;
  }
}

/** The index of the quote that closes the string opening at `start`, or -1 when the text ends first. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/**
 * JSON mode as a Codec (§4): a `hello` object, then one request object per
 * line; the server pings after silence. Acks go only to requests with an id
 * (without one there is nothing for a JSON client to match), but for a dm's
 * news that its recipient is offline.
 */
export class JsonCodec implements Codec {
  readonly mode = 'json';
  readonly heartbeat = true;

  constructor(private readonly encoder = new JsonEncoder()) {}

  hello(frame: Buffer): HelloStep {
    const line = jsonText(frame).trim();
    if (line === '') return { kind: 'wait' };
    try {
      const hello = decodeHello(line);
      if (hello.version !== PROTOCOL_VERSION) {
        const error = new ChatError(
          'bad_request',
          `Protocol version ${String(hello.version)} is not supported; this server speaks ${PROTOCOL_VERSION}`,
        );
        return { kind: 'error', error, ...(hello.id !== undefined && { id: hello.id }) };
      }
      return { kind: 'login', hello };
    } catch (err) {
      if (err instanceof JsonDecodeError) {
        return {
          kind: 'error',
          error: err,
          ...(err.requestId !== undefined && { id: err.requestId }),
        };
      }
      if (err instanceof ChatError) return { kind: 'error', error: err };
      throw err;
    }
  }

  retry(): LoginRetry {
    return { hint: '' };
  }

  decode(frame: Buffer): Decoded {
    const line = jsonText(frame);
    if (line.trim() === '') return { kind: 'none' };
    try {
      return { kind: 'request', request: decodeJsonRequest(line) };
    } catch (err) {
      if (!(err instanceof JsonDecodeError)) throw err;
      return {
        kind: 'error',
        error: err,
        ...(err.requestId !== undefined && { id: err.requestId }),
      };
    }
  }

  discardedId(head: Buffer, tail: Buffer): string | undefined {
    return unparsedId(head.toString('utf8')) ?? fitting(lastMemberId(tail.toString('utf8')));
  }

  encode(event: ServerEvent): Buffer {
    // An offline recipient is news the sender cannot guess: told with or without an id (§4 dm).
    if (event.type === 'ack' && event.id === undefined && !(event.op === 'dm' && event.offline))
      return EMPTY;
    return this.encoder.encode(event);
  }

  encodeAll(
    events: readonly ServerEvent[],
    _view?: View,
    skip?: readonly number[],
    instead?: readonly (Buffer | undefined)[],
  ): Bytes {
    return this.encoder.encodeAll(events, skip, instead);
  }
}
