/**
 * A raw TCP client that reads the server line by line (a LineReader), for
 * tests in both text and JSON mode. Every wait has a deadline and fails with what was
 * seen, never a fixed sleep.
 */
import { connect, type Socket } from 'node:net';
import { LineReader } from './line-reader.js';

export const DEFAULT_WAIT_MS = 5000;

export class LineClient {
  private readonly reader: LineReader;
  private cursor = 0;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    this.reader = new LineReader(socket);
    socket.on('error', () => undefined);
  }

  /** Every line received so far. */
  get lines(): readonly string[] {
    return this.reader.lines;
  }

  /** Whether the connection has closed (no more lines will come). */
  get closed(): boolean {
    return this.reader.ended;
  }

  /** Connect to 127.0.0.1:port and resolve once connected. */
  static async connect(port: number, host = '127.0.0.1'): Promise<LineClient> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new LineClient(socket);
  }

  /** Connect in text mode as `alias` and wait for the welcome line. */
  static async text(port: number, alias: string): Promise<LineClient> {
    const c = await LineClient.connect(port);
    c.send(alias);
    await c.waitFor((l) => l.startsWith('* Welcome'));
    return c;
  }

  /** Connect in JSON mode as `name`; resolves after welcome and the lobby history. */
  static async json(
    port: number,
    name: string,
    extra: Record<string, unknown> = {},
  ): Promise<LineClient> {
    const c = await LineClient.connect(port);
    c.sendJson({ type: 'hello', version: 1, name, ...extra });
    await c.waitForJson((o) => o.type === 'welcome');
    return c;
  }

  send(line: string): void {
    this.socket.write(line + '\n');
  }

  sendRaw(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  sendJson(obj: unknown): void {
    this.send(JSON.stringify(obj));
  }

  /** The next unread line, waiting for it. */
  async next(timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    return this.waitFor(() => true, timeoutMs);
  }

  /** Skip lines until one matches; returns it. Lines before it are consumed. */
  async waitFor(pred: (line: string) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.lines.length) {
        const line = this.lines[this.cursor++]!;
        if (pred(line)) return line;
      }
      if (this.closed) throw new Error(`connection closed; lines seen:\n${this.lines.join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; lines seen:\n${this.lines.join('\n')}`);
      await this.reader.changed(left);
    }
  }

  /** Next JSON object (skipping non-JSON banner lines) matching `pred`. */
  async waitForJson(
    pred: (o: Record<string, unknown>) => boolean,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<Record<string, unknown>> {
    const line = await this.waitFor(
      (l) => l.startsWith('{') && pred(JSON.parse(l) as Record<string, unknown>),
      timeoutMs,
    );
    return JSON.parse(line) as Record<string, unknown>;
  }

  /** The next JSON object, whatever it is. */
  async nextJson(timeoutMs = DEFAULT_WAIT_MS): Promise<Record<string, unknown>> {
    return this.waitForJson(() => true, timeoutMs);
  }

  /** Resolve when the server has closed the connection. */
  async waitClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`still open; lines seen:\n${this.lines.join('\n')}`);
      await this.reader.changed(left);
    }
  }

  /** Lines received but not yet consumed by a wait. */
  unread(): string[] {
    return this.lines.slice(this.cursor);
  }

  close(): void {
    this.socket.destroy();
  }
}
