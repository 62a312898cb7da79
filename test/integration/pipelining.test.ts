/**
 * A connection's says are pipelined into one group commit (Chat.handle), but
 * docs/protocol.md §4 "Order" still holds: answers come in the order the
 * requests were sent, refusals and queries included, and everyone sees a
 * sender's messages in the order sent, each once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonUser, serve, textUser } from '../helpers/fixtures.js';

test('a burst of JSON requests is answered in order while says are pipelined', async (t) => {
  const { port } = await serve(t);
  const ann = await jsonUser(t, port, 'Ann');
  const ben = await jsonUser(t, port, 'Ben');
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Ben');

  // One write: the server reads all of it in one turn, so the later says are
  // appended while the first is still waiting for its commit.
  const burst = [
    { type: 'say', id: 's1', text: 'one' },
    { type: 'say', id: 's2', room: '#nowhere', text: 'refused' },
    { type: 'say', id: 's3', text: 'three' },
    { type: 'say', id: 's1', text: 'one' },
    { type: 'who', id: 'w1', room: '#lobby' },
    { type: 'say', id: 's4', text: 'four' },
    { type: 'say', id: 's5', text: '   ' },
    { type: 'say', id: 's6', text: 'six' },
  ];
  ann.sendRaw(burst.map((r) => JSON.stringify(r)).join('\n') + '\n');

  const answers: Record<string, unknown>[] = [];
  for (let i = 0; i < burst.length; i++) answers.push(await ann.nextJson());
  assert.deepEqual(
    answers.map((a) => [a.id, a.type, a.code ?? a.op ?? '']),
    [
      ['s1', 'ack', 'say'],
      ['s2', 'error', 'not_member'],
      ['s3', 'ack', 'say'],
      ['s1', 'ack', 'say'],
      ['w1', 'who', ''],
      ['s4', 'ack', 'say'],
      ['s5', 'error', 'bad_request'],
      ['s6', 'ack', 'say'],
    ],
  );
  const seq = (i: number): number => answers[i]?.seq as number;
  assert.equal(seq(3), seq(0), 'the re-sent s1 is acked with its original seq');
  assert.equal(seq(2), seq(0) + 1);
  assert.equal(seq(5), seq(0) + 2);
  assert.equal(seq(7), seq(0) + 3);

  const seen: [unknown, unknown][] = [];
  while (seen.length < 4) {
    const o = await ben.nextJson();
    if (o.type === 'message') seen.push([o.text, o.seq]);
  }
  assert.deepEqual(seen, [
    ['one', seq(0)],
    ['three', seq(0) + 1],
    ['four', seq(0) + 2],
    ['six', seq(0) + 3],
  ]);
});

test('a text burst reaches the room complete and in order', async (t) => {
  const { port } = await serve(t);
  const ben = await textUser(t, port, 'Ben');
  const ann = await textUser(t, port, 'Ann');
  const n = 300;
  ann.sendRaw(Array.from({ length: n }, (_, i) => `m${i}`).join('\n') + '\n');
  const got: string[] = [];
  while (got.length < n) {
    const line = await ben.next();
    const m = / <Ann> (m\d+)$/.exec(line);
    if (m?.[1]) got.push(m[1]);
  }
  assert.deepEqual(
    got,
    Array.from({ length: n }, (_, i) => `m${i}`),
  );
});

test("pipelined says of two JSON senders: each ack sits at its message's place among the other one's messages", async (t) => {
  // docs/protocol.md: an ack of a `say` comes in the room's order, after
  // every message with a lower seq and before every one with a higher seq.
  // Both bursts land in one group commit, so the store hands out both
  // senders' seqs interleaved or one after the other; either way each sender
  // must see seqs rising. Holding the room for the first say only let the
  // other sender's burst out before the acks of the rest.
  const { port } = await serve(t);
  const ann = await jsonUser(t, port, 'Ann');
  const ben = await jsonUser(t, port, 'Ben');
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Ben');
  const burst = (who: string): string =>
    Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ type: 'say', id: `${who}${i}`, text: `${who} ${i}` }),
    ).join('\n') + '\n';
  ann.sendRaw(burst('a'));
  ben.sendRaw(burst('b'));
  for (const c of [ann, ben]) {
    const seqs: number[] = [];
    while (seqs.length < 60) {
      const o = await c.nextJson();
      if (o.type === 'ack' || o.type === 'message') seqs.push(o.seq as number);
    }
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
      `seqs as ${seqs.length} seen: ${seqs.join(' ')}`,
    );
  }
});

test("acks sit in the room's order among another sender's messages, across refusals and re-sent ids in the pipeline", async (t) => {
  const { port } = await serve(t);
  const ann = await jsonUser(t, port, 'Ann');
  const ben = await jsonUser(t, port, 'Ben');
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Ben');

  const lines = (reqs: object[]): string => reqs.map((r) => JSON.stringify(r) + '\n').join('');
  const rounds = 20;
  const sent: string[] = [];
  const answers: string[] = [];
  const stream: Array<{ kind: string; seq: number }> = [];
  let fromBen = 0;
  /** Read Ann's lines until she has `n` answers and `m` of Ben's messages. */
  const readUntil = async (n: number, m: number): Promise<void> => {
    while (answers.length < n || fromBen < m) {
      const o = await ann.nextJson();
      if (o.type === 'message') {
        fromBen++;
        stream.push({ kind: `message ${String(o.text)}`, seq: o.seq as number });
      } else if (typeof o.id === 'string' && (o.type === 'ack' || o.type === 'error')) {
        const again = answers.includes(o.id);
        answers.push(o.id);
        // A re-sent id is answered with its original seq: in its turn, not in the stream.
        if (o.type === 'ack' && !again) stream.push({ kind: `ack ${o.id}`, seq: o.seq as number });
      }
    }
  };
  for (let r = 0; r < rounds; r++) {
    // A refusal and a re-sent id (of a say still waiting for its commit)
    // between says: their answers come in their turn, and the acks after
    // them still sit where their messages are.
    const annBurst = [
      { type: 'say', id: `a${r}-1`, text: `ann ${r} 1` },
      { type: 'say', id: `a${r}-2`, room: '#nowhere', text: 'refused' },
      { type: 'say', id: `a${r}-3`, text: `ann ${r} 3` },
      { type: 'say', id: `a${r}-1`, text: `ann ${r} 1` },
      { type: 'say', id: `a${r}-4`, text: `ann ${r} 4` },
    ];
    sent.push(...annBurst.map((q) => q.id));
    // Both bursts are read in one turn of the server's loop, mostly, so
    // Ben's lines fall into the same commit as Ann's, after hers or between.
    const benBurst = lines(
      Array.from({ length: 5 }, (_, i) => ({ type: 'say', text: `ben ${r} ${i}` })),
    );
    if (r % 2 === 0) {
      ann.sendRaw(lines(annBurst));
      ben.sendRaw(benBurst);
    } else {
      ben.sendRaw(benBurst);
      ann.sendRaw(lines(annBurst));
    }
    await readUntil(sent.length, (r + 1) * 5);
  }
  assert.deepEqual(answers, sent, 'every request answered once, in the order sent');
  const seqs = stream.map((e) => e.seq);
  for (let i = 1; i < seqs.length; i++) {
    assert.ok(seqs[i]! > seqs[i - 1]!, `out of the room's order: ${JSON.stringify(stream)}`);
  }
  assert.equal(stream.filter((e) => e.kind.startsWith('ack')).length, rounds * 3);
});

