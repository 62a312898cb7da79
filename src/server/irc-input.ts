/**
 * An IRC connection's input up to parsed messages (docs/protocol.md "IRC"):
 * CRLF framing within the 512-byte limit, over-long lines answered (417) and
 * counted, malformed lines noticed, and lines held in order, the socket
 * paused, while a login or SASL check decides what comes next.
 */
import type { Socket } from 'node:net';
import { LineFramer } from '../protocol/framing.js';
import {
  IRC_MAX_INPUT_BYTES,
  IrcParseError,
  parseIrcLine,
  type IrcMessage,
} from '../protocol/irc-message.js';

const MAX_LONG_LINES_IN_A_ROW = 3;
/** Lines held while a login or SASL check is under way (the socket is paused; a backstop). */
const MAX_BACKLOG_LINES = 1000;

/** What the input needs of its connection. */
export interface IrcInputHost {
  readonly isClosing: boolean;
  close(reason: string): void;
  numeric(code: string, ...params: string[]): void;
  serverNotice(text: string): void;
  /** One well-formed line, in the order it came. */
  message(msg: IrcMessage): void;
}

export class IrcInput {
  private readonly framer = new LineFramer(IRC_MAX_INPUT_BYTES);
  private longLinesInARow = 0;
  /** Lines waiting while a login or SASL check is under way. */
  private backlog: string[] | undefined;

  constructor(
    private readonly host: IrcInputHost,
    private readonly socket: Pick<Socket, 'pause' | 'resume'>,
  ) {}

  /** Input is held (a check is under way). */
  get holding(): boolean {
    return this.backlog !== undefined;
  }

  /** Bytes from the socket. */
  push(chunk: Buffer): void {
    const host = this.host;
    for (const frame of this.framer.push(chunk)) {
      if (host.isClosing) return;
      if (frame.kind === 'too_long') {
        this.longLinesInARow++;
        if (this.longLinesInARow >= MAX_LONG_LINES_IN_A_ROW) {
          host.close('Three lines in a row were too long');
          return;
        }
        host.numeric(
          '417',
          `Input line was too long (over ${IRC_MAX_INPUT_BYTES} bytes) and was discarded`,
        );
        continue;
      }
      this.longLinesInARow = 0;
      this.line(frame.bytes.toString('utf8'));
    }
  }

  /** Hold input (and the socket) while something asynchronous decides what comes next. */
  hold(): void {
    this.backlog ??= [];
    this.socket.pause();
  }

  /** Hand the held lines on, in order, and read the socket again. */
  release(): void {
    const lines = this.backlog ?? [];
    this.backlog = undefined;
    for (let i = 0; i < lines.length; i++) {
      if (this.host.isClosing) return;
      this.line(lines[i]!);
      // A line may have started another check: the rest wait behind it, in order.
      const held = this.backlog as string[] | undefined;
      if (held) {
        held.push(...lines.slice(i + 1));
        return;
      }
    }
    if (!this.host.isClosing) this.socket.resume();
  }

  private line(line: string): void {
    if (this.backlog) {
      if (this.backlog.length >= MAX_BACKLOG_LINES) {
        this.host.close('Too much input while the login was being checked');
        return;
      }
      this.backlog.push(line);
      return;
    }
    let msg: IrcMessage;
    try {
      msg = parseIrcLine(line);
    } catch (err) {
      if (!(err instanceof IrcParseError)) throw err;
      if (err.code !== 'empty') this.host.serverNotice(`Malformed line ignored: ${err.message}`);
      return;
    }
    this.host.message(msg);
  }
}
