/**
 * What both listeners (native and IRC) do with their connections: admission
 * at accept (a refused connection is kept open to be told why, up to a cap),
 * the bookkeeping when one goes, listening, and the graceful close (§8).
 */
import type { AddressInfo, ListenOptions, Server, Socket } from 'node:net';
import type { ChatError } from '../protocol/errors.js';
import type { Admission } from './admission.js';

/** At most this many refused connections are kept open to be told why (a storm is just dropped). */
export const MAX_REFUSING = 256;

/** Sustained flooding (§6): this many refusals within the window end the connection. */
export const FLOOD_REFUSALS = 50;
export const FLOOD_WINDOW_MS = 10_000;

/** A connection as its listener sees it. */
export interface Accepted {
  readonly address: string;
  /** Admission refused it: it is only told why, and holds no admission slot. */
  readonly refused: boolean;
  close(reason: string): void;
  destroy(reason: string): void;
}

/** Start listening; resolves with the bound address (port 0 picks one), rejects on its error. */
export function listenOn(server: Server, options: ListenOptions): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** A listener's open connections. */
export class ConnectionSet<C extends Accepted> implements Iterable<C> {
  private readonly open = new Set<C>();
  /** Refused connections still waiting to be told why; past the cap they are dropped. */
  private refusing = 0;
  private onDrained: (() => void) | undefined;

  constructor(private readonly admission: Admission) {}

  get size(): number {
    return this.open.size;
  }

  [Symbol.iterator](): Iterator<C> {
    return this.open.values();
  }

  /**
   * Admit `socket` or refuse it; `make` builds its connection (given the
   * refusal, if any), which calls `gone` when its socket has closed.
   */
  accept(socket: Socket, make: (refusal: ChatError | undefined) => C): void {
    const refusal = this.admission.admit(socket.remoteAddress ?? 'unknown');
    if (refusal && this.refusing >= MAX_REFUSING) {
      socket.destroy();
      return;
    }
    if (refusal) this.refusing++;
    this.open.add(make(refusal));
  }

  readonly gone = (c: C): void => {
    if (c.refused) this.refusing--;
    else this.admission.release(c.address);
    this.open.delete(c);
    if (this.open.size === 0) this.onDrained?.();
  };

  /**
   * Close every connection (`shutdown`), wait until all have gone or
   * `graceMs` has passed, then destroy what is left.
   */
  async drain(graceMs: number): Promise<void> {
    for (const c of this.open) c.close('shutdown');
    const drained = new Promise<void>((resolve) => {
      if (this.open.size === 0) resolve();
      else this.onDrained = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    for (const c of this.open) c.destroy('shutdown');
  }
}
