import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import {
  checkRedis,
  judgeRedisConfig,
  RedisConfigError,
  type RedisFinding,
} from '../../src/store/redis-check.js';
import { RedisCluster, RedisServer, redisMissing } from '../helpers/redis.js';

const SAFE = { appendonly: 'yes', appendfsync: 'always', 'maxmemory-policy': 'noeviction' };
const codes = (f: RedisFinding[]): string[] => f.map((x) => `${x.severity}:${x.code}`);

describe('Redis startup check: judging settings', () => {
  test('appendonly yes, appendfsync always, noeviction: nothing to say', () => {
    assert.deepEqual(judgeRedisConfig('r:1', SAFE), []);
  });

  test('each unsafe setting is named with what is at stake', () => {
    const noAof = judgeRedisConfig('r:1', { ...SAFE, appendonly: 'no' });
    assert.deepEqual(codes(noAof), ['refuse:redis_no_aof']);
    assert.match(noAof[0]!.message, /restart loses every message/);
    const everysec = judgeRedisConfig('r:1', { ...SAFE, appendfsync: 'everysec' });
    assert.deepEqual(codes(everysec), ['warn:redis_fsync_everysec']);
    assert.match(everysec[0]!.message, /last second/);
    assert.deepEqual(codes(judgeRedisConfig('r:1', { ...SAFE, appendfsync: 'no' })), [
      'refuse:redis_fsync_no',
    ]);
    const lru = judgeRedisConfig('r:1', { ...SAFE, 'maxmemory-policy': 'allkeys-lru' });
    assert.deepEqual(codes(lru), ['refuse:redis_eviction']);
    assert.match(lru[0]!.message, /silently deletes keys/);
    assert.deepEqual(codes(judgeRedisConfig('r:1', {})), ['warn:redis_config_hidden']);
  });
});

const missing = redisMissing();
if (missing) {
  test('Redis startup check on real servers', { skip: missing }, () => undefined);
} else {
  describe('Redis startup check on real servers', () => {
    const servers: Array<{ destroy(): Promise<void> }> = [];
    after(() => Promise.all(servers.map((s) => s.destroy())));

    test('a safe Redis passes; an unsafe one is refused unless the risk is accepted', async (t) => {
      const safe = await RedisServer.start({ aof: true });
      const unsafe = await RedisServer.start({
        aof: false,
        args: ['--maxmemory-policy', 'allkeys-lru'],
      });
      servers.push(safe, unsafe);
      const a = new Redis(safe.url);
      const b = new Redis(unsafe.url);
      t.after(() => Promise.all([a.quit(), b.quit()]));
      const warned: RedisFinding[] = [];
      const warn = (f: RedisFinding): number => warned.push(f);
      assert.deepEqual(await checkRedis(a, { acceptRisk: false, warn }), []);
      await assert.rejects(checkRedis(b, { acceptRisk: false, warn }), (err: unknown) => {
        assert.ok(err instanceof RedisConfigError);
        assert.equal(err.code, 'redis_config');
        assert.match(err.message, new RegExp(`127.0.0.1:${unsafe.port}: appendonly is "no"`));
        assert.deepEqual(codes(err.findings), ['refuse:redis_no_aof', 'refuse:redis_eviction']);
        return true;
      });
      assert.deepEqual(warned, []);
      await checkRedis(b, { acceptRisk: true, warn });
      assert.deepEqual(codes(warned), ['refuse:redis_no_aof', 'refuse:redis_eviction']);
    });

    test('on a Cluster every master is checked', async (t) => {
      const cluster = await RedisCluster.start();
      servers.push(cluster);
      const client = new Cluster(cluster.addresses);
      t.after(() => client.quit());
      await client.ping();
      const findings = await checkRedis(client, { acceptRisk: true, warn: () => undefined });
      // The test cluster runs without AOF: each of the three masters is named.
      assert.deepEqual(
        findings.map((f) => f.node).sort(),
        cluster.nodes.map((n) => `127.0.0.1:${n.port}`).sort(),
      );
    });
  });
}
