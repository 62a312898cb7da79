/**
 * Issue 4 item 5, docs/protocol.md §4 "hello.resume": a replay capped at 500 with
 * `more: true`, a different epoch or a seq above the top → `system` `reset`
 * and the recent history, a bare seq meaning "same epoch", and `gap: true`
 * when retention (`--history-limit`) already trimmed messages after the
 * client's seq.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serve } from '../helpers/fixtures.js';
import { TrackedClient, type Json, type ResumePoint } from '../helpers/tracked-client.js';

type Ctx = Parameters<typeof serve>[0];

async function filled(
  t: Ctx,
  n: number,
  overrides: Parameters<typeof serve>[1] = {},
): Promise<{ port: number; ann: TrackedClient; epoch: string }> {
  const { port } = await serve(t, overrides);
  const ann = new TrackedClient('Ann');
  const welcome = await ann.connect(port, { history: 0 });
  t.after(() => ann.cut());
  const ids = Array.from({ length: n }, (_, i) => ann.say('#lobby', `m${i + 1}`));
  await ann.until(() => ids.every((id) => ann.acks.has(id)), `${n} acks`, 20_000);
  return { port, ann, epoch: (welcome.epochs as Record<string, string>)['#lobby']! };
}

let bots = 0;

/** Connect a new client with this resume map; return everything it got up to a fence. */
async function resumeBot(
  t: Ctx,
  port: number,
  resume: Record<string, ResumePoint>,
  history?: number,
): Promise<{ ben: TrackedClient; got: Json[] }> {
  const ben = new TrackedClient(`Bot${++bots}`);
  await ben.connect(port, { resume, ...(history !== undefined && { history }) });
  t.after(() => ben.cut());
  await ben.fence();
  return { ben, got: ben.objects.map((x) => x.o).filter((o) => o.type !== 'pong') };
}

const seqs = (h: Json | undefined): number[] =>
  ((h?.messages ?? []) as Json[]).map((m) => m.seq as number);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('a resume replays every message after the seq, at most 500 with more:true, before live traffic', async (t) => {
  const { port, ann, epoch } = await filled(t, 620);
  const ben = new TrackedClient('Ben');
  await ben.connect(port, { resume: { '#lobby': { seq: 0, epoch } } });
  t.after(() => ben.cut());
  const live = ann.say('#lobby', 'live');
  await ann.until(() => ann.acks.has(live), 'ack');
  await ben.until(() => ben.received.some((r) => r.text === 'live'), 'the live message');
  const got = ben.objects.map((x) => x.o);
  assert.deepEqual(
    got.map((o) => o.type),
    ['welcome', 'history', 'message'],
  );
  const replay = got[1]!;
  assert.deepEqual(seqs(replay), range(1, 500), 'capped at 500, oldest first');
  assert.equal(replay.more, true);
  assert.equal(replay.gap, false);
  assert.equal(replay.epoch, epoch);
  assert.equal(got[2]?.seq, 621);
  // The rest is there for paging.
  const rest = await ben.query({ type: 'history', room: '#lobby', before: 621, limit: 120 });
  assert.deepEqual(seqs(rest), range(501, 620));

  const { got: small } = await resumeBot(t, port, { '#lobby': 600 });
  const h = small.find((o) => o.type === 'history');
  assert.deepEqual(seqs(h), range(601, 621), 'a bare seq resumes in the same epoch');
  assert.equal(h?.more, false, 'not capped: no more');
});

test('a different epoch gets a system reset and the recent history instead of a replay', async (t) => {
  const { port, epoch } = await filled(t, 30, { historyOnJoin: 4 });
  const { got } = await resumeBot(t, port, { '#lobby': { seq: 10, epoch: `${epoch}-not` } });
  const [welcome, reset, history] = ['welcome', 'system', 'history'].map((type) =>
    got.find((o) => o.type === type),
  );
  assert.equal((welcome?.epochs as Record<string, string>)['#lobby'], epoch, 'the real epoch');
  assert.equal(reset?.event, 'reset');
  assert.equal(reset?.room, '#lobby');
  assert.deepEqual(seqs(history), [27, 28, 29, 30], 'the recent history (--history-on-join)');
  assert.equal(history?.epoch, epoch);
  assert.equal(history?.gap, false);
  assertWelcomeResetHistory(got);
});

