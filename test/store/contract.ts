import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { NewMessage, Publish, Store, StoredMessage } from '../../src/store/store.js';

/** What a backend's factory must honour; every test passes its own. */
export interface ContractOptions {
  retention: number;
  idempotencyTtlMs: number;
  now: () => number;
}

/** A fresh, empty store; durable backends add `reopen`, which opens the same data again once `store` is closed. */
export interface MadeStore {
  store: Store;
  reopen?: (publish: Publish) => Promise<Store>;
  /**
   * Each stream gets its own epoch when it is created (Redis: a stream's keys
   * live on one shard, so no script can read a database-wide epoch), instead
   * of the database's. Either way a lost history shows as a new epoch.
   */
  epochPerStream?: boolean;
}

export type MakeStore = (publish: Publish, options: ContractOptions) => Promise<MadeStore>;

/** Records every publish call, in order. */
class Published {
  readonly messages: StoredMessage[] = [];
  readonly publish: Publish = (m) => {
    this.messages.push(m);
  };

  /** The seqs published for one stream, in publish order. */
  seqs(stream: string): number[] {
    return this.messages.filter((m) => m.stream === stream).map((m) => m.seq);
  }
}

/** A clock the test moves by hand. */
class Clock {
  t = 1_700_000_000_000;
  readonly now = (): number => this.t;
}

/** 1..n */
function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** A room message with recognisable text. */
function say(text: string, ts = 1_700_000_000_000): NewMessage {
  return { from: 'Alice', text, action: false, ts };
}

/**
 * The Store contract (CLUSTER.md "Both implementations run one contract test
 * suite"): every backend runs these same tests through its own factory.
 */
