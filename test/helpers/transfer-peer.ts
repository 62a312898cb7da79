/**
 * A chat-client's transfer side for tests: the real Connection and the real
 * TransferUi (the same objects chat-client wires up), with the screen
 * replaced by a list of notices one can wait on. Also a TCP proxy whose
 * connections can be cut, to drop a client mid-transfer.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '../../src/client/connection.js';
import { TransferUi } from '../../src/client/transfer-ui.js';

export interface Notice {
  text: string;
  error: boolean;
}

export class TransferPeer {
  readonly notices: Notice[] = [];
  readonly statuses: Array<string | undefined> = [];
  private readonly waiters = new Set<() => void>();
  readonly ui: TransferUi;

  private constructor(
    readonly conn: Connection,
    readonly dir: string,
    /** The temporary directory that holds `dir` (removed on close). */
    private readonly root: string,
  ) {
    this.ui = new TransferUi(conn, dir, {
      notice: (text, error) => {
        this.notices.push({ text, error });
        for (const w of this.waiters) w();
      },
      status: (text) => this.statuses.push(text),
    });
    conn.on('event', (event) => {
      // As chat-client does: what the transfers do not claim is shown, errors included.
      if (!this.ui.onEvent(event) && event.type === 'error') {
        this.notices.push({ text: `${event.message} [${event.code}]`, error: true });
      }
    });
  }

  /**
   * Connect as `name` to 127.0.0.1:port, saving downloads in a fresh
   * temporary directory, or with `missingDir` in `Downloads/chat` under one,
   * which the client must create.
   */
  static async connect(port: number, name: string, missingDir = false): Promise<TransferPeer> {
    const conn = new Connection({
      host: '127.0.0.1',
      port,
      name,
      reconnect: true,
      backoffBaseMs: 20,
      backoffMaxMs: 100,
    });
    const root = mkdtempSync(path.join(tmpdir(), `chat-dl-${name}-`));
    const dir = missingDir ? path.join(root, 'Downloads', 'chat') : root;
    const peer = new TransferPeer(conn, dir, root);
    await conn.connect();
    return peer;
  }

  /** Type a line as the user would. */
  async type(line: string): Promise<void> {
    const handled = await this.ui.handleLine(line);
    if (!handled) throw new Error(`not a transfer command: ${line}`);
  }

  /** The first notice (from `from` on) matching `re`; fails after `ms` with what was seen. */
  async waitNotice(re: RegExp, ms = 10_000, from = 0): Promise<Notice> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.notices.slice(from).find((n) => re.test(n.text));
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no notice ${re} within ${ms} ms; saw:\n${this.notices.map((n) => n.text).join('\n')}`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  /** The id of the last offer this peer was told about. */
  lastOfferId(): string {
    for (let i = this.notices.length - 1; i >= 0; i--) {
      const m = /\[([^\]]+)\]: \/accept/u.exec(this.notices[i]!.text);
      if (m) return m[1]!;
    }
    throw new Error('no offer seen');
  }

  /** Files in the download directory (temporary ones included); none before it exists. */
  files(): string[] {
    return existsSync(this.dir) ? readdirSync(this.dir).sort() : [];
  }

  async close(): Promise<void> {
    this.ui.close();
    await this.conn.quit();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A file of `size` random bytes in a fresh temporary directory, and its SHA-256. */
export function randomFile(
  name: string,
  size: number,
): { file: string; sha256: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'chat-src-'));
  const file = path.join(dir, name);
  const bytes = randomBytes(size);
  writeFileSync(file, bytes);
  return { file, dir, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A TCP proxy to 127.0.0.1:target whose live connections can be cut (both ends reset). */
export class CuttableProxy {
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly sockets: Set<net.Socket>,
  ) {}

  static async start(target: number): Promise<CuttableProxy> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: target });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new CuttableProxy(server, (server.address() as net.AddressInfo).port, sockets);
  }

  /** Reset every connection through the proxy; new ones are still accepted. */
  cut(): void {
    for (const s of this.sockets) s.resetAndDestroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
