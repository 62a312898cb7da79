/**
 * Seeded generators of hostile input for the hostile-input suite: raw byte
 * lines (NUL, telnet IAC, invalid UTF-8, escape sequences, over-long lines),
 * text-mode lines (messages and commands with hostile arguments) and JSON
 * lines (random requests, wrong types, malformed JSON). Everything comes from
 * a `prng` (mulberry32, test/helpers/prng.ts), so a failing run is
 * replayed exactly by its seed.
 */
import type { Rand } from './prng.js';

export type { Rand };

/** An integer in [lo, hi]. */
export function int(rand: Rand, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export function pick<T>(rand: Rand, xs: readonly T[]): T {
  const x = xs[Math.floor(rand() * xs.length)];
  if (x === undefined) throw new Error('pick from an empty list');
  return x;
}

/** Pieces of raw bytes that have broken line-based servers before. */
const BYTE_PIECES: readonly number[][] = [
  [0x00],
  [0x00, 0x00, 0x00, 0x00],
  [0xff], // a lone IAC (also invalid UTF-8)
  [0xff, 0xff], // IAC IAC: a literal 0xFF
  [0xff, 0xfb, 0x01], // IAC WILL ECHO
  [0xff, 0xfd, 0x22], // IAC DO LINEMODE
  [0xff, 0xfa, 0x18, 0x00, 0x41, 0x4e, 0x53, 0x49, 0xff, 0xf0], // IAC SB TTYPE … IAC SE
  [0xff, 0xfa, 0x1f, 0x00], // IAC SB without its SE
  [0xff, 0xf4], // IAC IP (Ctrl-C)
  [0xc0, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate in UTF-8
  [0xf8, 0x88, 0x80, 0x80, 0x80], // a 5-byte form
  [0xe2, 0x82], // a truncated 3-byte character
  [0x80, 0xbf], // lone continuation bytes
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0x0d], // a stray CR
  [0x1b, 0x5b, 0x32, 0x4a], // ESC [2J: clear the screen
  [0x1b, 0x5d, 0x30, 0x3b, 0x70, 0x77, 0x6e, 0x07], // OSC 0;pwn BEL: set the title
  [0x9b, 0x33, 0x31, 0x6d], // 8-bit CSI 31m
  [0x08, 0x08, 0x08], // backspaces
  [0x07], // BEL
  [0xe2, 0x80, 0xae], // U+202E RIGHT-TO-LEFT OVERRIDE
  [0xf0, 0x9f, 0x99, 0x82], // 🙂
  [0xe2, 0x80, 0x8b], // ZERO WIDTH SPACE
  [0x2f], // '/': a command
  [0x7b], // '{'
];

/** One raw line (without its LF): mostly short, sometimes longer than `maxLineBytes`. */
export function randomBytesLine(rand: Rand, maxLineBytes: number): Buffer {
  const r = rand();
  let length: number;
  if (r < 0.02) length = int(rand, maxLineBytes + 1, maxLineBytes * 2);
  else if (r < 0.05) length = int(rand, maxLineBytes - 64, maxLineBytes);
  else length = int(rand, 0, 200);
  const out = Buffer.alloc(length);
  let i = 0;
  while (i < length) {
    if (rand() < 0.3) {
      for (const b of pick(rand, BYTE_PIECES)) if (i < length) out[i++] = b;
    } else {
      let b = int(rand, 0, 255);
      if (b === 0x0a) b = 0x20;
      out[i++] = b;
    }
  }
  return out;
}

/** Text that a hostile user might type: scripts, emoji, combining marks and terminal controls. */
const TEXT_PIECES: readonly string[] = [
  'hello',
  'Ωμέγα',
  'Привет',
  'こんにちは',
  '안녕',
  'مرحبا',
  'e\u0301\u0301\u0301\u0301',
  '🙂👍🏽👨‍👩‍👧',
  '\u200b\u200d\ufeff',
  '\u202e\u2066evil\u2069',
  '\x1b[2J\x1b[H',
  '\x1b]0;title\x07',
  '\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\',
  '\x1bP1$r\x1b\\',
  '\x9b31m',
  '\x00\x01\x7f\x85',
  '\t',
  '\r',
  '%s%n%x',
  '${jndi:ldap://x}',
  "'; DROP TABLE messages; --",
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '\\u0000',
  'A'.repeat(300),
  '\ud800',
  ' ',
  '#lobby',
  '@',
];

export function randomText(rand: Rand, maxPieces = 8): string {
  const n = int(rand, 0, maxPieces);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += rand() < 0.7 ? pick(rand, TEXT_PIECES) : String.fromCodePoint(int(rand, 0x20, 0x2fff));
    if (rand() < 0.5) s += ' ';
  }
  return s;
}

