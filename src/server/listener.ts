/**
 * The TCP listener: accepts connections and hands each to a Session. `close`
 * stops accepting, tells every client, waits for their output to flush (up to
 * a grace period) and leaves no socket or timer behind.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Chat } from '../core/chat.js';
import { JsonEncoder } from '../protocol/json-codec.js';
import { TextEncoder } from '../protocol/text-codec.js';
import type { ServerConfig } from './config.js';
import { Session } from './session.js';

export class Listener {
  private readonly server: Server;
  private readonly sessions = new Set<Session>();
  private nextId = 1;
  private readonly json = new JsonEncoder();
  private readonly text = new TextEncoder();

  constructor(
    private readonly chat: Chat,
    private readonly config: Readonly<ServerConfig>,
    private readonly log: Logger,
    private readonly banner: string,
  ) {
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => this.log.error({ err }, 'listener error'));
  }

  /** Start listening; resolves with the bound address (port 0 picks one). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: this.config.host, port: this.config.port }, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get connections(): number {
    return this.sessions.size;
  }

  /**
   * Graceful stop (§8): refuse new connections, send the shutdown notice, end
   * every connection, and destroy what has not closed after `graceMs`.
   */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.chat.shutdown();
    for (const s of this.sessions) s.close('shutdown');
    const drained = new Promise<void>((resolve) => {
      if (this.sessions.size === 0) resolve();
      else this.onDrained = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    for (const s of this.sessions) s.destroy('shutdown');
    await closed;
  }

  private onDrained: (() => void) | undefined;

  private accept(socket: Socket): void {
    const id = String(this.nextId++);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const log = this.log.child({ conn: id, remote });
    log.info('connected');
    const session = new Session(
      id,
      socket,
      {
        chat: this.chat,
        config: this.config,
        log,
        json: this.json,
        text: this.text,
        banner: this.banner,
      },
      log,
      (s) => {
        this.sessions.delete(s);
        if (this.sessions.size === 0) this.onDrained?.();
      },
    );
    this.sessions.add(session);
  }
}