export function storeContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract: ${name}`, () => {
    /** A new store with its publish log, closed when the test ends. */
    async function setup(
      t: TestContext,
      overrides: Partial<ContractOptions> = {},
    ): Promise<{ store: Store; published: Published; clock: Clock } & MadeStore> {
      const published = new Published();
      const clock = new Clock();
      const made = await makeStore(published.publish, {
        retention: 10_000,
        idempotencyTtlMs: 60_000,
        now: clock.now,
        ...overrides,
      });
      t.after(() => made.store.close());
      return { ...made, published, clock };
    }

    test('an empty stream reads as top 0, firstRetained 1, no messages', async (t) => {
      const { store } = await setup(t);
      const r = await store.read('#empty', 0, 10);
      assert.equal(r.top, 0);
      assert.equal(r.firstRetained, 1);
      assert.deepEqual(r.messages, []);
      assert.equal(typeof r.epoch, 'string');
      assert.ok(r.epoch.length > 0);
    });

    test('seqs start at 1 with no gaps under 1000 concurrent appends over 4 streams', async (t) => {
      const { store, published } = await setup(t);
      const streams = ['#a', '#b', '#c', '@bob'];
      const results = await Promise.all(
        range(1000).map((i) => store.append(streams[i % 4] ?? '#a', say(`m${i}`))),
      );
      for (const stream of streams) {
        const seqs = results.filter((r) => r.message.stream === stream).map((r) => r.message.seq);
        assert.deepEqual(
          [...seqs].sort((x, y) => x - y),
          range(250),
          stream,
        );
        const read = await store.read(stream, 0, 1000);
        assert.equal(read.top, 250);
        assert.equal(read.firstRetained, 1);
        assert.deepEqual(
          read.messages.map((m) => m.seq),
          range(250),
        );
        assert.deepEqual(published.seqs(stream), range(250), `${stream} published once, in order`);
      }
      assert.ok(results.every((r) => !r.duplicate));
      assert.equal(published.messages.length, 1000);
    });

    test('appends in consecutive turns continue the seq', async (t) => {
      const { store } = await setup(t);
      for (const i of range(5)) {
        const r = await store.append('#a', say(`m${i}`));
        assert.equal(r.message.seq, i);
      }
    });

    test('streams are independent', async (t) => {
      const { store } = await setup(t);
      await store.append('#a', say('a1'));
      await store.append('#a', say('a2'));
      const b = await store.append('#b', say('b1'));
      assert.equal(b.message.seq, 1);
      const a = await store.read('#a', 0, 10);
      assert.deepEqual(
        a.messages.map((m) => m.text),
        ['a1', 'a2'],
      );
      assert.equal(a.top, 2);
      assert.equal((await store.read('#b', 0, 10)).top, 1);
    });

    test('a stored message reads back exactly as appended', async (t) => {
      const { store } = await setup(t);
      const dm: NewMessage = {
        from: 'Alice',
        to: 'Bob',
        text: 'psst ✓ «ü» 👋',
        action: true,
        ts: 123,
      };
      const room = say('hello', 456);
      const r1 = await store.append('@bob', dm);
      const r2 = await store.append('#lobby', room);
      assert.deepEqual(r1.message, { ...dm, stream: '@bob', seq: 1 });
      assert.deepEqual(r2.message, { ...room, stream: '#lobby', seq: 1 });
      assert.deepEqual((await store.read('@bob', 0, 1)).messages, [r1.message]);
      assert.deepEqual((await store.read('#lobby', 0, 1)).messages, [r2.message]);
    });

    test('reads see appends that have not resolved yet', async (t) => {
      const { store } = await setup(t);
      const pending = [store.append('#a', say('one')), store.append('#a', say('two'))];
      const r = await store.read('#a', 0, 10);
      assert.deepEqual(
        r.messages.map((m) => m.text),
        ['one', 'two'],
      );
      assert.equal(r.top, 2);
      await Promise.all(pending);
    });

    test('publish has happened once a new append resolves', async (t) => {
      const { store, published } = await setup(t);
      const r = await store.append('#a', say('x'));
      assert.deepEqual(published.messages, [r.message]);
    });

    test('a repeated idempotency key returns the original and publishes nothing', async (t) => {
      const { store, published } = await setup(t);
      const first = await store.append('#a', say('hi'), 'alice:c7');
      const again = await store.append('#a', say('hi (re-sent)'), 'alice:c7');
      assert.equal(first.duplicate, false);
      assert.equal(again.duplicate, true);
      assert.deepEqual(again.message, first.message);
      assert.equal(again.epoch, first.epoch);
      const next = await store.append('#a', say('next'), 'alice:c8');
      assert.equal(next.message.seq, 2);
      assert.deepEqual(published.seqs('#a'), [1, 2]);
      assert.equal((await store.read('#a', 0, 10)).top, 2);
    });

    test('a repeated idempotency key within one batch stores and publishes once', async (t) => {
      const { store, published } = await setup(t);
      const [a, b, c] = await Promise.all([
        store.append('#a', say('hi'), 'k'),
        store.append('#a', say('hi'), 'k'),
        store.append('#a', say('other'), 'k2'),
      ]);
      assert.ok(a && b && c);
      assert.equal(a.duplicate, false);
      assert.equal(b.duplicate, true);
      assert.deepEqual(b.message, a.message);
      assert.equal(c.message.seq, 2);
      assert.deepEqual(published.seqs('#a'), [1, 2]);
      assert.deepEqual(
        (await store.read('#a', 0, 10)).messages.map((m) => m.text),
        ['hi', 'other'],
      );
    });

    test('an idempotency key is forgotten after its TTL', async (t) => {
      const { store, clock } = await setup(t, { idempotencyTtlMs: 1000 });
      await store.append('#a', say('hi'), 'k');
      clock.t += 999;
      assert.equal((await store.append('#a', say('hi'), 'k')).duplicate, true);
      clock.t += 1;
      const late = await store.append('#a', say('hi'), 'k');
      assert.equal(late.duplicate, false);
      assert.equal(late.message.seq, 2);
      clock.t += 500;
      assert.equal((await store.append('#a', say('hi'), 'k')).message.seq, 2);
    });

    test('the original is returned for a repeated key even after retention trimmed it', async (t) => {
      const { store } = await setup(t, { retention: 2 });
      const first = await store.append('#a', say('first'), 'k');
      await Promise.all(range(5).map((i) => store.append('#a', say(`m${i}`))));
      const again = await store.append('#a', say('first'), 'k');
      assert.equal(again.duplicate, true);
      assert.deepEqual(again.message, first.message);
    });

    test('another text under a key whose message retention trimmed is not taken for the original', async (t) => {
      // What the core compares to refuse it as id_reused (§4); SQLite keeps only a digest then.
      const { store } = await setup(t, { retention: 2 });
      await store.append('#a', say('first'), 'k');
      await Promise.all(range(5).map((i) => store.append('#a', say(`m${i}`))));
      const other = await store.append('#a', say('second'), 'k');
      assert.equal(other.duplicate, true);
      assert.equal(other.message.seq, 1);
      assert.notEqual(other.message.text, 'second');
      assert.equal((await store.read('#a', 0, 10)).top, 6, 'nothing stored');
    });

    test('retention trims the oldest messages and shows in firstRetained', async (t) => {
      const { store } = await setup(t, { retention: 5 });
      await Promise.all(range(6).map((i) => store.append('#a', say(`m${i}`))));
      for (const i of range(2)) await store.append('#a', say(`later${i}`));
      const r = await store.read('#a', 0, 100);
      assert.equal(r.top, 8);
      assert.equal(r.firstRetained, 4);
      assert.deepEqual(
        r.messages.map((m) => m.seq),
        [4, 5, 6, 7, 8],
      );
      // A reader that last saw seq 1 can tell it missed 2 and 3 (a gap).
      const after1 = await store.read('#a', 1, 100);
      assert.equal(after1.firstRetained, 4);
      assert.equal(after1.messages[0]?.seq, 4);
      assert.deepEqual(
        (await store.readBefore('#a', undefined, 100)).messages.map((m) => m.seq),
        [4, 5, 6, 7, 8],
      );
      assert.equal((await store.read('#b', 0, 1)).firstRetained, 1, 'other streams untouched');
    });

    test('retention 0 keeps nothing: firstRetained is top + 1', async (t) => {
      const { store } = await setup(t, { retention: 0 });
      await store.append('#a', say('gone'));
      const r = await store.read('#a', 0, 10);
      assert.equal(r.top, 1);
      assert.equal(r.firstRetained, 2);
      assert.deepEqual(r.messages, []);
    });

    test('read(after, limit) pages forward, oldest first', async (t) => {
      const { store } = await setup(t);
      await Promise.all(range(10).map((i) => store.append('#a', say(`m${i}`))));
      const seqs = async (after: number, limit: number): Promise<number[]> =>
        (await store.read('#a', after, limit)).messages.map((m) => m.seq);
      assert.deepEqual(await seqs(0, 3), [1, 2, 3]);
      assert.deepEqual(await seqs(3, 3), [4, 5, 6]);
      assert.deepEqual(await seqs(9, 3), [10]);
      assert.deepEqual(await seqs(10, 3), []);
      assert.deepEqual(await seqs(0, 0), []);
      assert.deepEqual(await seqs(5, Infinity), [6, 7, 8, 9, 10]);
      const r = await store.read('#a', 10, 3);
      assert.equal(r.top, 10);
      assert.equal(r.firstRetained, 1);
    });

    test('readBefore(before, limit) pages backward, oldest first, before exclusive', async (t) => {
      const { store } = await setup(t);
      await Promise.all(range(10).map((i) => store.append('#a', say(`m${i}`))));
      const seqs = async (before: number | undefined, limit: number): Promise<number[]> =>
        (await store.readBefore('#a', before, limit)).messages.map((m) => m.seq);
      assert.deepEqual(await seqs(undefined, 3), [8, 9, 10]);
      assert.deepEqual(await seqs(8, 3), [5, 6, 7]);
      assert.deepEqual(await seqs(3, 3), [1, 2]);
      assert.deepEqual(await seqs(1, 3), []);
      assert.deepEqual(await seqs(undefined, 0), []);
      assert.deepEqual(await seqs(4, Infinity), [1, 2, 3]);
      const r = await store.readBefore('#a', 5, 2);
      assert.equal(r.top, 10);
      assert.equal(r.firstRetained, 1);
    });

    test('the epoch is stable within a store, before and after the first append', async (t) => {
      const { store } = await setup(t);
      const before = (await store.read('#a', 0, 1)).epoch;
      const appended = await store.append('#a', say('x'));
      assert.equal(appended.epoch, before);
      assert.equal((await store.read('#a', 0, 1)).epoch, before);
      assert.equal((await store.readBefore('#a', undefined, 1)).epoch, before);
      const dup = await store.append('#a', say('x'), 'k');
      assert.equal((await store.append('#a', say('x'), 'k')).epoch, dup.epoch);
    });

    test('publish sees each stream in seq order even when it appends from inside publish', async (t) => {
      const seen: StoredMessage[] = [];
      // The store does not exist yet when its publish callback is created.
      const bot: { store?: Store } = {};
      const made = await makeStore(
        (m) => {
          seen.push(m);
          // A bot answering in the same stream, synchronously from the doorbell.
          if (m.text.startsWith('ping')) void bot.store?.append(m.stream, say(`pong ${m.seq}`));
        },
        { retention: 10_000, idempotencyTtlMs: 60_000, now: Date.now },
      );
      bot.store = made.store;
      t.after(() => made.store.close());
      await Promise.all(range(3).map((i) => made.store.append('#a', say(`ping ${i}`))));
      const r = await made.store.read('#a', 0, 10);
      assert.equal(r.top, 6);
      assert.deepEqual(
        seen.map((m) => m.seq),
        range(6),
      );
    });

    test('close is idempotent', async (t) => {
      const { store } = await setup(t);
      await store.append('#a', say('x'));
      await store.close();
      await store.close();
    });

    test('after reopen: messages, seq, epoch and idempotency keys are still there', async (t) => {
      const published = new Published();
      const made = await makeStore(published.publish, {
        retention: 10_000,
        idempotencyTtlMs: 60_000,
        now: Date.now,
      });
      if (!made.reopen) {
        await made.store.close();
        t.skip('not a durable backend');
        return;
      }
      const a = await Promise.all(
        range(3).map((i) => made.store.append('#a', say(`m${i}`), `k${i}`)),
      );
      const pending = made.store.append('#a', say('flushed by close'));
      await made.store.close();
      assert.equal((await pending).message.seq, 4);

      const again = await made.reopen(published.publish);
      t.after(() => again.close());
      const r = await again.read('#a', 0, 10);
      assert.equal(r.top, 4);
      assert.equal(r.epoch, a[0]?.epoch);
      assert.deepEqual(
        r.messages.map((m) => m.text),
        ['m1', 'm2', 'm3', 'flushed by close'],
      );
      const resent = await again.append('#a', say('m2'), 'k2');
      assert.equal(resent.duplicate, true);
      assert.equal(resent.message.seq, 2);
      assert.equal((await again.append('#a', say('next'))).message.seq, 5);
      const fresh = (await again.read('#new', 0, 1)).epoch;
      if (!made.epochPerStream) assert.equal(fresh, r.epoch);
      assert.equal((await again.read('#new', 0, 1)).epoch, fresh, 'stable once created');
    });

    test('bans: account, guest alias (not for accounts), address and CIDR, expiry, list, lift by what the list shows', async (t) => {
      const { store, clock } = await setup(t);
      const at = clock.t;
      const base = { by: 'Op', at };
      await store.addBan({
        kind: 'account',
        value: 'carol',
        nameKey: 'carol',
        name: 'Carol',
        ...base,
      });
      await store.addBan({
        kind: 'alias',
        value: 'mallory',
        nameKey: 'mallory',
        name: 'Mallory',
        reason: 'spam',
        expires: at + 60_000,
        ...base,
      });
      await store.addBan({
        kind: 'address',
        value: '10.1.0.0/16',
        nameKey: '10.1.0.0/16',
        name: '10.1.0.0/16',
        ...base,
      });
      const q = (o: { accountKey?: string; aliasKey?: string; address?: string; now?: number }) =>
        store.findBan({ aliasKey: 'x', address: '192.0.2.1', now: at, ...o });
      assert.equal((await q({ accountKey: 'carol' }))?.name, 'Carol');
      assert.equal((await q({ aliasKey: 'mallory' }))?.reason, 'spam');
      assert.equal(
        await q({ aliasKey: 'mallory', accountKey: 'mallory' }),
        undefined,
        'an alias ban is for guests',
      );
      assert.equal(await q({ aliasKey: 'mallory', now: at + 60_000 }), undefined, 'expired');
      assert.equal((await q({ address: '::ffff:10.1.200.3' }))?.kind, 'address');
      assert.equal(await q({ address: '10.2.0.1' }), undefined);
      assert.deepEqual((await store.listBans(at)).map((b) => b.name).sort(), [
        '10.1.0.0/16',
        'Carol',
        'Mallory',
      ]);
      assert.deepEqual((await store.listBans(at + 60_000)).map((b) => b.name).sort(), [
        '10.1.0.0/16',
        'Carol',
      ]);
      assert.equal(await store.removeBans('10.1.0.0/16'), 1);
      assert.equal(await store.removeBans('mallory'), 1);
      assert.equal(await store.removeBans('nobody'), 0);
      // An account banned under an alias it took, and a guest ban of that alias:
      // by value only, just the guest's goes; then the alias finds the account's.
      await store.addBan({ kind: 'account', value: 'dan', nameKey: 'danny', name: 'Dan', ...base });
      await store.addBan({
        kind: 'alias',
        value: 'danny',
        nameKey: 'danny',
        name: 'Danny',
        ...base,
      });
      assert.equal(await store.removeBans('danny', true), 1);
      assert.equal(await store.removeBans('danny', true), 0);
      assert.equal(await store.removeBans('danny'), 1);
      assert.deepEqual(
        (await store.listBans(at)).map((b) => b.name),
        ['Carol'],
      );
    });

    test('audit records come back from `since`, oldest first', async (t) => {
      const { store } = await setup(t);
      await store.addAudit({ at: 1000, action: 'kick', actor: 'Op', target: 'Bob', reason: 'no' });
      await store.addAudit({ at: 2000, action: 'topic', actor: 'Ann', room: '#dev' });
      assert.deepEqual(await store.listAudit(1500), [
        { at: 2000, action: 'topic', actor: 'Ann', room: '#dev' },
      ]);
      assert.equal((await store.listAudit(0)).length, 2);
    });

    test('topics and ignore lists are kept per room and per owner', async (t) => {
      const { store } = await setup(t);
      assert.equal(await store.getTopic('#dev'), undefined);
      await store.setTopic('#dev', { text: 'builds', by: 'Ann', at: 5 });
      await store.setTopic('#lobby', { text: 'hi', by: 'Op', at: 6 });
      assert.deepEqual(await store.getTopic('#dev'), { text: 'builds', by: 'Ann', at: 5 });
      assert.deepEqual([...(await store.listTopics()).keys()].sort(), ['#dev', '#lobby']);
      await store.setIgnore('a:ann', 'bob', 'Bob');
      await store.setIgnore('a:ann', 'zed', 'Zed');
      await store.setIgnore('g:xyz', 'bob', 'Bob');
      await store.setIgnore('a:ann', 'zed', undefined);
      assert.deepEqual([...(await store.getIgnores('a:ann'))], [['bob', 'Bob']]);
      assert.equal((await store.getIgnores('a:nobody')).size, 0);
    });

    test("forgetAccountData: a removed account's streams start over, its ignores are gone, others' stay", async (t) => {
      const { store } = await setup(t);
      const msg = (text: string): NewMessage => ({
        from: 'Ann',
        to: 'Vic',
        text,
        action: false,
        ts: 1,
      });
      await store.append('@vic', msg('for the old Vic'));
      await store.append('!offline@vic', { from: '', text: '1', action: false, ts: 1 });
      await store.append('@ann', { ...msg('kept'), to: 'Ann' });
      await store.setIgnore('a:vic', 'bob', 'Bob');
      await store.setIgnore('a:ann', 'bob', 'Bob');
      await store.forgetAccountData(['@vic', '!offline@vic'], 'a:vic');
      for (const stream of ['@vic', '!offline@vic']) {
        const r = await store.read(stream, 0, 10);
        assert.deepEqual([r.top, r.messages], [0, []], stream);
      }
      assert.equal((await store.getIgnores('a:vic')).size, 0);
      assert.deepEqual(
        (await store.read('@ann', 0, 10)).messages.map((m) => m.text),
        ['kept'],
      );
      assert.equal((await store.getIgnores('a:ann')).size, 1);
      // The stream is written again from seq 1.
      assert.equal((await store.append('@vic', msg('for the new Vic'))).message.seq, 1);
    });

    test('mutes and topic locks: set under several keys, lifted by name or key, listed', async (t) => {
      const { store } = await setup(t);
      const mute = { name: 'Bob', nameKey: 'bob', by: 'Op', at: 1, reason: 'spam', expires: 99 };
      await store.setMute(['g:xyz', 'n:bob'], mute);
      await store.setMute(['a:eve'], { name: 'Eve', nameKey: 'eve', by: 'Op', at: 2 });
      await store.setTopicLock('#dev', true);
      await store.setTopicLock('#ops', true);
      await store.setTopicLock('#ops', false);
      let state = await store.getModeration();
      assert.deepEqual([...state.mutes.keys()].sort(), ['a:eve', 'g:xyz', 'n:bob']);
      assert.deepEqual(state.mutes.get('g:xyz'), mute);
      assert.deepEqual([...state.locks], ['#dev']);
      assert.deepEqual(await store.removeMutes('nobody', []), []);
      const lifted = await store.removeMutes('bob', []);
      assert.equal(lifted.length, 2);
      assert.equal((await store.removeMutes('x', ['a:eve']))[0]?.name, 'Eve');
      state = await store.getModeration();
      assert.equal(state.mutes.size, 0);
    });

    test('topics, ignores, bans and audit survive a reopen', async (t) => {
      const { store, reopen } = await setup(t);
      if (!reopen) return t.skip('not durable');
      await store.setTopic('#lobby', { text: 'kept', by: 'Op', at: 1 });
      await store.setIgnore('a:ann', 'bob', 'Bob');
      await store.addBan({ kind: 'alias', value: 'm', nameKey: 'm', name: 'M', by: 'Op', at: 1 });
      await store.addAudit({ at: 1, action: 'ban', actor: 'Op', target: 'alias M' });
      await store.setMute(['a:eve'], { name: 'Eve', nameKey: 'eve', by: 'Op', at: 1 });
      await store.setTopicLock('#lobby', true);
      await store.close();
      const again = await reopen(() => undefined);
      t.after(() => again.close());
      assert.equal((await again.getTopic('#lobby'))?.text, 'kept');
      assert.equal((await again.getIgnores('a:ann')).get('bob'), 'Bob');
      assert.equal((await again.listBans(2)).length, 1);
      assert.equal((await again.listAudit(0)).length, 1);
      const moderation = await again.getModeration();
      assert.equal(moderation.mutes.get('a:eve')?.name, 'Eve');
      assert.ok(moderation.locks.has('#lobby'));
    });
  });
}
