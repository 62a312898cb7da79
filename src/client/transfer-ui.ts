/**
 * File transfer in the terminal: the /send, /accept, /reject, /transfers and
 * /cancel commands, Tab completion of the path after `/send NICK `, and the
 * progress bar. The bar is drawn in the prompt (`status`), so it is redrawn
 * with the input line by readline itself and never overwrites what the user
 * is typing; when a transfer ends it collapses into one summary line.
 */
import type { ServerEvent } from '../protocol/messages.js';
import { foldKey } from '../protocol/names.js';
import { sanitizeText } from '../protocol/sanitize.js';
import type { Connection } from './connection.js';
import { completePath } from './transfer-files.js';
import { ClientTransfers, TransferError } from './transfers.js';
import { progressText, StallWatch, transferLines } from './transfer-view.js';

export { progressText, StallWatch, STALLED_MS, transferLines } from './transfer-view.js';

/** The transfer commands, for /help and Tab completion. */
export const TRANSFER_COMMANDS = [
  {
    name: 'send',
    usage: '/send nick path',
    summary: 'offer a file to a user (Tab completes the path)',
  },
  { name: 'accept', usage: '/accept [id]', summary: 'accept a file offered to you' },
  { name: 'reject', usage: '/reject [id]', summary: 'decline a file offered to you' },
  { name: 'transfers', usage: '/transfers', summary: 'list file transfers: state, bytes, rate' },
  { name: 'cancel', usage: '/cancel id', summary: 'stop a file transfer' },
] as const;

export type TransferCommand =
  | { kind: 'send'; to: string; path: string }
  | { kind: 'accept' | 'reject'; id?: string }
  | { kind: 'transfers' }
  | { kind: 'cancel'; id: string }
  | { kind: 'help'; text: string }
  | { kind: 'invalid'; message: string };

