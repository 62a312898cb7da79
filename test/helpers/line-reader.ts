/**
 * Lines read from any stream (a socket, a child's stdout) with waits that
 * fail with what was seen instead of hanging: the one line reader of the
 * tests. LineClient (line-client.ts) is a socket client built on it.
 */
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
  private done = false;

  constructor(stream: NodeJS.ReadableStream) {
    const split = stream.pipe(split2());
    split.on('data', (line: string) => {
      this.lines.push(line);
      this.notify();
    });
    // The splitter ends after its last line; a stream destroyed without an
    // end (a reset socket) only closes.
    split.on('end', () => this.finish());
    stream.on('close', () => this.finish());
  }

  /** Whether the stream has ended: no more lines will come. */
  get ended(): boolean {
    return this.done;
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
          if (this.done) throw new Error(`stream ended without ${what}; seen:\n${this.text}`);
          await new Promise<void>((resolve) => this.waiters.push(resolve));
        }
      })(),
      ms,
      what,
      () => this.text,
    );
  }

  /** Resolves at the next line or the end of the stream, or after `ms` at the latest. */
  changed(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private finish(): void {
    this.done = true;
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
