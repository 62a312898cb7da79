/**
 * docs/protocol.md §4: request ids are remembered per alias, so a client that
 * re-sends an unacked request after reconnecting gets the original ack (same
 * seq) and nobody sees the message twice. The connection dies after the
 * server stored and broadcast the message, before the client read the ack.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, spawnServer } from '../helpers/server-process.js';
import { TrackedClient, until } from '../helpers/tracked-client.js';
import { tempDir } from '../helpers/env.js';

for (const session of [true, false]) {
  const how = session
    ? 'with its guest session token'
    : 'without a session token, as a bare client does';
  test(`a say re-sent after a reconnect ${how} gets the original ack; the others saw it once`, async (t) => {
    const db = join(tempDir(t), 'chat.db');
    const server = await spawnServer(t, { db });
    const ann = new TrackedClient('Ann');
    const ben = new TrackedClient('Ben');
    const cyd = new TrackedClient('Cyd');
    const all = [ann, ben, cyd];
    t.after(() => all.forEach((c) => c.cut()));
    for (const c of all) await c.connect(server.port, { history: 0 });
    ben.say('#lobby', 'before');
    await ann.until(() => ann.stream('#lobby').length === 1, 'Ann got "before"');

    ann.pause();
    const id = ann.say('#lobby', 'only once, please');
    const got = (c: TrackedClient) =>
      c.stream('#lobby').find((r) => r.text === 'only once, please');
    await until([ben, cyd], () => !!got(ben) && !!got(cyd), 'the message reached Ben and Cyd');
    const seq = got(ben)!.seq;
    assert.equal(seq, 2);
    ann.cut();
    assert.equal(ann.acks.has(id), false, 'Ann never read the ack');
    await until(
      [ben, cyd],
      () => ben.quitsSeen('Ann') === 1 && cyd.quitsSeen('Ann') === 1,
      'Ann gone',
    );

    // The same alias comes back and re-sends the same id (on its welcome).
    await ann.connect(server.port, { resume: true, history: 0, session });
    await ann.until(() => ann.acks.has(id), 'the ack of the re-send');
    const ack = ann.acks.get(id)!;
    assert.equal(ack.seq, seq, 'the original seq');
    assert.equal(ack.room, '#lobby');
    assert.equal(ann.ackCounts.get(id), 1);
    // A new message after it takes the next seq: the re-send stored nothing.
    const next = ann.say('#lobby', 'after');
    await ann.until(() => ann.acks.has(next), 'ack of the next message');
    assert.equal(ann.acks.get(next)?.seq, seq + 1);

    for (const c of [ben, cyd]) {
      await c.fence();
      assert.deepEqual(
        c.stream('#lobby').map((r) => [r.seq, r.from, r.text]),
        [
          [1, 'Ben', 'before'],
          [seq, 'Ann', 'only once, please'],
          [seq + 1, 'Ann', 'after'],
        ].filter((x) => x[1] !== c.name),
        `${c.name} saw each message once`,
      );
    }
    // Ann's resume started before her unacked message: it comes back once, in the replay.
    assert.deepEqual(
      ann.stream('#lobby').map((r) => [r.seq, r.text, r.replay]),
      [
        [1, 'before', false],
        [seq, 'only once, please', true],
      ],
    );
    const stored = await ben.pageHistory('#lobby');
    assert.deepEqual(
      stored.map((m) => m.text),
      ['before', 'only once, please', 'after'],
    );
  });
}

test('a re-send of the same id on the same connection, and the same id from another alias', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const server = await spawnServer(t, { db });
  const ann = new TrackedClient('Ann');
  const ben = new TrackedClient('Ben');
  t.after(() => [ann, ben].forEach((c) => c.cut()));
  await ann.connect(server.port, { history: 0 });
  await ben.connect(server.port, { history: 0 });
  // Twice at once (the second while the first is still being stored), then once more later.
  ann.send({ type: 'say', id: 'x1', text: 'hello' });
  ann.send({ type: 'say', id: 'x1', text: 'hello' });
  await ann.until(() => ann.ackCounts.get('x1') === 2, 'two acks for x1');
  ann.send({ type: 'say', id: 'x1', text: 'hello' });
  await ann.until(() => ann.ackCounts.get('x1') === 3, 'a third ack for x1');
  const acks = ann.objects.filter((x) => x.o.type === 'ack' && x.o.id === 'x1').map((x) => x.o);
  assert.deepEqual(
    acks.map((a) => [a.seq, a.ts]),
    [1, 1, 1].map(() => [1, acks[0]!.ts]),
    'every re-send gets the original ack',
  );
  // Ids are per alias: Ben's x1 is another message.
  ben.send({ type: 'say', id: 'x1', text: 'hello' });
  await ben.until(() => ben.acks.has('x1'), 'Ben’s ack');
  assert.equal(ben.acks.get('x1')?.seq, 2);
  await ann.fence();
  await ben.fence();
  assert.deepEqual(
    ben.stream('#lobby').map((r) => [r.seq, r.from]),
    [[1, 'Ann']],
  );
  assert.deepEqual(
    ann.stream('#lobby').map((r) => [r.seq, r.from]),
    [[2, 'Ben']],
  );
});

test('a new connection under the alias reusing an id with other text is a new message (a restarted bot counting from 1 again)', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const server = await spawnServer(t, { db });
  const bot = new TrackedClient('Bot');
  const ben = new TrackedClient('Ben');
  t.after(() => [bot, ben].forEach((c) => c.cut()));
  await bot.connect(server.port, { history: 0 });
  await ben.connect(server.port, { history: 0 });
  bot.send({ type: 'say', id: '1', text: 'first run' });
  await bot.until(() => bot.acks.has('1'), 'the first run’s ack');
  bot.cut();
  await ben.until(() => ben.quitsSeen('Bot') === 1, 'Bot gone');

  await bot.connect(server.port, { history: 0, session: false });
  bot.send({ type: 'say', id: '1', text: 'second run' });
  await bot.until(
    () => bot.ackCounts.get('1') === 2 || bot.errors.has('1'),
    'a reply to the second run',
  );
  assert.equal(bot.errors.get('1'), undefined, 'not id_reused: the id is another connection’s');
  assert.equal(bot.acks.get('1')?.seq, 2, 'a new message');
  // Its re-send on this connection is its own original, and other text is id_reused.
  bot.send({ type: 'say', id: '1', text: 'second run' });
  await bot.until(() => bot.ackCounts.get('1') === 3, 'the re-send’s ack');
  assert.equal(bot.acks.get('1')?.seq, 2, 'the second run’s original');
  bot.send({ type: 'say', id: '1', text: 'third text' });
  await bot.until(() => bot.errors.has('1'), 'the reuse refused');
  assert.deepEqual(
    [bot.errors.get('1')?.code, bot.errors.get('1')?.detail],
    ['bad_request', 'id_reused'],
  );
  await ben.fence();
  assert.deepEqual(
    ben.stream('#lobby').map((r) => [r.seq, r.text]),
    [
      [1, 'first run'],
      [2, 'second run'],
    ],
  );
});

test('a dm re-sent after a reconnect gets its original ack even if the recipient has left meanwhile', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const server = await spawnServer(t, { db });
  const ann = new TrackedClient('Ann');
  const ben = new TrackedClient('Ben', { trackPrivate: true });
  const cyd = new TrackedClient('Cyd');
  const all = [ann, ben, cyd];
  t.after(() => all.forEach((c) => c.cut()));
  for (const c of all) await c.connect(server.port, { history: 0 });

  ann.pause();
  const id = ann.dm('Ben', 'delivered, but the ack was lost');
  await ben.until(() => ben.stream('@').length === 1, 'Ben got the dm');
  const seq = ben.stream('@')[0]!.seq;
  ann.cut();
  ben.cut();
  await cyd.until(() => cyd.quitsSeen('Ann') === 1 && cyd.quitsSeen('Ben') === 1, 'both gone');

  await ann.connect(server.port, { resume: true, history: 0 });
  await ann.until(() => ann.acks.has(id) || ann.errors.has(id), 'a reply to the re-sent dm');
  assert.deepEqual(
    ann.errors.get(id),
    undefined,
    'the dm was stored: its re-send must not be refused because Ben is offline',
  );
  assert.equal(ann.acks.get(id)?.seq, seq, 'the original ack');
});

test('after a restart, and after retention dropped the message, a re-sent id gets its original ack; another text under it is a new message', async (t) => {
  // The key table keeps a digest of the text, not the text (sqlite-keys.ts):
  // with the message gone from the history, the re-send is told apart by it.
  const db = join(tempDir(t), 'chat.db');
  const port = await freePort();
  const args = ['--history-limit', '2'];
  let server = await spawnServer(t, { db, port, args });
  const ann = new TrackedClient('Ann');
  t.after(() => ann.cut());
  await ann.connect(server.port, { history: 0 });
  const id = ann.say('#lobby', 'kept only as a digest');
  await ann.until(() => ann.acks.has(id), 'the first ack');
  const first = ann.acks.get(id)!;
  for (const text of ['two', 'three', 'four']) ann.say('#lobby', text);
  await ann.until(
    () => ann.pending.size === 0,
    'three more acked: the first is out of the history',
  );

  ann.cut();
  await server.stop('SIGTERM');
  server = await spawnServer(t, { db, port, args });
  await ann.connect(server.port, { history: 0 });
  assert.deepEqual(
    (await ann.pageHistory('#lobby')).map((m) => m.text),
    ['three', 'four'],
    'retention dropped the original',
  );
  ann.send({ type: 'say', id, room: '#lobby', text: 'kept only as a digest' });
  await ann.until(() => ann.ackCounts.get(id) === 2, 'the ack of the re-send');
  const objects = ann.objects.filter((x) => x.o.type === 'ack' && x.o.id === id).map((x) => x.o);
  assert.deepEqual(objects[1], first, 'the original ack: same seq, ts and room');
  const next = ann.say('#lobby', 'five');
  await ann.until(() => ann.acks.has(next), 'the next ack');
  assert.equal(ann.acks.get(next)?.seq, 5, 'the re-send stored nothing');
  // Other text under the id: this connection did not use it, so it is a new
  // message (a client counting its ids from 1 again); on the connection that
  // used it, it is id_reused.
  ann.send({ type: 'say', id, room: '#lobby', text: 'another text' });
  await ann.until(() => ann.ackCounts.get(id) === 3, 'stored as a new message');
  assert.equal(ann.acks.get(id)?.seq, 6);
  ann.send({ type: 'say', id, room: '#lobby', text: 'yet another text' });
  await ann.until(() => ann.errors.has(id), 'the refusal');
  assert.deepEqual(
    [ann.errors.get(id)?.code, ann.errors.get(id)?.detail],
    ['bad_request', 'id_reused'],
  );
});
