/**
 * Text mode as a Codec (docs/protocol.md §3): the alias and password lines
 * of a login, and typed lines turned into Requests with the command table.
 * How events read as lines is text-encode.ts.
 */
import type { Bytes } from './batch-bytes.js';
import type { Codec, Decoded, HelloStep, LoginHello, LoginRetry, View } from './codec.js';
import { ChatError, PasswordNeeded } from './errors.js';
import { findCommand, nearestCommand, type CommandSpec } from './commands.js';
import type { Request, ServerEvent } from './messages.js';
import { frameText, sanitizeText } from './sanitize.js';
import { TextEncoder } from './text-encode.js';

/** Parse one sanitized, non-empty line typed by a text-mode user. */
export function decodeTextLine(line: string, isAvailable: (c: CommandSpec) => boolean): Request {
  if (!line.startsWith('/') || line.startsWith('//')) {
    return { type: 'say', text: line.startsWith('//') ? line.slice(1) : line };
  }
  const match = /^\/(\S+)\s*(.*)$/su.exec(line);
  const name = match?.[1] ?? '';
  const spec = findCommand(name);
  if (!spec || !isAvailable(spec)) {
    const near = name === '' ? undefined : nearestCommand(name, isAvailable);
    const hint = near ? ` (did you mean /${near.name}?)` : '';
    throw new ChatError(
      'bad_request',
      `Unknown command: /${name.slice(0, 40)}${hint}. Type /help for the list`,
    );
  }
  return parseArgs(spec, match?.[2] ?? '');
}

/**
 * The arguments' names as the usage shows them (`/msg nick text`: nick,
 * text), for errors a person can match to what they typed; the request's
 * field names (`to`) mean nothing to them.
 */
function usageNames(usage: string): string[] {
  const words = usage.match(/\[[^\]]*\]|\S+/gu) ?? [];
  return words.slice(1).map((w) => w.replace(/^\[|\]$/gu, ''));
}

function parseArgs(spec: CommandSpec, argText: string): Request {
  const req: Record<string, unknown> = { type: spec.request, ...spec.fixed };
  // Only a refusal names an argument: the usage is read then, not per command.
  const nameOf = (i: number): string => usageNames(spec.usage)[i] ?? spec.args[i]!.field;
  let rest = argText.trim();
  for (const [i, arg] of spec.args.entries()) {
    if (rest === '') {
      if (arg.optional) continue;
      throw new ChatError('bad_request', `Missing ${nameOf(i)}. Usage: ${spec.usage}`);
    }
    let value: string;
    if (arg.take === 'rest') {
      value = rest;
      rest = '';
    } else {
      const sp = rest.search(/\s/u);
      value = sp < 0 ? rest : rest.slice(0, sp);
      rest = sp < 0 ? '' : rest.slice(sp).trimStart();
    }
    if (arg.int) {
      const n = /^\d{1,9}$/u.test(value) ? Number(value) : NaN;
      if (Number.isNaN(n) || n < (arg.min ?? 0) || n > (arg.max ?? Infinity)) {
        const range = arg.max === undefined ? '' : ` from ${arg.min ?? 0} to ${arg.max}`;
        throw new ChatError(
          'bad_request',
          `${nameOf(i)} must be a whole number${range}. Usage: ${spec.usage}`,
        );
      }
      req[arg.field] = n;
    } else {
      req[arg.field] = value;
    }
  }
  if (rest !== '') throw new ChatError('bad_request', `Too many arguments. Usage: ${spec.usage}`);
  return req as Request;
}

/** §2: the text-mode request for a registered alias's password. */
export function passwordPrompt(alias: string): string {
  return `* ${alias} is registered: send the password as the next line\n`;
}

/**
 * `/quit` typed before login (at the alias or the password prompt): leaving,
 * not an alias or a wrong password counted against the login limits.
 */
function quitLine(line: string): HelloStep | undefined {
  return /^\/quit(\s|$)/iu.test(line) ? { kind: 'leave', text: Buffer.from('* Bye\n') } : undefined;
}

