import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { startServer } from '../helpers/server.js';

test('two text clients talk with split horizon', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const alice = await LineClient.text(server.port, 'Alice');
  const bob = await LineClient.text(server.port, 'Bob');
  t.after(() => {
    alice.close();
    bob.close();
  });
  await alice.waitFor((l) => l === '* Bob joined #lobby');
  bob.send('hello');
  assert.match(await alice.waitFor((l) => l.includes('hello')), /^\[\d\d:\d\d\] <Bob> hello$/u);
  // Bob's own line is not echoed: his next line is the reply to /who.
  bob.send('/who');
  assert.equal(await bob.next(), '* 2 users in #lobby: Alice, Bob');
});
