/**
 * docs/protocol.md §4: the same commands as JSON requests, with the replies and
 * system events a bot sees, and the error cases asserted by code and id.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  expectJsonError,
  jsonFence,
  jsonUser,
  serve,
  textFence,
  textUser,
} from '../helpers/fixtures.js';
import type { LineClient } from '../helpers/line-client.js';

/** Two JSON users in #lobby who have seen each other join. */
async function pair(t: TestContext): Promise<{ port: number; ann: LineClient; ben: LineClient }> {
  const { port } = await serve(t);
  const ann = await jsonUser(t, port, 'Ann');
  const ben = await jsonUser(t, port, 'Ben');
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Ben');
  return { port, ann, ben };
}

/** Send a request with an id; the next object must be an error with this code and that id. */
async function refused(c: LineClient, req: Record<string, unknown>, code: string): Promise<void> {
  c.sendJson(req);
  await expectJsonError(c, code, req.id as string);
}

/** Send a request with an id; the next object must be its reply, which is returned. */
async function ask(c: LineClient, req: Record<string, unknown>): Promise<Record<string, unknown>> {
  c.sendJson(req);
  const reply = await c.nextJson();
  assert.equal(reply.id, req.id, `reply to ${JSON.stringify(req)}: ${JSON.stringify(reply)}`);
  return reply;
}

test('join, say to a named room, part: acks, system events, and not_member', async (t) => {
  const { ann, ben } = await pair(t);
  const ack = await ask(ann, { type: 'join', id: 'j1', room: '#Dev' });
  assert.equal(ack.type, 'ack');
  assert.equal(ack.room, '#Dev');
  const history = await ann.nextJson();
  assert.equal(history.type, 'history');
  assert.deepEqual(history.messages, []);

  // Ben joins by another spelling: the same room, and Ann is told.
  await ask(ben, { type: 'join', id: 'j2', room: '#DEV' });
  await ben.waitForJson((o) => o.type === 'history');
  const join = await ann.nextJson();
  assert.equal(join.event, 'join');
  assert.equal(join.user, 'Ben');
  assert.equal(join.room, '#Dev');

  // Say to #lobby while #dev is current; Ben gets it with its room.
  const said = await ask(ann, { type: 'say', id: 's1', room: '#lobby', text: 'in lobby' });
  assert.equal(said.type, 'ack');
  const msg = await ben.nextJson();
  assert.equal(msg.room, '#lobby');
  assert.equal(msg.text, 'in lobby');

  await refused(ann, { type: 'say', id: 's2', room: '#ops', text: 'x' }, 'not_member');
  await refused(ann, { type: 'join', id: 'j3', room: '#has space' }, 'bad_request');
  await refused(ann, { type: 'part', id: 'p0', room: '#ops' }, 'not_member');

  const parted = await ask(ann, { type: 'part', id: 'p1', room: '#dev' });
  assert.equal(parted.type, 'ack');
  const part = await ben.nextJson();
  assert.equal(part.event, 'part');
  assert.equal(part.user, 'Ann');
  assert.equal(part.room, '#Dev');

  await refused(ann, { type: 'part', id: 'p2' }, 'bad_request');
  await refused(ann, { type: 'part', id: 'p3', room: '#lobby' }, 'bad_request');
  await jsonFence(ann);
  await jsonFence(ben);
});

