/**
 * What chat-client shows while its connection is down (issue 9 §8): one
 * status line, redrawn in place (`reconnecting… attempt 3, next in 4 s`), and
 * the lines the user sent that the server has not acknowledged yet, marked
 * pending until it does. The Repl draws these lines between the output and
 * the prompt; this module only decides what they say.
 */
import type { Request } from '../protocol/messages.js';

/** Dim, for lines that are not (yet) part of the transcript. */
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** The status line while reconnecting; `remainingMs` undefined while the attempt is under way. */
export function reconnectLine(
  attempt: number,
  remainingMs: number | undefined,
  reason: string,
  server?: string,
): string {
  const when =
    remainingMs === undefined || remainingMs <= 0
      ? `connecting${server ? ` to ${server}` : ''}…`
      : `next in ${Math.max(1, Math.ceil(remainingMs / 1000))} s`;
  return `* reconnecting… attempt ${attempt}, ${when} (${reason})`;
}

/** The line shown for a request not acknowledged yet; undefined for requests not worth one. */
export function pendingLine(request: Request, self: string, color: boolean): string | undefined {
  let shown: string;
  if (request.type === 'say') {
    shown = request.action ? `* ${self} ${request.text}` : `<${self}> ${request.text}`;
  } else if (request.type === 'dm') {
    shown = `-> *${request.to}* ${request.text}`;
  } else {
    return undefined;
  }
  const lines = shown.split('\n');
  const more = lines.length > 1 ? ` (+${lines.length - 1} lines)` : '';
  const text = `… pending: ${lines[0] ?? ''}${more}`;
  return color ? `${DIM}${text}${RESET}` : text;
}

/**
 * An undelivered chat line as the user would type it again: the text of a
 * room line (`/me text` for an action), `/msg nick text` for a private one.
 */
export function undeliveredLine(request: Request): string {
  if (request.type === 'dm') return `/msg ${request.to} ${request.text}`;
  if (request.type === 'say') return request.action ? `/me ${request.text}` : request.text;
  return request.type;
}

/** Most of a refused line quoted back (refusalOf). */
const QUOTED_CHARS = 80;

/**
 * A refusal of a chat line, with the line as it would be typed again: it
 * may have been typed long before (while the connection was down, then sent
 * on reconnect), and it is not sent, so the user can type it again. A flood
 * refusal quotes it itself.
 */
export function refusalOf(request: Request, message: string): string {
  if ((request.type !== 'say' && request.type !== 'dm') || message.includes('dropped "')) {
    return message;
  }
  const lines = undeliveredLine(request).split('\n');
  let line = lines[0] ?? '';
  if (line.length > QUOTED_CHARS) line = `${line.slice(0, QUOTED_CHARS)}…`;
  const more = lines.length > 1 ? ` (+${lines.length - 1} lines)` : '';
  return `${message}; not sent: ${line}${more}`;
}

/** A line unanswered this long while connected is shown as pending too. */
const SLOW_ACK_MS = 1500;

/** Reconnect progress plus pending lines, as the status area's lines. */
export class OfflineStatus {
  private reconnect?: { attempt: number; at: number; reason: string; server: string };
  private readonly pending = new Map<number, string>();
  /** Chat lines sent and not answered yet, with their pending line and, once shown, its key. */
  private readonly unacked = new Map<Request, { line: string; key?: number }>();
  private nextKey = 0;
  private ticker?: NodeJS.Timeout;

  /**
   * @param draw shows the status lines (called on every change, and once a second while waiting)
   * @param now the clock, injectable for tests
   */
  constructor(
    private readonly draw: (lines: string[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the connection is down (between a drop and the reconnect). */
  get offline(): boolean {
    return this.reconnect !== undefined;
  }

  /**
   * A chat line was sent (`line` is how to show it while pending; undefined
   * for requests that are not chat). Shown as pending at once when the
   * connection is down, or from the next drop on. Returns what to call when
   * its outcome is known.
   */
  sent(request: Request, line: string | undefined, online: boolean): () => void {
    if (line === undefined) return () => undefined;
    const entry: { line: string; key?: number } = { line };
    this.unacked.set(request, entry);
    let slow: NodeJS.Timeout | undefined;
    if (!online) entry.key = this.add(line);
    else {
      // A server that stopped answering (a stall, not a drop) left a typed
      // line with no trace on screen until the drop was noticed.
      slow = setTimeout(() => (entry.key ??= this.add(line)), SLOW_ACK_MS);
      slow.unref();
    }
    return () => {
      clearTimeout(slow);
      this.unacked.delete(request);
      if (entry.key !== undefined) this.settled(entry.key);
    };
  }

  /**
   * Chat lines shown as pending: every unanswered one while the connection
   * is down; while it is up, those unanswered past SLOW_ACK_MS (a stalled
   * server), which `exit` would otherwise have dropped without a word.
   */
  undelivered(): Request[] {
    if (this.offline) return [...this.unacked.keys()];
    return [...this.unacked].filter(([, e]) => e.key !== undefined).map(([request]) => request);
  }

  /** A reconnect attempt was scheduled `delayMs` from now. */
  reconnecting(attempt: number, delayMs: number, reason: string, server: string): void {
    // Lines on their way when the connection dropped are pending too now.
    for (const entry of this.unacked.values()) entry.key ??= this.add(entry.line);
    this.reconnect = { attempt, at: this.now() + delayMs, reason, server };
    if (!this.ticker) {
      // The countdown is redrawn once a second; unref'd so it never keeps the process up.
      this.ticker = setInterval(() => this.show(), 1000);
      this.ticker.unref();
    }
    this.show();
  }

  /** The connection is back (or gone for good): the status line goes. */
  online(): void {
    this.reconnect = undefined;
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.show();
  }

  /** Mark a line as pending; returns the key that `settled` takes. */
  add(line: string): number {
    const key = this.nextKey++;
    this.pending.set(key, line);
    this.show();
    return key;
  }

  /** The pending line was acknowledged (or refused): it leaves the status area. */
  settled(key: number): void {
    if (this.pending.delete(key)) this.show();
  }

  /** The status area's lines, as shown now. */
  lines(): string[] {
    const r = this.reconnect;
    const head = r ? [reconnectLine(r.attempt, r.at - this.now(), r.reason, r.server)] : [];
    return [...head, ...this.pending.values()];
  }

  private show(): void {
    this.draw(this.lines());
  }
}
