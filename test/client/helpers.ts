/**
 * Test helpers for the client: a scripted fake server for Connection tests,
 * and waits that fail with what was seen instead of hanging.
 */
import { once } from 'node:events';
import net from 'node:net';
import split2 from 'split2';

/** Resolve with `promise`, or reject after `ms` with `what` and the output seen so far. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  seen: () => string = () => '',
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${ms} ms waiting for ${what}; seen:\n${seen()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lines read from a stream, with a wait for the next line matching a test. */
export class LineReader {
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  private ended = false;

  constructor(stream: NodeJS.ReadableStream) {
    stream.pipe(split2()).on('data', (line: string) => {
      this.lines.push(line);
      this.notify();
    });
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
  }

  /** All lines so far, for failure messages. */
  get text(): string {
    return this.lines.join('\n');
  }

  /** The first line after index `from` that satisfies `test`; fails after `ms`. */
  async find(test: (line: string) => boolean, what: string, from = 0, ms = 5000): Promise<string> {
    const search = (): string | undefined => this.lines.slice(from).find(test);
    return within(
      (async () => {
        for (;;) {
          const hit = search();
          if (hit !== undefined) return hit;
          if (this.ended) throw new Error(`stream ended without ${what}; seen:\n${this.text}`);
          await new Promise<void>((resolve) => this.waiters.push(resolve));
        }
      })(),
      ms,
      what,
      () => this.text,
    );
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

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
