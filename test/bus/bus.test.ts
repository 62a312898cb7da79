/** The Bus contract against the local Bus and the Redis Bus (one Redis and a 3-master Cluster). */
import { after, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { LocalBus } from '../../src/bus/local-bus.js';
import { RedisBus } from '../../src/bus/redis-bus.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { RedisClient } from '../../src/store/redis-store.js';
import { RedisCluster, RedisServer, redisMissing } from '../helpers/redis.js';
import { busContract } from './contract.js';

busContract('LocalBus + MemoryStore', async () => {
  const bus = new LocalBus();
  const store = new MemoryStore((m) => bus.publish(m), 10_000);
  return { bus, store, close: async () => void (await Promise.all([bus.close(), store.close()])) };
});

/** Drop every pub/sub connection on these nodes, as a network failure would. */
async function killPubsub(ports: number[]): Promise<void> {
  await Promise.all(
    ports.map(async (port) => {
      const admin = new Redis(port, '127.0.0.1');
      try {
        await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      } finally {
        admin.disconnect();
      }
    }),
  );
}

const missing = redisMissing();
if (missing) {
  test('Redis bus', { skip: missing }, () => undefined);
} else {
  const single = await RedisServer.start();
  const cluster = await RedisCluster.start();
  after(() => Promise.all([single.destroy(), cluster.destroy()]));
  let prefixes = 0;

  const targets: Array<[string, () => RedisClient, () => RedisClient, number[]]> = [
    ['single Redis', () => new Redis(single.url), () => new Redis(single.url), [single.port]],
    [
      'Redis Cluster (3 masters)',
      () => new Cluster(cluster.addresses),
      () => new Cluster(cluster.addresses, { shardedSubscribers: true }),
      cluster.nodes.map((n) => n.port),
    ],
  ];

  for (const [name, connect, connectSubscriber, ports] of targets) {
    busContract(`RedisBus + RedisStore on ${name}`, async () => {
      const prefix = `b${process.pid}-${++prefixes}:`;
      const client = connect();
      const bus = new RedisBus({ client, subscriber: connectSubscriber(), prefix });
      // The append script rings the doorbell itself: no local publish.
      const store = new RedisStore({ client, publish: () => undefined, prefix });
      return {
        bus,
        store,
        interrupt: () => killPubsub(ports),
        close: async () => {
          await bus.close();
          await store.close();
        },
      };
    });
  }
}
