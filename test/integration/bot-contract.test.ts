/**
 * What a bot author's check of docs/protocol.md found (2026-12-02): an
 * offline recipient's news in a dm's ack with or without an id and on a
 * re-send; `history` of `@`, continuing a capped resume; kicks told in big
 * rooms; a big room's parts gathered and a newcomer not told of its own
 * join (§6); `dev` meaning `#dev` in every request and resume key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectJsonError, jsonUser, raw, serve, textUser } from '../helpers/fixtures.js';
import type { LineClient } from '../helpers/line-client.js';
import { createAccount, jsonLogin } from '../helpers/security.js';

const PW = 'bobs long password';

/** A ping answered: what the server wrote to `c` before it has been read. */
async function pong(c: LineClient): Promise<void> {
  c.sendJson({ type: 'ping', id: 'fence' });
  await c.waitForJson((o) => o.type === 'pong' && o.id === 'fence');
}

test('dm to an offline account: acked offline without an id, and its re-send still says offline', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Bob', PW);
  const ann = await jsonUser(t, server.port, 'Ann', { history: 0 });

  ann.sendJson({ type: 'dm', to: 'Bob', text: 'no id' });
  const told = await ann.nextJson();
  assert.equal(told.type, 'ack', JSON.stringify(told));
  assert.equal('id' in told, false, JSON.stringify(told));
  assert.equal(told.offline, true);
  // Without an id, a dm to someone online is answered with nothing.
  const cy = await jsonUser(t, server.port, 'Cy', { history: 0 });
  ann.sendJson({ type: 'dm', to: 'Cy', text: 'live' });
  await cy.waitForJson((o) => o.type === 'private');
  await pong(ann);
  assert.equal(ann.lines.filter((l) => l.includes('"type":"ack"')).length, 1, ann.lines.join('\n'));

  ann.sendJson({ type: 'dm', id: 'r1', to: 'Bob', text: 'waits' });
  const first = await ann.waitForJson((o) => o.id === 'r1');
  ann.sendJson({ type: 'dm', id: 'r1', to: 'Bob', text: 'waits' });
  const again = await ann.waitForJson((o) => o.id === 'r1');
  assert.deepEqual(again, first);
  assert.equal(again.offline, true);

  // Read at Bob's login: a re-send after that is no longer "offline".
  const bob = await jsonLogin(t, server.port, 'Bob', PW);
  await bob.waitForJson((o) => o.type === 'history' && o.room === '@');
  bob.close();
  await bob.waitClosed();
  ann.sendJson({ type: 'dm', id: 'r1', to: 'Bob', text: 'waits' });
  const later = await ann.waitForJson((o) => o.id === 'r1');
  assert.equal(later.seq, first.seq);
  assert.equal('offline' in later, false, JSON.stringify(later));
});

test('history of "@" pages the private stream, as a capped resume is continued', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Bob', PW);
  const bob = await jsonLogin(t, server.port, 'Bob', PW);
  const ann = await jsonUser(t, server.port, 'Ann', { history: 0 });
  for (let i = 1; i <= 5; i++)
    ann.sendJson({ type: 'dm', id: `d${i}`, to: 'Bob', text: `pm ${i}` });
  await ann.waitForJson((o) => o.id === 'd5');

  bob.sendJson({ type: 'history', id: 'h1', room: '@', after: 1, limit: 3 });
  const page = await bob.waitForJson((o) => o.id === 'h1');
  assert.equal(page.type, 'history', JSON.stringify(page));
  assert.equal(page.room, '@');
  const messages = page.messages as Array<Record<string, unknown>>;
  assert.deepEqual(
    messages.map((m) => [m.type, m.seq, m.from, m.to, m.text]),
    [
      ['private', 2, 'Ann', 'Bob', 'pm 2'],
      ['private', 3, 'Ann', 'Bob', 'pm 3'],
      ['private', 4, 'Ann', 'Bob', 'pm 4'],
    ],
  );
  assert.equal(page.more, true);
  bob.sendJson({ type: 'history', id: 'h2', room: '@', after: 4 });
  const rest = await bob.waitForJson((o) => o.id === 'h2');
  assert.deepEqual(
    (rest.messages as Array<Record<string, unknown>>).map((m) => m.text),
    ['pm 5'],
  );
  assert.equal(rest.more, false);
  // Ann's own stream holds none of what she sent.
  ann.sendJson({ type: 'history', id: 'h3', room: '@' });
  assert.deepEqual((await ann.waitForJson((o) => o.id === 'h3')).messages, []);
});

