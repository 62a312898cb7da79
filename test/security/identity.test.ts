/**
 * docs/protocol.md §2 "Guest sessions" and §4 "Request ids": what belongs to a
 * user (private messages, request ids) is keyed by the account or the guest
 * session, never by the alias string, which someone else may hold later.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectJsonError, jsonFence, jsonUser, serve, textUser } from '../helpers/fixtures.js';
import type { LineClient } from '../helpers/line-client.js';

type Json = Record<string, unknown>;

async function reply(c: LineClient, id: string): Promise<Json> {
  return c.waitForJson((o) => o.id === id && o.type !== 'pong');
}

test('a request id is per stream: the same id in another room is stored there, never acked as another message', async (t) => {
  const { port } = await serve(t);
  const ann = await jsonUser(t, port, 'Ann', { history: 0 });
  const bob = await jsonUser(t, port, 'Bob', { history: 0 });
  bob.sendJson({ type: 'join', id: 'j', room: '#two' });
  await bob.waitForJson((o) => o.type === 'history' && o.room === '#two');
  bob.sendJson({ type: 'say', id: 'b1', room: '#two', text: "Bob's first" });
  assert.equal((await reply(bob, 'b1')).seq, 1);

  ann.sendJson({ type: 'say', id: '7', room: '#lobby', text: 'in the lobby' });
  const first = await reply(ann, '7');
  assert.equal(first.room, '#lobby');
  ann.sendJson({ type: 'join', id: 'j', room: '#two' });
  await ann.waitForJson((o) => o.type === 'history' && o.room === '#two');
  ann.sendJson({ type: 'say', id: '7', room: '#two', text: 'in two' });
  const second = await reply(ann, '7');
  assert.equal(second.type, 'ack');
  assert.deepEqual([second.room, second.seq], ['#two', 2], 'its own seq in #two');
  const seen = await bob.waitForJson((o) => o.type === 'message' && o.room === '#two');
  assert.deepEqual([seen.from, seen.text, seen.seq], ['Ann', 'in two', 2]);

  // A dm with the same id is a third message: stored and delivered.
  ann.sendJson({ type: 'dm', id: '7', to: 'Bob', text: 'private, same id' });
  assert.equal((await reply(ann, '7')).op, 'dm');
  const dm = await bob.waitForJson((o) => o.type === 'private');
  assert.equal(dm.text, 'private, same id');
});

test('the same id with other text in the same stream is bad_request (id_reused); the same text is the original ack; after /nick the id is the new alias’s', async (t) => {
  const { port } = await serve(t);
  const ann = await jsonUser(t, port, 'Ann', { history: 0 });
  const bob = await jsonUser(t, port, 'Bob', { history: 0 });
  ann.sendJson({ type: 'say', id: 'x', text: 'first' });
  const ack = await reply(ann, 'x');
  ann.sendJson({ type: 'say', id: 'x', text: 'something else' });
  assert.equal((await expectJsonError(ann, 'bad_request', 'x')).detail, 'id_reused');
  ann.sendJson({ type: 'dm', id: 'd', to: 'Bob', text: 'one' });
  await reply(ann, 'd');
  ann.sendJson({ type: 'dm', id: 'd', to: 'Bob', text: 'two' });
  assert.equal((await expectJsonError(ann, 'bad_request', 'd')).detail, 'id_reused');

  ann.sendJson({ type: 'say', id: 'x', text: 'first' });
  const again = await reply(ann, 'x');
  assert.equal(again.seq, ack.seq, 'a re-send is the original, not a second copy');
  // Ids are per account or alias (§4): Annie's x is another message.
  ann.sendJson({ type: 'nick', id: 'n', name: 'Annie' });
  await reply(ann, 'n');
  ann.sendJson({ type: 'say', id: 'x', text: 'as Annie' });
  const annie = await reply(ann, 'x');
  assert.equal(annie.seq, (ack.seq as number) + 1, 'stored as a new message');
  bob.sendJson({ type: 'ping', id: 'fence' });
  await bob.waitForJson((o) => o.type === 'pong');
  const bobSaw = bob.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Json)
    .filter((o) => o.type === 'message' || o.type === 'private')
    .map((o) => o.text);
  assert.deepEqual(
    bobSaw,
    ['first', 'one', 'as Annie'],
    'Bob saw each message once and no reused-id text',
  );
});

test("a later guest with a departed guest's alias cannot read its private messages (JSON)", async (t) => {
  const { port } = await serve(t);
  const bob = await jsonUser(t, port, 'Bob', { history: 0 });
  const vic = await jsonUser(t, port, 'Vic', { history: 0, resume: { '@': 0 } });
  const welcome = JSON.parse(vic.lines.find((l) => l.includes('"welcome"'))!) as Json;
  assert.equal(typeof welcome.session, 'string', 'a guest gets a session token');
  bob.sendJson({ type: 'dm', id: 's', to: 'Vic', text: 'my secret: hunter2' });
  await reply(bob, 's');
  await vic.waitForJson((o) => o.type === 'private');
  vic.sendJson({ type: 'quit' });
  await vic.waitClosed();

  const eve = await jsonUser(t, port, 'Vic', { history: 0, resume: { '@': 0 } });
  const replay = await eve.waitForJson((o) => o.type === 'history' && o.room === '@');
  assert.deepEqual(replay.messages, [], 'nothing of the previous holder');
  await jsonFence(eve);
  assert.ok(!eve.lines.some((l) => l.includes('hunter2')), eve.lines.join('\n'));
  eve.close();

  // The guest itself, presenting its token, gets them back.
  const back = await jsonUser(t, port, 'Vic', {
    history: 0,
    resume: { '@': 0 },
    session: welcome.session,
  });
  const mine = await back.waitForJson((o) => o.type === 'history' && o.room === '@');
  assert.deepEqual(
    (mine.messages as Json[]).map((m) => m.text),
    ['my secret: hunter2'],
  );
});

test("a later holder of a text-mode guest's alias cannot read its private messages", async (t) => {
  const { port } = await serve(t);
  const bob = await textUser(t, port, 'Bob');
  const vic = await textUser(t, port, 'Vic');
  bob.send('/msg Vic my secret: hunter2');
  await vic.waitFor((l) => l.includes('hunter2'));
  vic.send('/quit');
  await vic.waitClosed();

  const eve = await jsonUser(t, port, 'Vic', { history: 0, resume: { '@': 0 } });
  const replay = await eve.waitForJson((o) => o.type === 'history' && o.room === '@');
  assert.deepEqual(replay.messages, []);
  await jsonFence(eve);
  assert.ok(!eve.lines.some((l) => l.includes('hunter2')), eve.lines.join('\n'));
});
