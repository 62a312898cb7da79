/**
 * How the Redis store's calls fail (src/store/redis-calls.ts): once a call
 * has given up on an unreachable Redis, later calls fail at once with
 * `unavailable` instead of each waiting out ioredis's retries again, until
 * the connection is ready; a reply error on a live connection trips nothing.
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { RedisCalls, Script, type RedisClient } from '../../src/store/redis-calls.js';
import { StoreError } from '../../src/store/store-error.js';

/** The little of an ioredis client that RedisCalls touches, with its status settable. */
function fakeClient(status: string, reply: () => Promise<unknown>) {
  const client = { status, evalsha: mock.fn(reply), get: mock.fn(reply) };
  return { client, calls: new RedisCalls(client as unknown as RedisClient) };
}

const script = new Script('return 1');
const gaveUp = (): Promise<unknown> =>
  Promise.reject(new Error('Reached the max retries per request limit (which is 2).'));

async function assertUnavailable(p: Promise<unknown>): Promise<void> {
  await assert.rejects(
    p,
    (err: unknown) => err instanceof StoreError && err.failure === 'unavailable',
  );
}

test('after a call gives up on a connection that is down, the next calls fail without waiting', async () => {
  const { client, calls } = fakeClient('reconnecting', gaveUp);
  await assertUnavailable(calls.script(script, [], []));
  assert.equal(client.evalsha.mock.callCount(), 1);
  // Neither scripts nor plain commands go to the client while it is still down.
  await assertUnavailable(calls.script(script, [], []));
  await assertUnavailable(calls.cmd(() => client.get()));
  assert.equal(client.evalsha.mock.callCount(), 1);
  assert.equal(client.get.mock.callCount(), 0);
});

test('once the connection is ready again, calls go through', async () => {
  const { client, calls } = fakeClient('reconnecting', gaveUp);
  await assertUnavailable(calls.script(script, [], []));
  client.status = 'ready';
  client.evalsha.mock.mockImplementation(() => Promise.resolve('ok'));
  assert.equal(await calls.script(script, [], []), 'ok');
  assert.equal(client.evalsha.mock.callCount(), 2);
});

test('an error reply on a ready connection does not stop later calls', async () => {
  const { client, calls } = fakeClient('ready', () =>
    Promise.reject(new Error('WRONGTYPE Operation against a key holding the wrong kind of value')),
  );
  await assertUnavailable(calls.script(script, [], []));
  await assertUnavailable(calls.script(script, [], []));
  assert.equal(client.evalsha.mock.callCount(), 2);
});
