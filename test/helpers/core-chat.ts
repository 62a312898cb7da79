/**
 * Options for a Chat built directly in a unit test (no server, no sockets):
 * the limits and greeting the server's defaults would give, generous enough
 * that flood control never delays a test, with the store, bus and leases the
 * test chose; and a peer that records what the core sends.
 */
import type { Chat } from '../../src/core/chat.js';
import type { ChatOptions } from '../../src/core/chat-options.js';
import type { Peer, User } from '../../src/core/model.js';
import { forEachKept } from '../../src/protocol/batch-bytes.js';
import type { ServerEvent } from '../../src/protocol/messages.js';

export function coreChatOptions(
  parts: Pick<ChatOptions, 'store' | 'bus' | 'leases'> & Partial<ChatOptions>,
): ChatOptions {
  return {
    node: 'n1',
    limits: {
      maxLineBytes: 16384,
      maxMessageLines: 20,
      rateBurst: 100,
      ratePerSecond: 100,
      rateQueue: 10,
      maxTopicBytes: 390,
      maxRoomsPerUser: 50,
    },
    requireAccount: false,
    historyOnJoin: 20,
    announceLimit: 100,
    heartbeatSeconds: 30,
    server: { name: 'chat-server', version: 'test' },
    ...parts,
  };
}

/**
 * A Peer that records what the core sends it, for tests of the core alone.
 * `messageCalls` counts the send/sendAll calls that carried room messages, so
 * a test can tell one burst from several sends.
 */
export class RecordingPeer implements Peer {
  readonly events: ServerEvent[] = [];
  messageCalls = 0;
  private waiters: Array<() => void> = [];
  constructor(
    readonly id: string,
    readonly address = '127.0.0.1',
  ) {}
  send(event: ServerEvent): void {
    if (event.type === 'message') this.messageCalls++;
    this.push(event);
  }
  sendAll(
    events: readonly ServerEvent[],
    skip?: readonly number[],
    instead?: readonly (ServerEvent | undefined)[],
  ): void {
    const kept: ServerEvent[] = [];
    forEachKept(events, skip, (e) => kept.push(e), instead);
    if (kept.some((e) => e.type === 'message')) this.messageCalls++;
    for (const e of kept) this.push(e);
  }
  close(): void {}
  /** The first event (already sent or still to come) that matches. */
  async until(pred: (e: ServerEvent) => boolean): Promise<ServerEvent> {
    let hit: ServerEvent | undefined;
    await this.settle(() => (hit = this.events.find(pred)) !== undefined);
    return hit!;
  }
  /** Resolves once `cond` holds, checked after each event. */
  async settle(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  private push(event: ServerEvent): void {
    this.events.push(event);
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Log `name` in as a guest and wait for its welcome. */
export async function joinAs<P extends RecordingPeer>(
  chat: Chat,
  name: string,
  peer: P = new RecordingPeer(name) as P,
): Promise<[User, P]> {
  const user = await chat.login(peer, { name });
  await peer.until((e) => e.type === 'welcome');
  return [user, peer];
}
