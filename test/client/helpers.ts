/**
 * Test helpers for the client: a scripted fake server for Connection tests.
 */
import { once } from 'node:events';
import net from 'node:net';
import { LineReader, within } from '../helpers/line-reader.js';

/** One client connection as the fake server sees it. */
export class FakePeer {
  readonly reader: LineReader;
  private read = 0;

  constructor(readonly socket: net.Socket) {
    this.reader = new LineReader(socket);
  }

  /** The next JSON object the client sent (in order). */
  async next(ms = 5000): Promise<Record<string, unknown>> {
    const index = this.read;
    await this.reader.find(() => true, `client line #${index + 1}`, index, ms);
    this.read = index + 1;
    return JSON.parse(this.reader.lines[index] ?? '') as Record<string, unknown>;
  }

  /** Send one JSON line (or raw text) to the client. */
  send(value: object | string): void {
    this.socket.write((typeof value === 'string' ? value : JSON.stringify(value)) + '\n');
  }
}

/** A TCP server on 127.0.0.1:0 that hands each connection to the test. */
export class FakeServer {
  private readonly server = net.createServer();
  private readonly peers: FakePeer[] = [];
  private waiters: Array<() => void> = [];

  /** Start listening; resolves with the port. */
  async listen(): Promise<number> {
    this.server.on('connection', (socket) => {
      this.peers.push(new FakePeer(socket));
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The `n`th connection (0-based), waiting for it if need be. */
  async peer(n = 0, ms = 5000): Promise<FakePeer> {
    return within(
      (async () => {
        while (this.peers.length <= n)
          await new Promise<void>((resolve) => this.waiters.push(resolve));
        return this.peers[n] as FakePeer;
      })(),
      ms,
      `connection #${n + 1}`,
    );
  }

  /** Close every connection and the server. */
  async close(): Promise<void> {
    for (const peer of this.peers) peer.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A minimal welcome event. */
export function welcome(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'welcome',
    name: 'Alice',
    rooms: ['#lobby'],
    members: ['Alice'],
    memberCount: 1,
    heartbeat: 30,
    limits: { maxLineBytes: 16384, maxMessageLines: 20, rateBurst: 10, ratePerSecond: 5 },
    server: { name: 'fake', version: '0' },
    epochs: { '#lobby': 'e1' },
    ...overrides,
  };
}