test("one sender's says to two rooms reach every reader in the order sent, not room by room", async (t) => {
  // A commit reaches readers room by room: says to #lobby, #dev, #lobby
  // pipelined into one commit arrived as #lobby, #lobby, #dev.
  const { port } = await serve(t);
  const ann = await jsonUser(t, port, 'Ann');
  const ben = await jsonUser(t, port, 'Ben');
  const cy = await textUser(t, port, 'Cy');
  ann.sendJson({ type: 'join', id: 'j', room: '#dev', history: 0 });
  await ann.waitForJson((o) => o.id === 'j');
  ben.sendJson({ type: 'join', id: 'j', room: '#dev', history: 0 });
  await ben.waitForJson((o) => o.id === 'j');
  cy.send('/join #dev');
  await ann.waitForJson((o) => o.event === 'join' && o.user === 'Cy' && o.room === '#dev');
  await ben.waitForJson((o) => o.event === 'join' && o.user === 'Cy' && o.room === '#dev');

  const rooms = ['#lobby', '#dev', '#lobby', '#lobby', '#dev', '#dev', '#lobby', '#dev'];
  const sent = Array.from({ length: 40 }, (_, i) => ({
    type: 'say',
    id: `s${i}`,
    room: rooms[i % rooms.length]!,
    text: `m${i}`,
  }));
  // One write, with a refused say (a room Ann is not in) in the middle.
  const lines = sent.map((r) => JSON.stringify(r));
  lines.splice(20, 0, JSON.stringify({ type: 'say', id: 'x', room: '#nowhere', text: 'no' }));
  ann.sendRaw(lines.join('\n') + '\n');

  const answers: string[] = [];
  while (answers.length < sent.length + 1) {
    const o = await ann.nextJson();
    if (o.type === 'ack' || o.type === 'error') answers.push(String(o.id));
  }
  const ids = sent.map((r) => r.id);
  ids.splice(20, 0, 'x');
  assert.deepEqual(answers, ids, 'answers in the order sent');

  const want = sent.map((r) => `${r.room} m${r.id.slice(1)}`);
  const benSaw: string[] = [];
  while (benSaw.length < sent.length) {
    const o = await ben.nextJson();
    if (o.type === 'message' && o.from === 'Ann')
      benSaw.push(`${String(o.room)} ${String(o.text)}`);
  }
  assert.deepEqual(benSaw, want);
  const cySaw: string[] = [];
  while (cySaw.length < sent.length) {
    // Cy's current room is #dev: #lobby's lines name their room.
    const m = /\] (#lobby )?<Ann> (m\d+)$/.exec(await cy.next());
    if (m) cySaw.push(`${m[1] ? '#lobby' : '#dev'} ${m[2]!}`);
  }
  assert.deepEqual(cySaw, want);
});