/**
 * The welcome answers the hello (§2: nothing comes before it; chat-client
 * ignores whatever does), then the reset, then the history it announces.
 */
function assertWelcomeResetHistory(got: Json[]): void {
  assert.deepEqual(
    got.map((o) => [o.type, o.event ?? null]),
    [
      ['welcome', null],
      ['system', 'reset'],
      ['history', null],
    ],
    'order: welcome, reset, history',
  );
}

test('a seq above the stream top gets a reset too; the same epoch and top replays nothing', async (t) => {
  const { port, epoch } = await filled(t, 12, { historyOnJoin: 3 });
  const { got } = await resumeBot(t, port, { '#lobby': { seq: 13, epoch } }, 2);
  const reset = got.find((o) => o.type === 'system');
  assert.equal(reset?.event, 'reset');
  assert.equal(reset?.room, '#lobby');
  const history = got.find((o) => o.type === 'history');
  assert.deepEqual(seqs(history), [11, 12], 'hello.history says how many after a reset');

  const again = await resumeBot(t, port, { '#lobby': { seq: 12, epoch } });
  const h = again.got.find((o) => o.type === 'history');
  assert.deepEqual(seqs(h), [], 'up to date: nothing to replay');
  assert.equal(h?.more, false);
  assert.equal(h?.gap, false);
  assert.equal(
    again.got.some((o) => o.event === 'reset'),
    false,
  );
  assertWelcomeResetHistory(got);
});

test('gap:true when --history-limit trimmed messages after the resume seq; gap:false within retention', async (t) => {
  const { port, epoch } = await filled(t, 20, { historyLimit: 5 });
  const { got } = await resumeBot(t, port, { '#lobby': { seq: 2, epoch } });
  const h = got.find((o) => o.type === 'history');
  assert.equal(h?.gap, true, 'seqs 3..15 were trimmed: the client learns it missed them');
  assert.deepEqual(seqs(h), [16, 17, 18, 19, 20], 'what is still retained');
  assert.equal(
    got.some((o) => o.event === 'reset'),
    false,
    'a gap is not a reset',
  );

  const within = await resumeBot(t, port, { '#lobby': { seq: 15, epoch } });
  const w = within.got.find((o) => o.type === 'history');
  assert.equal(w?.gap, false, 'seq 16 on are all retained');
  assert.deepEqual(seqs(w), [16, 17, 18, 19, 20]);
});

test('a resume of several rooms holds back every room’s live messages until its replay: nothing before welcome, nothing twice', async (t) => {
  const server = await serve(t);
  const ann = new TrackedClient('Ann');
  await ann.connect(server.port, { history: 0, resume: { '#a': 0, '#b': 0 } });
  t.after(() => ann.cut());
  ann.say('#a', 'a1');
  ann.say('#b', 'b1');
  await ann.until(() => ann.pending.size === 0, 'acks');

  // Ann's next say is handled in the same event-loop turn as Ben's hello, just
  // before it (two sockets readable at once): stored, its batch not yet
  // committed when Ben's replay starts reading.
  const chat = server.app.chat;
  const connect = chat.welcomes.connect.bind(chat.welcomes);
  chat.welcomes.connect = (peer, hello) => {
    if (hello.name === 'Ben') {
      const user = chat.users.get('ann')!;
      chat.handle(user, { type: 'say', id: 'race', room: '#b', text: 'b2' });
    }
    return connect(peer, hello);
  };
  const ben = new TrackedClient('Ben');
  await ben.connect(server.port, { history: 0, resume: { '#a': 0, '#b': 0 } });
  t.after(() => ben.cut());
  await ann.until(() => ann.acks.has('race'), 'ack of the racing say');
  ann.say('#b', 'b3');
  await ben.until(() => ben.stream('#b').some((r) => r.text === 'b3'), 'b3 live');
  await ben.fence();

  const got = ben.objects.map((x) => x.o).filter((o) => o.type !== 'pong');
  assert.equal(got[0]?.type, 'welcome', `the welcome comes first: ${JSON.stringify(got[0])}`);
  assert.deepEqual(
    ben.stream('#b').map((r) => [r.seq, r.text]),
    [
      [1, 'b1'],
      [2, 'b2'],
      [3, 'b3'],
    ],
    '#b: each message once, in order',
  );
  assert.deepEqual(ben.duplicates, []);
});