/** A typed line as a transfer command, or undefined when it is something else. */
export function parseTransferCommand(line: string): TransferCommand | undefined {
  const match = /^\s*\/(\S+)(?:\s+(.*))?$/su.exec(line);
  if (!match) return undefined;
  const name = match[1]!.toLowerCase();
  const args = (match[2] ?? '').trim();
  if (name === 'help') {
    const spec = TRANSFER_COMMANDS.find((c) => c.name === args.replace(/^\//u, '').toLowerCase());
    return spec ? { kind: 'help', text: `${spec.usage} — ${spec.summary}` } : undefined;
  }
  const spec = TRANSFER_COMMANDS.find((c) => c.name === name);
  if (!spec) return undefined;
  const words = args === '' ? [] : args.split(/\s+/u);
  switch (spec.name) {
    case 'send': {
      const to = words[0];
      const rest = to === undefined ? '' : args.slice(to.length).trim();
      if (to === undefined || rest === '') {
        return {
          kind: 'invalid',
          message: `Missing ${to ? 'path' : 'nick and path'}. Usage: ${spec.usage}`,
        };
      }
      // A path with spaces may be quoted, as a shell user would.
      const path = /^(["']).*\1$/su.test(rest) ? rest.slice(1, -1) : rest;
      return { kind: 'send', to: to.replace(/:$/u, ''), path };
    }
    case 'accept':
    case 'reject':
      if (words.length > 1)
        return { kind: 'invalid', message: `Too many arguments. Usage: ${spec.usage}` };
      return words[0] === undefined ? { kind: spec.name } : { kind: spec.name, id: words[0] };
    case 'transfers':
      return { kind: 'transfers' };
    case 'cancel':
      if (words.length !== 1) {
        return {
          kind: 'invalid',
          message: `${words.length ? 'Too many arguments' : 'Missing id'}. Usage: ${spec.usage}`,
        };
      }
      return { kind: 'cancel', id: words[0]! };
  }
}

/** Tab completion of the path in `/send NICK PATH`; undefined for any other line. */
export function completeSendPath(line: string): [string[], string] | undefined {
  const match = /^\s*\/send\s+\S+\s+(.*)$/su.exec(line);
  if (!match) return undefined;
  const partial = match[1]!;
  const hits = completePath(partial);
  // A lone file is finished; a lone directory waits for the next Tab.
  return [hits, partial];
}

/** Where the UI shows things: notices above the prompt, and the status in it. */
export interface TransferScreen {
  notice(text: string, error: boolean): void;
  status(text: string | undefined): void;
}

/** How often the progress bar may be redrawn. */
const REDRAW_MS = 250;
/**
 * While bytes flow, the bar is also redrawn this often without news, so a
 * stall shows: the rate falls and, after STALLED_MS, says so (a trial saw
 * `7.7 MiB/s ETA 1s` stay for the whole of an 8-second stall).
 */
const TICK_MS = 1_000;

export class TransferUi {
  readonly transfers: ClientTransfers;
  private redrawTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private lastDraw = 0;
  private stall = new StallWatch();

  constructor(
    private readonly conn: Connection,
    downloadDir: string,
    private readonly screen: TransferScreen,
  ) {
    this.transfers = new ClientTransfers(
      {
        send: (request) => conn.send(request),
        limits: () => ({
          maxLineBytes: conn.welcome?.limits.maxLineBytes ?? 16384,
          ...(conn.welcome?.limits.maxFileBytes !== undefined && {
            maxFileBytes: conn.welcome.limits.maxFileBytes,
          }),
        }),
      },
      { downloadDir },
    );
    this.transfers.on('notice', ({ text, error }) => screen.notice(sanitizeText(text), error));
    this.transfers.on('progress', () => this.redraw());
    conn.on('reconnecting', () => this.transfers.connectionLost());
    conn.on('reconnected', () => this.transfers.reconnected());
    conn.on('closed', () => this.close());
  }

  /** A server event for a transfer is handled here (true); others are not. */
  onEvent(event: ServerEvent): boolean {
    return this.transfers.onEvent(event);
  }

  /** Carry out a typed transfer command; false when the line is not one. */
  async handleLine(line: string): Promise<boolean> {
    const cmd = parseTransferCommand(line);
    if (!cmd) return false;
    try {
      switch (cmd.kind) {
        case 'invalid':
          this.screen.notice(cmd.message, true);
          break;
        case 'help':
          this.screen.notice(cmd.text, false);
          break;
        case 'send':
          // Refused here, before a transfer id is handed out and then failed.
          if (foldKey(cmd.to) === foldKey(this.conn.alias)) {
            this.screen.notice('You cannot send a file to yourself', true);
            break;
          }
          await this.transfers.send(cmd.to, cmd.path);
          break;
        case 'accept': {
          const t = this.transfers.accept(cmd.id);
          this.screen.notice(`Receiving ${sanitizeText(t.name)} from ${t.peer}`, false);
          break;
        }
        case 'reject': {
          const t = this.transfers.reject(cmd.id);
          this.screen.notice(`Declined ${sanitizeText(t.name)} from ${t.peer}`, false);
          break;
        }
        case 'cancel': {
          const t = this.transfers.cancel(cmd.id);
          this.screen.notice(`Cancelled transfer ${t.id} (${sanitizeText(t.name)})`, false);
          break;
        }
        case 'transfers':
          this.screen.notice(transferLines(this.transfers.list()).join('\n'), false);
          break;
      }
    } catch (err) {
      if (!(err instanceof TransferError) && !(err instanceof Error && 'code' in err)) throw err;
      this.screen.notice(err.message, true);
    }
    return true;
  }

  /** Path completion for `/send NICK PATH`, else undefined. */
  complete(line: string): [string[], string] | undefined {
    return completeSendPath(line);
  }

  /** Leaving: close files, delete partial downloads, clear the bar. */
  close(): void {
    clearTimeout(this.redrawTimer);
    clearInterval(this.tickTimer);
    this.transfers.close();
    this.screen.status(undefined);
  }

  /** Redraw the bar now if it has been a while, else soon; clear it at once when nothing runs. */
  private redraw(): void {
    const active = this.transfers.active();
    if (active.length === 0) {
      clearTimeout(this.redrawTimer);
      this.redrawTimer = undefined;
      clearInterval(this.tickTimer);
      this.tickTimer = undefined;
      this.stall = new StallWatch();
      this.screen.status(undefined);
      return;
    }
    if (!this.tickTimer) {
      this.tickTimer = setInterval(() => this.redraw(), TICK_MS);
      this.tickTimer.unref();
    }
    if (this.redrawTimer) return;
    const wait = Math.max(0, this.lastDraw + REDRAW_MS - Date.now());
    this.redrawTimer = setTimeout(() => {
      this.redrawTimer = undefined;
      this.draw();
    }, wait);
    this.redrawTimer.unref();
  }

  private draw(): void {
    const now = Date.now();
    this.lastDraw = now;
    const active = this.transfers.active();
    const done = active.reduce((n, v) => n + v.done, 0);
    this.screen.status(progressText(active, this.stall.observe(done, now)));
  }
}
