/**
 * docs/protocol.md §4 `dm` (issue 17.4): a private message to an account that
 * is offline is stored and delivered once at its next login, unasked, in
 * both modes; to a guest who is not online it is `not_found`, saying so.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  expectJsonError,
  jsonFence,
  jsonUser,
  serve,
  stamped,
  textUser,
} from '../helpers/fixtures.js';
import { createAccount, jsonLogin, textAlias } from '../helpers/security.js';
import { LineClient } from '../helpers/line-client.js';

const PW = 'bobs long password';

/** Bob signs in, and no private message waits for him (no `@` history). */
async function loginWithNothingWaiting(t: TestContext, port: number): Promise<LineClient> {
  const bob = await jsonLogin(t, port, 'Bob', PW);
  await jsonFence(bob);
  assert.equal(
    bob.lines.some((l) => l.includes('"room":"@"')),
    false,
    bob.lines.join('\n'),
  );
  return bob;
}

test('a dm to an offline account waits for its next login, once; to an offline guest: not_found', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Bob', PW);
  const ann = await jsonUser(t, server.port, 'Ann', { history: 0 });

  ann.sendJson({ type: 'dm', id: 'd1', to: 'bob', text: 'build is red' });
  const ack = await ann.waitForJson((o) => o.id === 'd1');
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  assert.equal(ack.offline, true);
  assert.equal(ack.name, 'Bob');
  ann.sendJson({ type: 'dm', id: 'd2', to: 'Bob', text: 'and still red', action: true });
  await ann.waitForJson((o) => o.id === 'd2');
  // A guest who is not online has no stream to wait in.
  ann.sendJson({ type: 'dm', id: 'd3', to: 'Zed', text: 'hello?' });
  const refused = await expectJsonError(ann, 'not_found', 'd3');
  assert.match(
    refused.message as string,
    /is online \(private messages wait only for registered accounts\)/u,
  );

  // Bob's next login (no resume) gets both, in order, as his private stream.
  const bob = await jsonLogin(t, server.port, 'Bob', PW);
  const inbox = await bob.waitForJson((o) => o.type === 'history' && o.room === '@');
  assert.deepEqual(
    (inbox.messages as Array<Record<string, unknown>>).map((m) => [m.from, m.text, m.action]),
    [
      ['Ann', 'build is red', false],
      ['Ann', 'and still red', true],
    ],
  );
  bob.close();

  // Delivered means delivered: the login after that replays nothing.
  const again = await loginWithNothingWaiting(t, server.port);
  // Online again: a dm is live, not "offline".
  ann.sendJson({ type: 'dm', id: 'd4', to: 'Bob', text: 'fixed' });
  const live = await ann.waitForJson((o) => o.id === 'd4');
  assert.equal('offline' in live, false);
  assert.equal((await again.waitForJson((o) => o.type === 'private')).text, 'fixed');
  again.close();

  // Text mode: the sender is told, and the account reads it at its next login.
  const cy = await textUser(t, server.port, 'Cy');
  cy.send('/msg Bob text from nc');
  assert.equal(
    await cy.waitFor((l) => l.startsWith('* Bob')),
    '* Bob is offline; they get it at their next login',
  );
  const bobText = await textAlias(t, server.port, 'Bob');
  bobText.send(PW);
  await bobText.waitFor((l) => l.startsWith('* Welcome, Bob'));
  assert.equal(
    await bobText.waitFor((l) => l.includes('private messages')),
    '* — private messages —',
  );
  assert.match(await bobText.next(), stamped('*Cy* text from nc'));
});

test('a dm to an account signed in under another alias is live: not "offline", not replayed at its next login', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Bob', PW);
  const ann = await jsonUser(t, server.port, 'Ann', { history: 0 });
  const bob = await jsonLogin(t, server.port, 'Bob', PW);
  bob.sendJson({ type: 'nick', id: 'n1', name: 'Robert' });
  await bob.waitForJson((o) => o.id === 'n1');

  ann.sendJson({ type: 'dm', id: 'd1', to: 'Bob', text: 'are you there' });
  const ack = await ann.waitForJson((o) => o.id === 'd1');
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  assert.equal('offline' in ack, false, JSON.stringify(ack));
  assert.equal(ack.name, 'Robert');
  const got = await bob.waitForJson((o) => o.type === 'private');
  assert.equal(got.text, 'are you there');
  bob.close();

  // Read live, so nothing waits for the next login.
  await loginWithNothingWaiting(t, server.port);
});

