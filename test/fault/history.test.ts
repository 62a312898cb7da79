/**
 * Issue 4 items 3 and 4 (docs/protocol.md §2, §3, §4): history replayed on join
 * (marked in text mode, none for a bot that asks for 0), `/history [n]`, JSON
 * `history` paging with `before` (exclusive), `limit` and `more`, and acks
 * that come only once the message is stored, with seqs one apart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serve, stamped, textFence, textUser } from '../helpers/fixtures.js';
import { TrackedClient, type Json } from '../helpers/tracked-client.js';

async function bot(
  t: Parameters<typeof serve>[0],
  port: number,
  name: string,
  history?: number,
): Promise<TrackedClient> {
  const c = new TrackedClient(name);
  await c.connect(port, history === undefined ? {} : { history });
  t.after(() => c.cut());
  return c;
}

/** Say `texts` in order and wait for every ack. */
async function sayAll(c: TrackedClient, room: string, texts: string[]): Promise<Json[]> {
  const ids = texts.map((text) => c.say(room, text));
  await c.until(() => ids.every((id) => c.acks.has(id)), `${ids.length} acks`);
  return ids.map((id) => c.acks.get(id)!);
}

const seqs = (h: Json): number[] => (h.messages as Json[]).map((m) => m.seq as number);

test('history on join: the last --history-on-join messages, framed in text mode; none for hello.history 0', async (t) => {
  const { port } = await serve(t, { historyOnJoin: 5 });
  const ann = await bot(t, port, 'Ann', 0);
  await sayAll(
    ann,
    '#lobby',
    Array.from({ length: 8 }, (_, i) => `m${i + 1}`),
  );

  const ben = await bot(t, port, 'Ben');
  await ben.fence();
  const histories = ben.objects.filter((x) => x.o.type === 'history').map((x) => x.o);
  assert.equal(histories.length, 1);
  const h = histories[0]!;
  assert.equal(h.room, '#lobby');
  assert.deepEqual(seqs(h), [4, 5, 6, 7, 8], 'the last 5, oldest first');
  assert.deepEqual(
    (h.messages as Json[]).map((m) => [m.type, m.from, m.text]),
    [4, 5, 6, 7, 8].map((i) => ['message', 'Ann', `m${i}`]),
  );
  assert.equal(h.more, true, 'older messages exist');
  assert.equal(h.gap, false);
  const welcome = ben.objects.find((x) => x.o.type === 'welcome')!.o;
  assert.equal(h.epoch, (welcome.epochs as Record<string, string>)['#lobby']);

  const cyd = await bot(t, port, 'Cyd', 0);
  await cyd.fence();
  const none = cyd.objects.filter((x) => x.o.type === 'history').map((x) => x.o);
  assert.deepEqual(
    none.map((x) => x.messages),
    [[]],
    'a bot that asks for no history gets an empty one',
  );

  const dee = await textUser(t, port, 'Dee');
  assert.equal(await dee.next(), '* — history of #lobby —');
  for (const i of [4, 5, 6, 7, 8]) assert.match(await dee.next(), stamped(`<Ann> m${i}`));
  assert.equal(
    await dee.next(),
    '* — end of history (5 shown; /history 8 adds the 3 before them) —',
  );
  await textFence(dee);
});

test('/history n in text mode, and JSON history paging with before (exclusive), limit and more', async (t) => {
  const { port } = await serve(t);
  const ann = await bot(t, port, 'Ann', 0);
  const acks = await sayAll(
    ann,
    '#lobby',
    Array.from({ length: 25 }, (_, i) => `m${i + 1}`),
  );
  assert.deepEqual(
    acks.map((a) => a.seq),
    Array.from({ length: 25 }, (_, i) => i + 1),
    'acks carry seqs one apart',
  );

  const page1 = await ann.query({ type: 'history', room: '#lobby', limit: 10 });
  assert.deepEqual(seqs(page1), [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
  assert.equal(page1.more, true);
  const page2 = await ann.query({ type: 'history', room: '#lobby', limit: 10, before: 16 });
  assert.deepEqual(seqs(page2), [6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 'before is exclusive');
  assert.equal(page2.more, true);
  const page3 = await ann.query({ type: 'history', room: '#lobby', limit: 10, before: 6 });
  assert.deepEqual(seqs(page3), [1, 2, 3, 4, 5]);
  assert.equal(page3.more, false, 'nothing older');
  const exact = await ann.query({ type: 'history', room: '#lobby', limit: 5, before: 6 });
  assert.deepEqual(seqs(exact), [1, 2, 3, 4, 5]);
  assert.equal(exact.more, false, 'a page that ends at seq 1 has no more');
  const before1 = await ann.query({ type: 'history', room: '#lobby', before: 1 });
  assert.deepEqual(seqs(before1), []);
  assert.equal(before1.more, false, 'nothing is older than seq 1: a pager stops');
  const before2 = await ann.query({ type: 'history', room: '#lobby', limit: 1, before: 2 });
  assert.deepEqual(seqs(before2), [1]);
  assert.equal(before2.more, false);
  const all = await ann.pageHistory('#lobby', 7);
  assert.deepEqual(
    all.map((m) => m.text),
    acks.map((_, i) => `m${i + 1}`),
  );
  const dflt = await ann.query({ type: 'history', room: '#lobby' });
  assert.equal((dflt.messages as Json[]).length, 20, 'limit defaults to 20');
  const other = await ann.query({ type: 'history', room: '#elsewhere' });
  assert.equal(other.type, 'error');
  assert.equal(other.code, 'not_member');

  const ben = await textUser(t, port, 'Ben');
  await ben.waitFor((l) => l.startsWith('* — end of history'));
  await textFence(ben);
  ben.send('/history 3');
  assert.equal(await ben.next(), '* — history of #lobby —');
  for (const i of [23, 24, 25]) assert.match(await ben.next(), stamped(`<Ann> m${i}`));
  assert.equal(
    await ben.next(),
    '* — end of history (3 shown; /history 23 adds the 20 before them) —',
  );
  await textFence(ben);
});

test('a say is acked once it is stored: the ack seq is in history at once, for everyone', async (t) => {
  const { port } = await serve(t);
  const ann = await bot(t, port, 'Ann', 0);
  const ben = await bot(t, port, 'Ben', 0);
  for (let i = 1; i <= 5; i++) {
    const [ack] = await sayAll(ann, '#lobby', [`stored ${i}`]);
    assert.equal(ack!.seq, i);
    assert.equal(typeof ack!.ts, 'string');
    // Asked by another connection right after the ack: it is there.
    const h = await ben.query({ type: 'history', room: '#lobby', limit: 1 });
    assert.deepEqual(
      (h.messages as Json[]).map((m) => [m.seq, m.text, m.ts]),
      [[i, `stored ${i}`, ack!.ts]],
    );
  }
  const dm = ann.dm('Ben', 'psst');
  await ann.until(() => ann.acks.has(dm), 'dm ack');
  assert.equal(ann.acks.get(dm)?.seq, 1, 'a dm is stored in the recipient’s own stream');
  await ben.until(() => ben.stream('@').length === 1, 'Ben got the dm');
  assert.equal(ben.stream('@')[0]?.seq, 1);
});