test('a big room (over --announce-limit) hears of a kick; its parts are gathered; a newcomer is not told of its own join', async (t) => {
  const server = await serve(t, { announceLimit: 2 });
  await createAccount(server, 'Op', 'the operator password', true);
  const op = await jsonLogin(t, server.port, 'Op', 'the operator password');
  const wit = await jsonUser(t, server.port, 'Wit', { history: 0 });
  const zed = await jsonUser(t, server.port, 'Zed', { history: 0 });
  const nc = await textUser(t, server.port, 'Tex');

  op.sendJson({ type: 'kick', id: 'k', name: 'Zed', reason: 'spam' });
  await op.waitForJson((o) => o.id === 'k');
  await zed.waitClosed();
  const kick = await wit.waitForJson((o) => o.event === 'kick');
  assert.deepEqual([kick.user, kick.by, kick.reason], ['Zed', 'Op', 'spam']);
  assert.equal(await nc.waitFor((l) => l.includes('kicked')), '* Zed was kicked by Op (spam)');

  // Two more join #lobby, which is big: no notice names its own reader.
  const pia = await jsonUser(t, server.port, 'Pia', { history: 0 });
  const quin = await jsonUser(t, server.port, 'Quin', { history: 0 });
  await wit.waitForJson((o) => o.event === 'presence' && (o.joined as string[]).includes('Quin'));
  for (const [c, name] of [
    [pia, 'Pia'],
    [quin, 'Quin'],
  ] as const) {
    // The notice Wit read was written to them before this pong.
    await pong(c);
    for (const line of c.lines.filter((l) => l.includes('"event":"presence"'))) {
      assert.equal((JSON.parse(line) as { joined: string[] }).joined.includes(name), false, line);
    }
  }

  // Parts in a big room: gathered into presence notices, not a part event each.
  const opal = await jsonUser(t, server.port, 'Opal', { history: 0 });
  for (const c of [op, wit, pia, quin, opal]) {
    c.sendJson({ type: 'join', id: 'jb', room: 'big', history: 0 });
    await c.waitForJson((o) => o.id === 'jb');
  }
  pia.sendJson({ type: 'part', room: '#big' });
  quin.sendJson({ type: 'part', room: '#big', reason: 'bye' });
  await opal.waitForJson((o) => o.event === 'presence' && (o.left as string[]).includes('Quin'));
  const left = opal.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.event === 'presence' && o.room === '#big')
    .flatMap((o) => o.left as string[]);
  assert.deepEqual(left.sort(), ['Pia', 'Quin'], opal.lines.join('\n'));
  assert.equal(
    opal.lines.some((l) => l.includes('"event":"part"')),
    false,
    opal.lines.join('\n'),
  );
});

