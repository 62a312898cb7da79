/**
 * docs/protocol.md §4 and §6: JSON-mode errors never end the connection, every
 * request with an id gets exactly one reply with that id, `say` acks carry
 * increasing seqs, and multi-line messages.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expectJsonError,
  jsonFence,
  jsonUser,
  raw,
  serve,
  stamped,
  textFence,
  textUser,
} from '../helpers/fixtures.js';
import { LineClient } from '../helpers/line-client.js';

test('malformed JSON, non-objects, unknown types, missing and mistyped fields → bad_request; the connection stays usable', async (t) => {
  const { port } = await serve(t);
  const bot = await jsonUser(t, port, 'Bot');
  const cases: Array<[string, string | undefined]> = [
    ['{"type":"say",', undefined],
    ['not json at all', undefined],
    ['[1,2,3]', undefined],
    ['42', undefined],
    ['"say"', undefined],
    ['null', undefined],
    ['{}', undefined],
    ['{"id":"m1"}', 'm1'],
    ['{"type":"frobnicate","id":"u1"}', 'u1'],
    ['{"type":7,"id":"u2"}', 'u2'],
    ['{"type":"hello","version":1,"name":"Again","id":"u3"}', 'u3'],
    ['{"type":"say","id":"f1"}', 'f1'],
    ['{"type":"dm","id":"f2","text":"hi"}', 'f2'],
    ['{"type":"join","id":"f3"}', 'f3'],
    ['{"type":"say","id":"w1","text":5}', 'w1'],
    ['{"type":"say","id":"w2","text":"hi","action":"yes"}', 'w2'],
    ['{"type":"join","id":"w3","room":["#dev"]}', 'w3'],
    ['{"type":"history","id":"w4","limit":-1}', 'w4'],
    ['{"type":"history","id":"w5","limit":"ten"}', 'w5'],
    ['{"type":"say","id":7,"text":"hi"}', undefined],
  ];
  for (const [line, id] of cases) {
    bot.send(line);
    const err = await expectJsonError(bot, 'bad_request', id);
    if (id === undefined) assert.equal(err.id, undefined, line);
    assert.equal(typeof err.message, 'string');
  }
  await jsonFence(bot);
  bot.sendJson({ type: 'say', id: 'ok', text: 'still here' });
  const ack = await bot.nextJson();
  assert.equal(ack.type, 'ack');
  assert.equal(ack.id, 'ok');
});

test('every request with an id gets exactly one reply carrying that id', async (t) => {
  const { port } = await serve(t);
  const bot = await jsonUser(t, port, 'Bot');
  const other = await jsonUser(t, port, 'Other');
  await bot.waitForJson((o) => o.event === 'join' && o.user === 'Other');

  const requests: Array<[Record<string, unknown>, string]> = [
    [{ type: 'say', id: 'r1', text: 'hi' }, 'ack'],
    [{ type: 'say', id: 'r2', text: 'waves', action: true }, 'ack'],
    [{ type: 'dm', id: 'r3', to: 'Other', text: 'psst' }, 'ack'],
    [{ type: 'join', id: 'r4', room: '#dev' }, 'ack'],
    [{ type: 'topic', id: 'r5', room: '#dev', text: 'CI' }, 'ack'],
    [{ type: 'topic', id: 'r6' }, 'ack'],
    [{ type: 'who', id: 'r7' }, 'who'],
    [{ type: 'who', id: 'r8', room: '*' }, 'who'],
    [{ type: 'rooms', id: 'r9' }, 'rooms'],
    [{ type: 'history', id: 'r10', room: '#lobby' }, 'history'],
    [{ type: 'history', id: 'r11', room: '#lobby', before: 2, limit: 1 }, 'history'],
    [{ type: 'away', id: 'r12', text: 'lunch' }, 'ack'],
    [{ type: 'away', id: 'r13' }, 'ack'],
    [{ type: 'ignore', id: 'r14', name: 'Other' }, 'ack'],
    [{ type: 'ignore', id: 'r15' }, 'ack'],
    [{ type: 'unignore', id: 'r16', name: 'Other' }, 'ack'],
    [{ type: 'help', id: 'r17' }, 'help'],
    [{ type: 'help', id: 'r18', command: 'msg' }, 'help'],
    [{ type: 'ping', id: 'r19' }, 'pong'],
    [{ type: 'part', id: 'r20', room: '#dev' }, 'ack'],
    [{ type: 'nick', id: 'r21', name: 'Robot' }, 'ack'],
    [{ type: 'pong', id: 'r22' }, 'ack'],
    // Refusals carry the id too.
    [{ type: 'dm', id: 'e1', to: 'Nobody', text: 'x' }, 'error'],
    [{ type: 'part', id: 'e2' }, 'error'],
    [{ type: 'say', id: 'e3', room: '#nowhere', text: 'x' }, 'error'],
    [{ type: 'frobnicate', id: 'e4' }, 'error'],
    [{ type: 'say', id: 'e5', text: '   ' }, 'error'],
    [{ type: 'who', id: 'e6', room: '#nosuch' }, 'error'],
    [{ type: 'help', id: 'e7', command: 'nosuch' }, 'error'],
  ];
  for (const [req] of requests) bot.sendJson(req);

  const expected = new Map(
    requests.filter(([, type]) => type !== 'none').map(([r, type]) => [r.id as string, type]),
  );
  const seen = new Map<string, Array<Record<string, unknown>>>();
  const allAnswered = (): boolean => [...expected.keys()].every((id) => seen.has(id));
  while (!allAnswered()) {
    const o = await bot.nextJson();
    if (typeof o.id !== 'string') continue;
    seen.set(o.id, [...(seen.get(o.id) ?? []), o]);
  }
  // Whatever was still on its way has arrived by the time a fence is answered.
  await jsonFence(bot);
  for (const o of bot.unread().map((l) => JSON.parse(l) as Record<string, unknown>)) {
    if (typeof o.id === 'string') seen.set(o.id, [...(seen.get(o.id) ?? []), o]);
  }
  for (const [id, type] of expected) {
    const replies = seen.get(id) ?? [];
    assert.equal(replies.length, 1, `${id}: ${JSON.stringify(replies)}`);
    assert.equal(replies[0]?.type, type, `${id}: ${JSON.stringify(replies[0])}`);
  }
  assert.equal(seen.get('r1')?.[0]?.seq, 1);
  assert.equal(seen.get('r2')?.[0]?.seq, 2);
  assert.equal(seen.get('e1')?.[0]?.code, 'not_found');
  assert.equal(seen.get('e2')?.[0]?.code, 'bad_request');
  assert.equal(seen.get('e3')?.[0]?.code, 'not_member');
  assert.equal(seen.get('e4')?.[0]?.code, 'bad_request');
  assert.equal(seen.get('e5')?.[0]?.code, 'bad_request');
  assert.equal(seen.get('e6')?.[0]?.code, 'not_found');
  assert.equal(seen.get('e7')?.[0]?.code, 'not_found');
  assert.equal(seen.get('r10')?.[0]?.room, '#lobby');
  assert.equal(seen.get('r11')?.[0]?.room, '#lobby');
  assert.deepEqual(
    (seen.get('r11')?.[0]?.messages as Array<{ seq: number }>).map((m) => m.seq),
    [1],
  );
  // Only Bot's requests were answered; Other got the messages, not the replies.
  const forOther = await other.waitForJson((o) => o.type === 'private');
  assert.equal(forOther.text, 'psst');
});

test('requests without an id get no ack, but errors still arrive', async (t) => {
  const { port } = await serve(t);
  const bot = await jsonUser(t, port, 'Bot');
  bot.sendJson({ type: 'say', text: 'no id' });
  bot.sendJson({ type: 'join', room: '#dev' });
  bot.sendJson({ type: 'dm', to: 'Nobody', text: 'x' });
  // The join's history reply is not an ack; answers come in the order sent (§4 "Order").
  const history = await bot.nextJson();
  assert.equal(history.type, 'history');
  assert.equal(history.room, '#dev');
  const err = await expectJsonError(bot, 'not_found');
  assert.equal(err.id, undefined);
  await jsonFence(bot);
});

test('say acks carry increasing seqs that match what the others receive', async (t) => {
  const { port } = await serve(t);
  const bot = await jsonUser(t, port, 'Bot');
  const watcher = await jsonUser(t, port, 'Watcher');
  await bot.waitForJson((o) => o.event === 'join' && o.user === 'Watcher');
  const n = 12;
  for (let i = 0; i < n; i++) bot.sendJson({ type: 'say', id: `s${i}`, text: `m${i}` });
  const acks = new Map<string, number>();
  while (acks.size < n) {
    const ack = await bot.nextJson();
    assert.equal(ack.type, 'ack', JSON.stringify(ack));
    acks.set(ack.id as string, ack.seq as number);
  }
  const seqs = Array.from({ length: n }, (_, i) => acks.get(`s${i}`)!);
  for (let i = 1; i < n; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `seqs ${seqs.join(',')}`);
  for (let i = 0; i < n; i++) {
    const msg = await watcher.nextJson();
    assert.equal(msg.type, 'message');
    assert.equal(msg.text, `m${i}`);
    assert.equal(msg.seq, seqs[i]);
  }
  // Another room has its own sequence.
  bot.sendJson({ type: 'join', id: 'j', room: '#dev' });
  await bot.waitForJson((o) => o.type === 'history');
  bot.sendJson({ type: 'say', id: 'dev1', room: '#dev', text: 'first in dev' });
  const ack = await bot.nextJson();
  assert.equal(ack.id, 'dev1');
  assert.equal(ack.seq, 1);
  await jsonFence(watcher);
});

test('a multi-line say reaches text readers as lines with the same prefix; over 20 lines is too_large', async (t) => {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  const watcher = await jsonUser(t, port, 'Watcher');
  const bot = await jsonUser(t, port, 'Bot');
  await alice.waitFor((l) => l === '* Bot joined #lobby');
  await watcher.waitForJson((o) => o.event === 'join' && o.user === 'Bot');

  bot.sendJson({ type: 'say', id: 'ml', text: 'one\ntwo\r\nthree' });
  assert.equal((await bot.nextJson()).id, 'ml');
  const lines = [await alice.next(), await alice.next(), await alice.next()];
  assert.match(lines[0]!, stamped('<Bot> one'));
  assert.match(lines[1]!, stamped('<Bot> two'));
  assert.match(lines[2]!, stamped('<Bot> three'));
  assert.equal(new Set(lines.map((l) => l.slice(0, l.indexOf('>') + 1))).size, 1);
  assert.equal((await watcher.nextJson()).text, 'one\ntwo\nthree');

  bot.sendJson({ type: 'say', id: 'act', text: 'waves\nand bows', action: true });
  assert.equal((await bot.nextJson()).id, 'act');
  assert.match(await alice.next(), stamped('* Bot waves'));
  assert.match(await alice.next(), stamped('* Bot and bows'));

  const twenty = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
  bot.sendJson({ type: 'say', id: 'max', text: twenty });
  assert.equal((await bot.nextJson()).type, 'ack');
  for (let i = 1; i <= 20; i++) assert.match(await alice.next(), stamped(`<Bot> line ${i}`));

  // Line breaks at the end are no lines: twenty lines and a "\n" are twenty.
  bot.sendJson({ type: 'say', id: 'trail', text: `${twenty}\n\n` });
  assert.equal((await bot.nextJson()).type, 'ack');
  for (let i = 1; i <= 20; i++) assert.match(await alice.next(), stamped(`<Bot> line ${i}`));
  await watcher.waitForJson((o) => o.type === 'message' && o.text === twenty);

  bot.sendJson({ type: 'say', id: 'big', text: `${twenty}\nline 21` });
  await expectJsonError(bot, 'too_large', 'big');
  bot.sendJson({ type: 'dm', id: 'bigdm', to: 'Alice', text: `${twenty}\nline 21` });
  await expectJsonError(bot, 'too_large', 'bigdm');
  await watcher.waitForJson((o) => o.type === 'message' && o.text === twenty);
  // So are blank lines (spaces only) at either end; an indent stays.
  bot.sendJson({ type: 'say', id: 'blank', text: '\n \n  indented\nx\n \n' });
  assert.equal((await bot.nextJson()).type, 'ack');
  assert.match(await alice.next(), stamped('<Bot>   indented'));
  assert.match(await alice.next(), stamped('<Bot> x'));
  await watcher.waitForJson((o) => o.type === 'message' && o.text === '  indented\nx');
  await jsonFence(watcher);
  await textFence(alice);
});

test('ping → pong, with the id when there is one', async (t) => {
  const { port } = await serve(t);
  const bot = await jsonUser(t, port, 'Bot');
  bot.sendJson({ type: 'ping', id: 'p' });
  assert.deepEqual(await bot.nextJson(), { type: 'pong', id: 'p' });
  bot.sendJson({ type: 'ping' });
  assert.deepEqual(await bot.nextJson(), { type: 'pong' });
});

test('welcome carries each stream seq and epoch, and every limit to pace by, queue included', async (t) => {
  const { port } = await serve(t, { rateBurst: 7, ratePerSecond: 3, rateQueue: 11 });
  const ann = await jsonUser(t, port, 'Ann', { history: 0 });
  for (let i = 1; i <= 3; i++) {
    ann.sendJson({ type: 'say', id: `s${i}`, text: `m${i}` });
    await ann.waitForJson((o) => o.id === `s${i}`);
  }

  const bot = await LineClient.connect(port);
  t.after(() => bot.close());
  bot.sendJson({ type: 'hello', version: 1, name: 'Bot', history: 0, resume: { '@': 0 } });
  const welcome = await bot.waitForJson((o) => o.type === 'welcome');
  const limits = welcome.limits as Record<string, number>;
  assert.equal(limits.rateBurst, 7);
  assert.equal(limits.ratePerSecond, 3);
  assert.equal(limits.rateQueue, 11);
  // The resume point a bot needs, without guessing: #lobby holds 3, Bot's @ nothing yet.
  assert.deepEqual(welcome.seqs, { '#lobby': 3, '@': 0 });
  assert.deepEqual(Object.keys(welcome.epochs as object).sort(), ['#lobby', '@']);
  bot.close();

  // Resuming from welcome.seqs misses nothing said since, and repeats nothing.
  ann.sendJson({ type: 'say', id: 's4', text: 'm4' });
  await ann.waitForJson((o) => o.id === 's4');
  const again = await LineClient.connect(port);
  t.after(() => again.close());
  again.sendJson({ type: 'hello', version: 1, name: 'Bot', resume: { '#lobby': 3 } });
  const replay = await again.waitForJson((o) => o.type === 'history');
  assert.deepEqual(
    (replay.messages as Array<{ text: string }>).map((m) => m.text),
    ['m4'],
  );
});

test('a resume of @ with another epoch gets a reset and the recent private messages, as rooms do (§4)', async (t) => {
  const { port } = await serve(t);
  const ann = await jsonUser(t, port, 'Ann', { history: 0 });
  const bot = await LineClient.connect(port);
  t.after(() => bot.close());
  bot.sendJson({ type: 'hello', version: 1, name: 'Bot', history: 0 });
  const welcome = await bot.waitForJson((o) => o.type === 'welcome');
  for (const text of ['one', 'two']) {
    ann.sendJson({ type: 'dm', id: text, to: 'Bot', text });
    await ann.waitForJson((o) => o.id === text);
    await bot.waitForJson((o) => o.type === 'private' && o.text === text);
  }
  bot.close();
  const again = await LineClient.connect(port);
  t.after(() => again.close());
  again.sendJson({
    type: 'hello',
    version: 1,
    name: 'Bot',
    session: welcome.session,
    resume: { '@': { seq: 1, epoch: 'not-this-one' } },
  });
  const reset = await again.waitForJson((o) => o.type === 'system');
  assert.deepEqual([reset.event, reset.room], ['reset', '@']);
  const history = await again.waitForJson((o) => o.type === 'history' && o.room === '@');
  assert.deepEqual(
    (history.messages as Array<{ text: string }>).map((m) => m.text),
    ['one', 'two'],
  );
});

test('mention: only the copy of the member a message names carries it, live and in history', async (t) => {
  const { port } = await serve(t);
  const ann = await jsonUser(t, port, 'Ann', { history: 0 });
  const bob = await jsonUser(t, port, 'Bob', { history: 0 });
  const cy = await jsonUser(t, port, 'Cy', { history: 0 });
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Cy');
  await bob.waitForJson((o) => o.event === 'join' && o.user === 'Cy');
  ann.sendJson({ type: 'say', id: 's1', text: 'bob: the build is red' });
  ann.sendJson({ type: 'say', id: 's2', text: 'Bobby is not Bob.' });
  ann.sendJson({ type: 'say', id: 's3', text: 'nobody named' });
  await ann.waitForJson((o) => o.id === 's3');
  const bobs: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 3; i++) bobs.push(await bob.waitForJson((o) => o.type === 'message'));
  assert.deepEqual(
    bobs.map((m) => m.mention),
    [true, true, undefined],
  );
  for (let i = 0; i < 3; i++) {
    const m = await cy.waitForJson((o) => o.type === 'message');
    assert.equal('mention' in m, false, `Cy is not named: ${JSON.stringify(m)}`);
  }
  bob.sendJson({ type: 'history', id: 'h', limit: 3 });
  const h = await bob.waitForJson((o) => o.id === 'h');
  assert.deepEqual(
    (h.messages as Array<{ mention?: boolean }>).map((m) => m.mention),
    [true, true, undefined],
  );
});

test('a say without a room, re-sent after a reconnect put the sender in another room, gets its original ack', async (t) => {
  const server = await serve(t);
  const watcher = await jsonUser(t, server.port, 'Wes');
  const first = await raw(t, server.port);
  first.sendJson({ type: 'hello', version: 1, name: 'Ann' });
  const welcome = await first.waitForJson((o) => o.type === 'welcome');
  first.sendJson({ type: 'join', id: 'j', room: '#dev' });
  await first.waitForJson((o) => o.id === 'j');
  first.sendJson({ type: 'say', id: 'x1', text: 'for dev' });
  const ack = await first.waitForJson((o) => o.id === 'x1');
  assert.deepEqual([ack.room, ack.seq], ['#dev', 1]);
  first.close();
  await watcher.waitForJson((o) => o.event === 'quit' && o.user === 'Ann');

  // Back, in #lobby now: the same request again is the same message.
  const again = await raw(t, server.port);
  again.sendJson({ type: 'hello', version: 1, name: 'Ann', session: welcome.session });
  const back = await again.waitForJson((o) => o.type === 'welcome');
  assert.deepEqual(back.rooms, ['#lobby']);
  again.sendJson({ type: 'say', id: 'x1', text: 'for dev' });
  const resent = await again.waitForJson((o) => o.id === 'x1');
  assert.deepEqual([resent.type, resent.room, resent.seq], ['ack', '#dev', 1]);
  // Nothing new reached #lobby, and a new id still goes to the current room.
  again.sendJson({ type: 'say', id: 'x2', text: 'for lobby' });
  assert.deepEqual((await again.waitForJson((o) => o.id === 'x2')).room, '#lobby');
  const next = await watcher.waitForJson((o) => o.type === 'message');
  assert.equal(next.text, 'for lobby');
});

test('a hello refused at admission (server full) still gets its id back on the error', async (t) => {
  const server = await serve(t, { maxConnections: 1 });
  await jsonUser(t, server.port, 'First');
  const second = await raw(t, server.port);
  second.sendJson({ type: 'hello', id: 'h7', version: 1, name: 'Second' });
  const err = await second.waitForJson((o) => o.type === 'error');
  assert.deepEqual([err.code, err.id], ['server_full', 'h7']);
  await second.waitClosed();
});