const COMMANDS: readonly string[] = [
  'help',
  'who',
  'rooms',
  'join',
  'part',
  'msg',
  'me',
  'nick',
  'topic',
  'history',
  'away',
  'ignore',
  'unignore',
  'kick',
  'ban',
  'unban',
  'register',
  'quit',
  'file',
  'x',
  '',
  '/',
  'JOIN',
  'h\u0301elp',
];

/** Commands whose effect ends the connection or costs a password hash: rarer. */
const RARE = new Set(['quit', 'register']);

const ARGS: readonly (() => string)[] = [
  () => '#lobby',
  () => '#fz',
  () => '#',
  () => '#' + 'r'.repeat(40),
  () => 'Watcher9',
  () => 'nobody',
  () => 'admin',
  () => '-1',
  () => '0',
  () => '500',
  () => '501',
  () => '99999999999999999999',
  () => 'NaN',
  () => '*',
];

/** One text-mode line (without its LF): a message, or a command with hostile arguments. */
export function randomTextLine(rand: Rand): string {
  if (rand() < 0.4) return randomText(rand);
  let cmd = pick(rand, COMMANDS);
  if (RARE.has(cmd) && rand() < 0.9) cmd = 'who';
  const args: string[] = [];
  const n = int(rand, 0, 4);
  for (let i = 0; i < n; i++) args.push(rand() < 0.5 ? pick(rand, ARGS)() : randomText(rand, 2));
  return `/${cmd}${args.length ? ' ' + args.join(' ') : ''}`;
}

const TYPES: readonly string[] = [
  'say',
  'dm',
  'join',
  'part',
  'nick',
  'topic',
  'who',
  'rooms',
  'history',
  'register',
  'away',
  'ignore',
  'unignore',
  'kick',
  'ban',
  'unban',
  'help',
  'ping',
  'pong',
  'quit',
  'hello',
  'file-offer',
  'file-chunk',
  'welcome',
  'message',
  'error',
  'SAY',
  '',
  '__proto__',
  'constructor',
  'toString',
];

const FIELDS: readonly string[] = [
  'room',
  'text',
  'to',
  'name',
  'password',
  'reason',
  'before',
  'limit',
  'action',
  'command',
  'resume',
  'history',
  'version',
  'seq',
  'data',
  '__proto__',
  'constructor',
];

/** A random JSON value, up to `depth` levels of arrays and objects. */
export function randomJsonValue(rand: Rand, depth = 2): unknown {
  const r = rand();
  if (r < 0.35) return randomText(rand, 4);
  if (r < 0.45) return pick(rand, [0, -1, 1, 1.5, 2 ** 53 + 1, 1e308, -0, 500, 501, 41]);
  if (r < 0.5) return rand() < 0.5;
  if (r < 0.55) return null;
  if (r < 0.6) return 'x'.repeat(int(rand, 60_000, 70_000));
  if (r < 0.65) return pick(rand, ['#lobby', '#fz', 'Watcher9', '*', '@']);
  if (depth <= 0) return '';
  if (r < 0.8)
    return Array.from({ length: int(rand, 0, 4) }, () => randomJsonValue(rand, depth - 1));
  const o = bare();
  for (let i = int(rand, 0, 4); i > 0; i--)
    o[pick(rand, FIELDS)] = randomJsonValue(rand, depth - 1);
  return o;
}