test('dm: a private event for the recipient only; not_found, and not to yourself', async (t) => {
  const { port, ann, ben } = await pair(t);
  const carl = await textUser(t, port, 'Carl');
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Carl');
  await ben.waitForJson((o) => o.event === 'join' && o.user === 'Carl');

  const ack = await ask(ann, { type: 'dm', id: 'd1', to: 'ben', text: 'psst' });
  assert.equal(ack.type, 'ack');
  assert.equal(typeof ack.seq, 'number');
  const dm = await ben.nextJson();
  assert.equal(dm.type, 'private');
  assert.equal(dm.from, 'Ann');
  assert.equal(dm.to, 'Ben');
  assert.equal(dm.text, 'psst');
  await textFence(carl);

  // A multi-line dm reaches a text reader line by line.
  await ask(ann, { type: 'dm', id: 'd2', to: 'Carl', text: 'a\nb' });
  assert.match(await carl.next(), /^\[\d\d:\d\d\] \*Ann\* a$/u);
  assert.match(await carl.next(), /^\[\d\d:\d\d\] \*Ann\* b$/u);

  await refused(ann, { type: 'dm', id: 'd3', to: 'Zed', text: 'x' }, 'not_found');
  await refused(ann, { type: 'dm', id: 'd4', to: 'Ann', text: 'x' }, 'bad_request');
  await refused(ann, { type: 'dm', id: 'd5', to: 'Ben', text: '' }, 'bad_request');
  await jsonFence(ben);
});

test('nick: ack, a nick event for the neighbours, alias_taken and bad_alias', async (t) => {
  const { ann, ben } = await pair(t);
  const ack = await ask(ann, { type: 'nick', id: 'n1', name: 'Anna' });
  assert.equal(ack.type, 'ack');
  assert.equal(ack.name, 'Anna');
  const nick = await ben.nextJson();
  assert.equal(nick.event, 'nick');
  assert.equal(nick.user, 'Ann');
  assert.equal(nick.name, 'Anna');

  await refused(ann, { type: 'nick', id: 'n2', name: 'BEN' }, 'alias_taken');
  await refused(ann, { type: 'nick', id: 'n3', name: 'system' }, 'bad_alias');
  await refused(ann, { type: 'nick', id: 'n4', name: 'a b' }, 'bad_alias');
  await refused(ann, { type: 'nick', id: 'n5' }, 'bad_request');
  const who = await ask(ben, { type: 'who', id: 'w' });
  assert.deepEqual(who.users, [{ name: 'Anna' }, { name: 'Ben' }]);
});

test('topic: show, set (others get a topic event), clear; rooms lists it', async (t) => {
  const { ann, ben } = await pair(t);
  const shown = await ask(ann, { type: 'topic', id: 't1' });
  assert.equal(shown.type, 'ack');
  assert.equal(shown.text, '');
  const set = await ask(ann, { type: 'topic', id: 't2', room: '#lobby', text: 'CI is green' });
  assert.equal(set.text, 'CI is green');
  const event = await ben.nextJson();
  assert.equal(event.event, 'topic');
  assert.equal(event.user, 'Ann');
  assert.equal(event.room, '#lobby');
  assert.equal(event.text, 'CI is green');

  const rooms = await ask(ben, { type: 'rooms', id: 'r' });
  assert.equal(rooms.type, 'rooms');
  assert.deepEqual(rooms.rooms, [{ name: '#lobby', members: 2, topic: 'CI is green' }]);

  const cleared = await ask(ann, { type: 'topic', id: 't3', text: '' });
  assert.equal(cleared.text, '');
  assert.equal((await ben.nextJson()).event, 'topic');
  await refused(ann, { type: 'topic', id: 't4', room: '#x', text: 'y' }, 'not_member');
});

