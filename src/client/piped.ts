/**
 * chat-client with stdin from a pipe (a script): every line is sent in order,
 * every answer awaited, refusals reported on stderr, then the run ends. With
 * --room the room is joined first, and a refusal sends nothing.
 */
import readline from 'node:readline';
import type { AckEvent, Request, ServerEvent } from '../protocol/messages.js';
import type { ParsedInput } from './commands.js';
import type { Connection } from './connection.js';
import { isBarrier, type Sender } from './sender.js';

/** What the piped run needs of the session it is part of (app.ts). */
export interface PipedSession {
  stdin: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream;
  conn: Connection;
  sender: Sender;
  /** Whether the user (a signal) is ending the run. */
  leaving(): boolean;
  /** What a line means, in the session's current room. */
  parse(line: string): ParsedInput;
  notice(text: string): void;
  /** A request was acknowledged: follow it (current room, roster). */
  acked(request: Request, ack: AckEvent): void;
  /** A query's answer (/who, /rooms): printed. */
  answered(reply: ServerEvent): void;
}

/** Run the script to its end; `line_refused` when at least one line was refused. */
export async function runPiped(s: PipedSession): Promise<'ok' | 'line_refused'> {
  const lines = readline.createInterface({ input: s.stdin, crlfDelay: Infinity });
  s.conn.once('closed', () => lines.close());
  let refused = 0;
  const refuse = (lineNo: number, message: string): void => {
    refused += 1;
    s.stderr.write(`chat-client: line ${lineNo} refused: ${message}\n`);
  };
  let lineNo = 0;
  for await (const line of lines) {
    lineNo += 1;
    if (s.leaving()) break;
    const input = s.parse(line);
    if (input.kind === 'none') continue;
    if (input.kind === 'quit') break;
    if (input.kind === 'notice') {
      s.notice(input.text);
      continue;
    }
    if (input.kind === 'invalid') {
      // Refused here, before the server saw it, for what the server would
      // refuse it for: the stderr line ends with its code like the others.
      refuse(lineNo, `${input.message} [bad_request]`);
      continue;
    }
    const n = lineNo;
    const { outcome } = await s.sender.submit(input.request);
    const handled = outcome.then((result) => {
      if (!result.ok) {
        if (result.error.code !== 'closed') {
          refuse(n, `${result.error.message} [${result.error.code}]`);
        }
      } else if (result.reply.type === 'ack') {
        s.acked(input.request, result.reply);
      } else {
        s.answered(result.reply);
      }
    });
    if (isBarrier(input.request)) await handled;
  }
  lines.close();
  await s.sender.drain();
  return refused > 0 ? 'line_refused' : 'ok';
}

/**
 * --room in a script: join before the first line, without the room's past
 * (a script sends; it does not read back, §4 join.history). False, after
 * saying why on stderr, when the server refused it.
 */
export async function joinBeforeScript(
  room: string,
  sender: Sender,
  stderr: NodeJS.WritableStream,
  acked: (request: Request, ack: AckEvent) => void,
): Promise<boolean> {
  const request: Request = { type: 'join', room, history: 0 };
  const { outcome } = await sender.submit(request);
  const result = await outcome;
  if (result.ok) {
    if (result.reply.type === 'ack') acked(request, result.reply);
    return true;
  }
  stderr.write(`chat-client: --room ${room} refused: ${result.error.message}; no line was sent\n`);
  return false;
}