test('a dm to a JSON guest whose connection just dropped waits for it to come back with its session; not for a text guest, nor for one that quit', async (t) => {
  const server = await serve(t);
  const ann = await jsonUser(t, server.port, 'Ann', { history: 0 });
  const session = 'carols-own-session-token-0001';
  const carol = await jsonUser(t, server.port, 'Carol', { session });
  const joined = await ann.waitForJson((o) => o.type === 'system' && o.event === 'join');
  assert.equal(joined.user, 'Carol');
  carol.socket.resetAndDestroy(); // a network blip: the server sees the connection lost
  const gone = await ann.waitForJson((o) => o.type === 'system' && o.event === 'quit');
  assert.equal(gone.reason, 'connection lost');

  ann.sendJson({ type: 'dm', id: 'g1', to: 'carol', text: 'are you back?' });
  const ack = await ann.waitForJson((o) => o.id === 'g1');
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  assert.equal(ack.offline, true);
  assert.equal(ack.name, 'Carol');

  // Another guest taking the alias meanwhile is someone else: it reads nothing of hers.
  const other = await jsonUser(t, server.port, 'Carol', { history: 0 });
  await jsonFence(other);
  assert.equal(
    other.lines.some((l) => l.includes('are you back')),
    false,
  );
  other.sendJson({ type: 'quit' });
  await ann.waitForJson((o) => o.type === 'system' && o.event === 'quit' && o.reason === 'quit');
  // She quit: nobody is waited for under that alias now.
  ann.sendJson({ type: 'dm', id: 'g2', to: 'Carol', text: 'hello?' });
  await expectJsonError(ann, 'not_found', 'g2');

  // Carol herself, back with her session and no resume: the message follows the welcome, once.
  const back = await LineClient.json(server.port, 'Carol', { session });
  t.after(() => back.close());
  const inbox = await back.waitForJson((o) => o.type === 'history' && o.room === '@');
  assert.deepEqual(
    (inbox.messages as Array<Record<string, unknown>>).map((m) => [m.from, m.text]),
    [['Ann', 'are you back?']],
  );
  back.close();
  const again = await jsonUser(t, server.port, 'Carol', { session });
  await jsonFence(again);
  assert.equal(
    again.lines.some((l) => l.includes('"room":"@"')),
    false,
    'delivered once',
  );

  // A text guest cannot come back as itself (no token): refused as before.
  const cy = await textUser(t, server.port, 'Cy');
  await ann.waitForJson((o) => o.type === 'system' && o.event === 'join' && o.user === 'Cy');
  cy.socket.resetAndDestroy();
  await ann.waitForJson((o) => o.type === 'system' && o.event === 'quit' && o.user === 'Cy');
  ann.sendJson({ type: 'dm', id: 'g3', to: 'Cy', text: 'hello?' });
  await expectJsonError(ann, 'not_found', 'g3');
});

test('a dropped guest back under another alias is no longer waited for under the old one', async (t) => {
  const server = await serve(t);
  const ann = await jsonUser(t, server.port, 'Ann', { history: 0 });
  const session = 'self-seven-session-token-0001';
  const first = await jsonUser(t, server.port, 'Self7', { session });
  await ann.waitForJson((o) => o.type === 'system' && o.event === 'join' && o.user === 'Self7');
  first.socket.resetAndDestroy();
  await ann.waitForJson((o) => o.type === 'system' && o.event === 'quit' && o.user === 'Self7');
  const back = await jsonUser(t, server.port, 'Self7b', { session, history: 0 });
  back.sendJson({ type: 'dm', id: 's1', to: 'Self7', text: 'note to self' });
  await expectJsonError(back, 'not_found', 's1');
  ann.sendJson({ type: 'dm', id: 's2', to: 'Self7', text: 'hello?' });
  const refused = await ann.waitForJson((o) => o.id === 's2');
  assert.deepEqual([refused.type, refused.code], ['error', 'not_found']);
});
