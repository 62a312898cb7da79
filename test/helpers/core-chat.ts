/**
 * Options for a Chat built directly in a unit test (no server, no sockets):
 * the limits and greeting the server's defaults would give, generous enough
 * that flood control never delays a test, with the store, bus and leases the
 * test chose.
 */
import type { ChatOptions } from '../../src/core/chat-options.js';

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
