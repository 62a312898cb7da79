/**
 * The Redis Store against real redis-server processes started here: the same
 * Store and lease contracts as SQLite and memory, on one Redis and on a
 * three-master Redis Cluster, plus what only a shared, restartable Redis can
 * show (two clients appending at once, data loss as an epoch change).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { MemoryLeases } from '../../src/store/memory-leases.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { RedisClient } from '../../src/store/redis-store.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import type { NewMessage, Publish } from '../../src/store/store.js';
import { RedisCluster, RedisServer, redisMissing } from '../helpers/redis.js';
import { storeContract } from './contract.js';
import { leaseContract } from './lease-contract.js';

const say = (text: string): NewMessage => ({ from: 'Alice', text, action: false, ts: 1 });
let prefixes = 0;
const freshPrefix = (): string => `t${process.pid}-${++prefixes}:`;

leaseContract('MemoryLeases', async (now) => {
  const shared = new MemoryLeases(now);
  return { a: shared, b: shared, close: async () => undefined };
});

const missing = redisMissing();
if (missing) {
  test('Redis store', { skip: missing }, () => undefined);
} else {
  const single = await RedisServer.start();
  const cluster = await RedisCluster.start();
  after(() => Promise.all([single.destroy(), cluster.destroy()]));

  const targets: Array<[string, () => RedisClient]> = [
    ['single Redis', () => new Redis(single.url)],
    ['Redis Cluster (3 masters)', () => new Cluster(cluster.addresses)],
  ];

  for (const [name, connect] of targets) {
    storeContract(`RedisStore on ${name}`, async (publish, o) => {
      const prefix = freshPrefix();
      const open = (p: Publish): RedisStore =>
        new RedisStore({ client: connect(), publish: p, prefix, ...o });
      return { store: open(publish), reopen: async (again) => open(again), epochPerStream: true };
    });

    leaseContract(`RedisStore on ${name}`, async (now) => {
      const prefix = freshPrefix();
      const open = (): RedisStore =>
        new RedisStore({ client: connect(), publish: () => undefined, prefix, now });
      const a = open();
      const b = open();
      return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
    });

    describe(`RedisStore on ${name}: shared by several clients`, () => {
      test('two clients appending at once: seqs 1..1000, no gap, no repeat', async (t) => {
        const prefix = freshPrefix();
        const stores = [0, 1].map(
          () => new RedisStore({ client: connect(), publish: () => undefined, prefix }),
        );
        t.after(() => Promise.all(stores.map((s) => s.close())));
        const results = await Promise.all(
          Array.from({ length: 1000 }, (_, i) => stores[i % 2]!.append('#lobby', say(`m${i}`))),
        );
        const seqs = results.map((r) => r.message.seq).sort((x, y) => x - y);
        assert.deepEqual(
          seqs,
          Array.from({ length: 1000 }, (_, i) => i + 1),
        );
        const read = await stores[1]!.read('#lobby', 0, Infinity);
        assert.equal(read.top, 1000);
        assert.equal(read.messages.length, 1000);
      });

      test('an idempotent retry through another client returns the original', async (t) => {
        const prefix = freshPrefix();
        const [a, b] = [0, 1].map(
          () => new RedisStore({ client: connect(), publish: () => undefined, prefix }),
        );
        t.after(() => Promise.all([a!.close(), b!.close()]));
        const first = await a!.append('@bob', say('hi'), 'alice\u0000c1');
        const again = await b!.append('@bob', say('hi'), 'alice\u0000c1');
        assert.equal(again.duplicate, true);
        assert.deepEqual(again.message, first.message);
        assert.deepEqual(await b!.original('alice\u0000c1'), { ...first, duplicate: true });
        assert.equal(await b!.original('alice\u0000c2'), undefined);
      });

      test('accounts and bans are shared', async (t) => {
        const prefix = freshPrefix();
        const [a, b] = [0, 1].map(
          () => new RedisStore({ client: connect(), publish: () => undefined, prefix }),
        );
        t.after(() => Promise.all([a!.close(), b!.close()]));
        const account = { key: 'alice', name: 'Alice', hash: 'h1', operator: false, createdAt: 5 };
        assert.equal(await a!.createAccount(account), true);
        assert.equal(await b!.createAccount({ ...account, hash: 'other' }), false);
        assert.equal(await b!.updateAccount('alice', { operator: true, hash: 'h2' }), true);
        assert.equal(await b!.updateAccount('nobody', { operator: true }), false);
        assert.deepEqual(await a!.getAccount('alice'), { ...account, operator: true, hash: 'h2' });
        await b!.createAccount({ ...account, key: 'bob', name: 'Bob' });
        assert.deepEqual(
          (await a!.listAccounts()).map((x) => x.key),
          ['alice', 'bob'],
        );
        const ban = { kind: 'address' as const, value: '10.0.0.1', nameKey: 'eve', name: 'Eve' };
        await a!.addBan({ ...ban, by: 'Alice', at: 7 });
        await a!.addBan({
          kind: 'account',
          value: 'bob',
          nameKey: 'bob',
          name: 'Bob',
          by: 'A',
          at: 8,
        });
        assert.deepEqual(await b!.findBan({ aliasKey: 'x', address: '10.0.0.1', now: 9 }), {
          ...ban,
          by: 'Alice',
          at: 7,
        });
        assert.equal(
          (await b!.findBan({ accountKey: 'bob', aliasKey: 'x', address: '::1', now: 9 }))?.value,
          'bob',
        );
        assert.equal(
          await b!.findBan({ accountKey: 'alice', aliasKey: 'x', address: '::1', now: 9 }),
          undefined,
        );
        assert.equal(await b!.removeBans('eve'), 1);
        assert.equal(await a!.findBan({ aliasKey: 'x', address: '10.0.0.1', now: 9 }), undefined);
        assert.equal(await a!.deleteAccount('bob'), true);
        assert.equal(await a!.deleteAccount('bob'), false);
        assert.deepEqual(
          (await b!.listAccounts()).map((x) => x.key),
          ['alice'],
        );
      });

      test('round trips per append: one script, plus one SET with an idempotency key', async (t) => {
        const store = new RedisStore({
          client: connect(),
          publish: () => undefined,
          prefix: freshPrefix(),
        });
        t.after(() => store.close());
        await store.append('#warm', say('load scripts'));
        const before = await commandCount(connect);
        for (let i = 0; i < 50; i++) await store.append('#rt', say(`m${i}`));
        const plain = (await commandCount(connect)) - before;
        for (let i = 0; i < 50; i++) await store.append('#rt', say(`k${i}`), `alice\u0000${i}`);
        const keyed = (await commandCount(connect)) - before - plain;
        t.diagnostic(`commands per append: ${plain / 50} plain, ${keyed / 50} with a key`);
        assert.equal(plain, 50, 'one EVALSHA per append');
        assert.equal(keyed, 100, 'one EVALSHA and one SET (sent together) per keyed append');
      });
    });
  }

  test('every key of one stream hashes to one cluster slot', async (t) => {
    const client = new Cluster(cluster.addresses);
    t.after(() => client.quit());
    const keys = new RedisKeys('chat:');
    for (const stream of ['#lobby', '@bob', '#odd}name']) {
      const all = [...Object.values(keys.stream(stream)), keys.channel(stream)];
      const slots = await Promise.all(all.map((k) => client.cluster('KEYSLOT', k)));
      assert.equal(new Set(slots).size, 1, `${stream}: ${slots.join(',')}`);
    }
  });

  describe('RedisStore across Redis restarts', () => {
    test('restarted without AOF: the loss shows as a new epoch, never as silent gaps', async (t) => {
      const server = await RedisServer.start({ aof: false });
      t.after(() => server.destroy());
      const client = new Redis(server.url);
      const store = new RedisStore({ client, publish: () => undefined });
      t.after(() => store.close());
      const before = await store.append('#lobby', say('before'));
      await store.append('#lobby', say('before 2'));
      await server.restart();
      await waitReady(client);
      const r = await store.read('#lobby', 2, 10);
      assert.notEqual(r.epoch, before.epoch);
      assert.equal(r.top, 0);
      const after = await store.append('#lobby', say('after'));
      assert.equal(after.epoch, r.epoch);
      assert.equal(after.message.seq, 1);
    });

    test('restarted with AOF (appendfsync always): nothing acknowledged is lost', async (t) => {
      const server = await RedisServer.start({ aof: true });
      t.after(() => server.destroy());
      const client = new Redis(server.url);
      const store = new RedisStore({ client, publish: () => undefined });
      t.after(() => store.close());
      const acked = await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.append('#lobby', say(`m${i}`), `k${i}`)),
      );
      // A crash, not a clean shutdown: only what was fsynced survives.
      await server.restart('SIGKILL');
      await waitReady(client);
      const r = await store.read('#lobby', 0, Infinity);
      assert.equal(r.epoch, acked[0]!.epoch);
      assert.equal(r.top, 100);
      assert.deepEqual(
        r.messages.map((m) => m.text),
        acked.map((a) => a.message.text),
      );
      assert.equal((await store.append('#lobby', say('m5'), 'k5')).duplicate, true);
    });
  });
}

/**
 * Top-level commands the store sends that Redis has run so far, over every
 * master (INFO commandstats also counts the calls inside scripts, which are
 * no round trips, so only the commands a client can send are summed).
 */
async function commandCount(connect: () => RedisClient): Promise<number> {
  const client = connect();
  try {
    await client.ping();
    const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
    let total = 0;
    for (const node of nodes) {
      const info = await node.info('commandstats');
      for (const m of info.matchAll(/^cmdstat_(evalsha|eval|set|get):calls=(\d+)/gm)) {
        total += Number(m[2]);
      }
    }
    return total;
  } finally {
    await client.quit();
  }
}

/** Resolve once the client has reconnected after a restart. */
async function waitReady(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    // The restart may not have been noticed yet: make it so with a command.
    try {
      await client.ping();
      return;
    } catch {
      // Fall through to wait for the reconnect.
    }
  }
  await new Promise<void>((resolve) => client.once('ready', () => resolve()));
}