test('who and history: same-type replies; not_found and not_member', async (t) => {
  const { ann, ben } = await pair(t);
  await ask(ben, { type: 'away', id: 'a', text: 'lunch' });
  await ann.waitForJson((o) => o.event === 'away');
  const who = await ask(ann, { type: 'who', id: 'w1' });
  assert.equal(who.type, 'who');
  assert.equal(who.room, '#lobby');
  assert.deepEqual(who.users, [{ name: 'Ann' }, { name: 'Ben', away: 'lunch' }]);
  const all = await ask(ann, { type: 'who', id: 'w2', room: '*' });
  assert.equal(all.room, '*');
  await refused(ann, { type: 'who', id: 'w3', room: '#nope' }, 'not_found');

  for (let i = 1; i <= 5; i++) await ask(ann, { type: 'say', id: `s${i}`, text: `m${i}` });
  const h = await ask(ann, { type: 'history', id: 'h1', limit: 2 });
  assert.equal(h.type, 'history');
  assert.deepEqual(
    (h.messages as Array<{ text: string }>).map((m) => m.text),
    ['m4', 'm5'],
  );
  assert.equal(h.more, true);
  const older = await ask(ann, { type: 'history', id: 'h2', before: 4, limit: 10 });
  assert.deepEqual(
    (older.messages as Array<{ seq: number }>).map((m) => m.seq),
    [1, 2, 3],
  );
  assert.equal(older.more, false);
  // Forward paging (§4 history.after): exclusive, oldest first, `more` while newer ones exist.
  const newer = await ask(ann, { type: 'history', id: 'h4', after: 1, limit: 2 });
  assert.deepEqual(
    (newer.messages as Array<{ seq: number }>).map((m) => m.seq),
    [2, 3],
  );
  assert.equal(newer.more, true);
  const rest = await ask(ann, { type: 'history', id: 'h5', after: 3, limit: 10 });
  assert.deepEqual(
    (rest.messages as Array<{ seq: number }>).map((m) => m.seq),
    [4, 5],
  );
  assert.equal(rest.more, false);
  await refused(ann, { type: 'history', id: 'h6', before: 4, after: 1 }, 'bad_request');
  await refused(ann, { type: 'history', id: 'h3', room: '#dev' }, 'not_member');
});

test('away: acked, told to the room as a system away, shown in who, returned to private senders', async (t) => {
  const { ann, ben } = await pair(t);
  const ack = await ask(ben, { type: 'away', id: 'a1', text: 'lunch' });
  assert.equal(ack.type, 'ack');
  assert.equal(ack.text, 'lunch');
  const told = await ann.nextJson();
  assert.deepEqual(
    { type: told.type, event: told.event, user: told.user, text: told.text, room: told.room },
    { type: 'system', event: 'away', user: 'Ben', text: 'lunch', room: undefined },
  );
  const dmAck = await ask(ann, { type: 'dm', id: 'd', to: 'Ben', text: 'hi' });
  assert.equal(dmAck.type, 'ack');
  assert.equal(dmAck.text, 'lunch');
  await ben.waitForJson((o) => o.type === 'private');
  const back = await ask(ben, { type: 'away', id: 'a2' });
  assert.equal(back.text, '');
  assert.equal((await ann.waitForJson((o) => o.event === 'away')).text, '');
  const who = await ask(ann, { type: 'who', id: 'w' });
  assert.deepEqual(who.users, [{ name: 'Ann' }, { name: 'Ben' }]);
});

test('ignore and unignore: room and private messages stop, then resume; not_found', async (t) => {
  const { port, ann, ben } = await pair(t);
  const carl = await jsonUser(t, port, 'Carl');
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Carl');
  await ben.waitForJson((o) => o.event === 'join' && o.user === 'Carl');

  const ack = await ask(ann, { type: 'ignore', id: 'i1', name: 'ben' });
  assert.equal(ack.type, 'ack');
  assert.equal(ack.name, 'Ben');
  const list = await ask(ann, { type: 'ignore', id: 'i2' });
  assert.equal(list.text, 'Ben');

  await ask(ben, { type: 'say', id: 's', text: 'shout' });
  await ask(ben, { type: 'dm', id: 'd', to: 'Ann', text: 'whisper' });
  assert.equal((await carl.nextJson()).text, 'shout');
  await jsonFence(ann);

  await refused(ann, { type: 'ignore', id: 'i3', name: 'Zed' }, 'not_found');
  await refused(ann, { type: 'ignore', id: 'i4', name: 'Ann' }, 'bad_request');
  await refused(ann, { type: 'unignore', id: 'u1', name: 'Carl' }, 'not_found');
  await refused(ann, { type: 'unignore', id: 'u2' }, 'bad_request');
  const un = await ask(ann, { type: 'unignore', id: 'u3', name: 'BEN' });
  assert.equal(un.name, 'Ben');
  await ask(ben, { type: 'say', id: 's2', text: 'again' });
  assert.equal((await ann.nextJson()).text, 'again');
});