/** A well-typed value for a field, so that some requests pass validation and reach the core. */
function plausible(rand: Rand, field: string): unknown {
  switch (field) {
    case 'room':
      return pick(rand, ['#lobby', '#fz', '#fz2', 'lobby', '#']);
    case 'to':
    case 'name':
      return pick(rand, ['Watcher9', 'nobody', 'fz-x', 'Watcher1']);
    case 'before':
    case 'limit':
    case 'history':
      return int(rand, 0, 600);
    case 'action':
      return rand() < 0.5;
    case 'password':
      return 'p'.repeat(int(rand, 0, 12));
    default:
      return randomText(rand, 4);
  }
}

export interface JsonInput {
  line: string;
  /** The id the server must answer exactly once, when the line is a request object carrying a usable id. */
  id?: string;
  /** The line is a well-formed `quit` request (it may close the connection). */
  quit: boolean;
}

/** Ways to break a JSON line. */
function corrupt(rand: Rand, line: string): string {
  switch (int(rand, 0, 5)) {
    case 0:
      return line.slice(0, int(rand, 1, Math.max(1, line.length - 1)));
    case 1: {
      const at = int(rand, 1, line.length - 1);
      return (
        line.slice(0, at) + pick(rand, ['"', ',', '}', ']', ':', '\\', '\x00']) + line.slice(at)
      );
    }
    case 2:
      return line.replace(/"/u, '');
    case 3:
      return line + line;
    case 4:
      return line.replace(/\}$/u, ',}');
    default:
      return '{' + randomText(rand, 3);
  }
}

const MALFORMED: readonly string[] = [
  '{',
  '{}',
  '{"type":}',
  '{"type":"say","text":NaN}',
  '{"type":"say","text":"hi",}',
  '{"type":"history","limit":1e999}',
  "{'type':'say'}",
  '{"type":"say","text":"\\ud800\\udc00\\ud800"}',
  '{"type":"say","text":"a","text":"b"}',
  '{"__proto__":{"operator":true},"type":"kick","name":"Watcher1","id":"proto"}',
  '{"type":"say","constructor":{"prototype":{"x":1}},"text":"c"}',
  '[]',
  '[{"type":"say","text":"in an array"}]',
  'null',
  'true',
  '"just a string"',
  '123',
  '{"type":"say","text":"\\u001b[2Jclear"}',
  '{"type":{"$ne":null}}',
  '{"type":["say"]}',
];

/** A plain object without a prototype, so that a "__proto__" key is an ordinary own key. */
function bare(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/**
 * One JSON-mode line (without its LF) and what the server owes it. `newId`
 * makes the unique ids (one counter per attacker, so that a run replays exactly).
 */
export function randomJsonLine(rand: Rand, newId: () => string): JsonInput {
  const r = rand();
  if (r < 0.08) return { line: pick(rand, MALFORMED), quit: false };
  if (r < 0.14) return { line: JSON.stringify(randomJsonValue(rand, 3)), quit: false };
  let type = pick(rand, TYPES);
  if (type === 'quit' && rand() < 0.8) type = 'ping';
  if (type === 'register' && rand() < 0.8) type = 'who';
  const o = bare();
  const typeRoll = rand();
  o.type = typeRoll < 0.9 ? type : randomJsonValue(rand, 1);
  let id: string | undefined;
  if (rand() < 0.7) {
    id = newId();
    o.id = id;
  } else if (rand() < 0.5) {
    o.id = randomJsonValue(rand, 1);
  }
  for (let i = int(rand, 0, 4); i > 0; i--) {
    const field = pick(rand, FIELDS);
    o[field] = rand() < 0.5 ? plausible(rand, field) : randomJsonValue(rand, 2);
  }
  let line = JSON.stringify(o);
  if (rand() < 0.15) {
    line = corrupt(rand, line);
    // A broken line may still parse; only a parsed object with the id is owed a reply.
    try {
      const back = JSON.parse(line) as unknown;
      const ok =
        back !== null && typeof back === 'object' && !Array.isArray(back) && id !== undefined;
      if (!ok || (back as Record<string, unknown>).id !== id) id = undefined;
    } catch {
      id = undefined;
    }
  }
  if (typeof o.id === 'string' && o.id.length > 128) id = undefined;
  return { line, ...(id !== undefined && { id }), quit: o.type === 'quit' };
}