/** `/nick NAME` typed before login: an explicit alias; undefined for any other line. */
function nickLine(line: string): string | undefined {
  const m = /^\/nick\s+(\S.*)$/iu.exec(line);
  return m ? m[1]!.trim() : undefined;
}

/**
 * §2: the next frame is the password of `alias` (never sanitized, never
 * logged). An empty line is ignored, as everywhere (§1: telnet users press
 * Enter twice); `/nick NAME` picks another alias at once.
 */
function passwordStep(alias: string): (frame: Buffer) => HelloStep {
  return (frame) => {
    const password = frameText(frame).trim();
    if (password === '') return { kind: 'wait' };
    const quit = quitLine(password);
    if (quit) return quit;
    const other = nickLine(password);
    if (other !== undefined) return { kind: 'login', hello: { name: sanitizeText(other) } };
    return { kind: 'login', hello: { name: alias, password } };
  };
}

/**
 * §2 after a refused alias: a line typed in answer is the next alias to try
 * (or `/nick NAME`). A line sent before the refusal could be read is not
 * taken as an alias, so a script's next line is never posted under an alias
 * it did not choose (`printf 'Bob\nhello\nrest' | nc`); only `/nick NAME`
 * names one there.
 */
function nextAliasStep(frame: Buffer, typed: boolean): HelloStep {
  const line = sanitizeText(frameText(frame)).trim();
  if (line === '') return { kind: 'wait' };
  const quit = quitLine(line);
  if (quit) return quit;
  const name = nickLine(line);
  if (name !== undefined) return { kind: 'login', hello: { name } };
  if (typed) return { kind: 'login', hello: { name: line } };
  return {
    kind: 'error',
    error: new ChatError('bad_alias', 'Not logged in yet; that line was not sent'),
  };
}

/**
 * Text mode as a Codec (§3): an alias line (then its password when it is
 * registered), then typed lines. No pings: an `nc` user cannot answer them,
 * so text connections get TCP keep-alive instead.
 */
export class TextCodec implements Codec {
  readonly mode = 'text';
  readonly heartbeat = false;

  /** `offers` says which typed commands this server carries out (the core's table). */
  constructor(
    private readonly offers: (c: CommandSpec) => boolean,
    private readonly encoder = new TextEncoder(),
  ) {}

  hello(frame: Buffer): HelloStep {
    const line = frameText(frame).trim();
    if (line === '') return { kind: 'wait' };
    const quit = quitLine(line);
    if (quit) return quit;
    const name = sanitizeText(line);
    return { kind: 'login', hello: { name: nickLine(name) ?? name } };
  }

  retry(err: ChatError, hello: LoginHello | undefined): LoginRetry {
    if (err instanceof PasswordNeeded) {
      return {
        hint: '',
        prompt: Buffer.from(passwordPrompt(err.alias)),
        next: passwordStep(err.alias),
      };
    }
    // After a wrong password the next line is the password again; otherwise
    // the alias typed in answer (a script's next line is a message, not an alias).
    if (err.code === 'auth_failed' && hello) {
      return {
        hint: '. Send the password again (or /nick NAME to pick another alias)',
        next: passwordStep(hello.name),
      };
    }
    // "Bob is already online; pick another alias" says it already.
    const hint = /another alias$/u.test(err.message) ? '' : '. Type another alias';
    return { hint, next: nextAliasStep };
  }

  discardedId(): undefined {
    return undefined; // text lines carry no ids
  }

  decode(frame: Buffer): Decoded {
    const line = sanitizeText(frameText(frame));
    if (line.trim() === '') return { kind: 'none' };
    try {
      return { kind: 'request', request: decodeTextLine(line, this.offers) };
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      return { kind: 'error', error: err };
    }
  }

  encode(event: ServerEvent, view: View): Buffer {
    return this.encoder.encode(event, view.here);
  }

  encodeAll(
    events: readonly ServerEvent[],
    view: View,
    skip?: readonly number[],
    instead?: readonly (Buffer | undefined)[],
  ): Bytes {
    return this.encoder.encodeAll(events, view.here, skip, instead);
  }
}