test('an ignore follows its user through /nick: room and private messages stay out, and the list shows both names', async (t) => {
  const { port, ann, ben } = await pair(t);
  const carl = await jsonUser(t, port, 'Carl');
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Carl');
  await ben.waitForJson((o) => o.event === 'join' && o.user === 'Carl');
  await ask(ann, { type: 'ignore', id: 'i1', name: 'Ben' });
  await ask(ben, { type: 'nick', id: 'n1', name: 'Benny' });
  await ann.waitForJson((o) => o.event === 'nick' && o.name === 'Benny');
  await ask(ben, { type: 'say', id: 's', text: 'under a new name' });
  await ask(ben, { type: 'dm', id: 'd', to: 'Ann', text: 'whisper, renamed' });
  assert.equal((await carl.waitForJson((o) => o.type === 'message')).text, 'under a new name');
  await jsonFence(ann);
  assert.ok(
    !ann.lines.some((l) => l.includes('under a new name') || l.includes('whisper, renamed')),
    'nothing of Benny reached Ann',
  );
  assert.equal((await ask(ann, { type: 'ignore', id: 'i2' })).text, 'Ben, Benny');
});

test('history with an ignore: a page holds `limit` messages of the others, not fewer', async (t) => {
  const { port, ann, ben } = await pair(t);
  const carl = await jsonUser(t, port, 'Carl');
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Carl');
  await ben.waitForJson((o) => o.event === 'join' && o.user === 'Carl');
  await ask(ann, { type: 'ignore', id: 'i1', name: 'Ben' });
  for (let i = 1; i <= 4; i++) {
    for (const [c, id] of [
      [carl, `c${i}`],
      [ben, `b${i}`],
    ] as const) {
      c.sendJson({ type: 'say', id, text: id });
      await c.waitForJson((o) => o.id === id);
    }
  }
  ann.sendJson({ type: 'history', id: 'h1', limit: 3 });
  const page = await ann.waitForJson((o) => o.id === 'h1');
  assert.deepEqual(
    (page.messages as Array<{ text: string }>).map((m) => m.text),
    ['c2', 'c3', 'c4'],
  );
  assert.equal(page.more, true);
});

test('help: the command list, one command, not_found', async (t) => {
  const { ann } = await pair(t);
  const all = await ask(ann, { type: 'help', id: 'h1' });
  assert.equal(all.type, 'help');
  const names = (all.commands as Array<{ name: string }>).map((c) => c.name);
  for (const n of ['who', 'join', 'part', 'msg', 'me', 'nick', 'topic', 'away', 'quit']) {
    assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
  }
  const one = await ask(ann, { type: 'help', id: 'h2', command: 'nick' });
  assert.deepEqual(
    (one.commands as Array<{ name: string }>).map((c) => c.name),
    ['nick'],
  );
  await refused(ann, { type: 'help', id: 'h3', command: 'zap' }, 'not_found');
});

test('an action say is an action for JSON and text readers', async (t) => {
  const { port, ann, ben } = await pair(t);
  const carl = await textUser(t, port, 'Carl');
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Carl');
  await ben.waitForJson((o) => o.event === 'join' && o.user === 'Carl');
  await ask(ann, { type: 'say', id: 'a', text: 'waves', action: true });
  const msg = await ben.nextJson();
  assert.equal(msg.action, true);
  assert.equal(msg.text, 'waves');
  assert.match(await carl.next(), /^\[\d\d:\d\d\] \* Ann waves$/u);
});