test('the join that makes a room big is aggregated, as the leave from it is; below it each is told', async (t) => {
  const server = await serve(t, { announceLimit: 2 });
  const user = (name: string): Promise<LineClient> =>
    jsonUser(t, server.port, name, { history: 0 });
  const [ann, bob, cy] = await Promise.all([user('Ann'), user('Bob'), user('Cy')]);
  const join = async (c: LineClient): Promise<void> => {
    c.sendJson({ type: 'join', id: 'j', room: '#big', history: 0 });
    await c.waitForJson((o) => o.id === 'j');
  };
  await join(ann);
  await join(bob);
  await ann.waitForJson((o) => o.event === 'join' && o.room === '#big' && o.user === 'Bob');
  // Cy makes #big 3, over the limit of 2: one presence notice, not a join.
  await join(cy);
  await ann.waitForJson((o) => o.event === 'presence' && (o.joined as string[]).includes('Cy'));
  // Cy leaves a room of 3 (with Cy): aggregated too.
  cy.sendJson({ type: 'part', room: '#big' });
  await ann.waitForJson((o) => o.event === 'presence' && (o.left as string[]).includes('Cy'));
  // Bob leaves a room of 2: told as a part of its own.
  bob.sendJson({ type: 'part', room: '#big' });
  await ann.waitForJson((o) => o.event === 'part' && o.user === 'Bob');
  const told = ann.lines.filter((l) => l.includes('"room":"#big"') && l.includes('"Cy"'));
  assert.equal(
    told.some((l) => l.includes('"event":"join"') || l.includes('"event":"part"')),
    false,
    told.join('\n'),
  );
});

test('"dev" is "#dev" in every request that names a room, and in resume keys; a key that is no room is refused', async (t) => {
  const server = await serve(t);
  const ann = await jsonUser(t, server.port, 'Ann', { history: 0 });
  ann.sendJson({ type: 'join', id: 'j', room: 'dev', history: 0 });
  assert.equal((await ann.waitForJson((o) => o.id === 'j')).room, '#dev');
  ann.sendJson({ type: 'say', id: 's', room: 'dev', text: 'hi' });
  assert.equal((await ann.waitForJson((o) => o.id === 's')).room, '#dev');
  ann.sendJson({ type: 'who', id: 'w', room: 'DEV' });
  assert.equal((await ann.waitForJson((o) => o.id === 'w')).room, '#dev');
  ann.sendJson({ type: 'history', id: 'h', room: 'dev' });
  const h = await ann.waitForJson((o) => o.id === 'h');
  assert.deepEqual(
    (h.messages as Array<Record<string, unknown>>).map((m) => m.text),
    ['hi'],
  );
  ann.sendJson({ type: 'part', id: 'p', room: 'dev' });
  assert.equal((await ann.waitForJson((o) => o.id === 'p')).type, 'ack');

  const bot = await raw(t, server.port);
  bot.sendJson({ type: 'hello', version: 1, name: 'Bot', history: 0, resume: { dev: 0 } });
  const welcome = await bot.waitForJson((o) => o.type === 'welcome');
  assert.deepEqual(welcome.rooms, ['#dev']);
  const replay = await bot.waitForJson((o) => o.type === 'history');
  assert.deepEqual([replay.room, (replay.messages as unknown[]).length], ['#dev', 1]);

  const bad = await raw(t, server.port);
  bad.sendJson({ type: 'hello', version: 1, name: 'Bad', resume: { '#bad room': 0 } });
  const refused = await expectJsonError(bad, 'bad_request');
  assert.match(refused.message as string, /^Invalid resume key: Room names are/u);
});

test('a hello may carry an id (as any request): its welcome or its refusal carries it', async (t) => {
  const server = await serve(t);
  const ok = await raw(t, server.port);
  ok.sendJson({ type: 'hello', id: 'h1', version: 1, name: 'Ida', history: 0 });
  const welcome = await ok.waitForJson((o) => o.type === 'welcome');
  assert.equal(welcome.id, 'h1');
  ok.sendJson({ type: 'pong', id: 'p1' });
  const acked = await ok.waitForJson((o) => o.id === 'p1');
  assert.deepEqual([acked.type, acked.op], ['ack', 'pong']);

  const bad = await raw(t, server.port);
  bad.sendJson({ type: 'hello', id: 'h2', version: 2, name: 'Ivo' });
  assert.equal((await expectJsonError(bad, 'bad_request', 'h2')).id, 'h2');
  bad.sendJson({ type: 'hello', id: 'h3', version: 1, name: 'Ida' });
  await expectJsonError(bad, 'alias_taken', 'h3');
  bad.sendJson({ type: 'hello', id: 'h4', version: 1, name: 'Ivo', colour: 'red' });
  await expectJsonError(bad, 'bad_request', 'h4');
});
