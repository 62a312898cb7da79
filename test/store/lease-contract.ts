import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { LeaseStore, Owner } from '../../src/store/lease.js';

/** A clock the test moves by hand. */
export class Clock {
  t = 1_700_000_000_000;
  readonly now = (): number => this.t;
}

/** Two views of one lease store (two nodes), sharing the injected clock. */
export interface MadeLeases {
  a: LeaseStore;
  b: LeaseStore;
  close: () => Promise<void>;
}

export type MakeLeases = (now: () => number) => Promise<MadeLeases>;

const owner = (node: string, display = 'Alice'): Owner => ({
  node,
  session: `${node}-s1`,
  display,
});

/**
 * The lease contract (CLUSTER.md "Presence and alias ownership are leases"):
 * set-if-absent with an owner token and an expiry; renew and release only
 * while the token matches. `a` and `b` stand for two nodes.
 */
export function leaseContract(name: string, make: MakeLeases): void {
  describe(`Lease contract: ${name}`, () => {
    async function setup(t: TestContext): Promise<MadeLeases & { clock: Clock }> {
      const clock = new Clock();
      const made = await make(clock.now);
      t.after(() => made.close());
      return { ...made, clock };
    }

    test('a free alias is claimed; the holder is visible from the other node', async (t) => {
      const { a, b, clock } = await setup(t);
      const c = await a.claimAlias('alice', owner('n1'), 1000);
      assert.ok(c.ok);
      assert.equal(c.lease.key, 'alice');
      assert.equal(c.lease.expiresAt, clock.t + 1000);
      assert.ok(c.lease.token.length > 0);
      assert.deepEqual(await b.holder('alice'), {
        owner: owner('n1'),
        expiresAt: clock.t + 1000,
      });
      const refused = await b.claimAlias('alice', owner('n2', 'ALICE'), 1000);
      assert.equal(refused.ok, false);
      if (!refused.ok) assert.deepEqual(refused.holder, owner('n1'));
      assert.equal(await b.holder('bob'), undefined);
    });

    test('exactly one of many racing claims wins', async (t) => {
      const { a, b } = await setup(t);
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).claimAlias('race', owner(`n${i}`), 5000),
        ),
      );
      assert.equal(claims.filter((c) => c.ok).length, 1);
      const winner = claims.find((c) => c.ok);
      const holder = await a.holder('race');
      assert.ok(winner?.ok && holder);
      for (const c of claims) if (!c.ok) assert.deepEqual(c.holder, holder.owner);
    });

    test('a lease lapses after its ttl unless renewed', async (t) => {
      const { a, b, clock } = await setup(t);
      const c = await a.claimAlias('alice', owner('n1'), 1000);
      assert.ok(c.ok);
      clock.t += 999;
      assert.equal((await b.claimAlias('alice', owner('n2'), 1000)).ok, false);
      assert.deepEqual(await a.renew([c.lease], 1000), []);
      assert.equal(c.lease.expiresAt, clock.t + 1000);
      clock.t += 999;
      assert.equal((await b.claimAlias('alice', owner('n2'), 1000)).ok, false, 'renewed');
      clock.t += 1;
      assert.equal(await a.holder('alice'), undefined, 'lapsed');
      const taken = await b.claimAlias('alice', owner('n2'), 1000);
      assert.ok(taken.ok, 'a lapsed lease frees the alias');
      assert.deepEqual(await a.renew([c.lease], 1000), [c.lease], 'the old holder lost it');
      assert.equal(await a.release('alice', c.lease.token), false, 'and cannot release it');
      assert.equal((await a.holder('alice'))?.owner.node, 'n2');
    });

    test('a lapsed lease cannot be renewed even if nobody took it', async (t) => {
      const { a, clock } = await setup(t);
      const c = await a.claimAlias('alice', owner('n1'), 1000);
      assert.ok(c.ok);
      clock.t += 1000;
      assert.deepEqual(await a.renew([c.lease], 1000), [c.lease]);
    });

    test('renew and release act only with the matching token', async (t) => {
      const { a, b } = await setup(t);
      const c = await a.claimAlias('alice', owner('n1'), 1000);
      const d = await a.claimAlias('bob', owner('n1', 'Bob'), 1000);
      assert.ok(c.ok && d.ok);
      const forged = { ...c.lease, token: 'not-the-token' };
      assert.deepEqual(await b.renew([forged, d.lease], 1000), [forged]);
      assert.equal(await b.release('alice', 'not-the-token'), false);
      assert.ok(await b.holder('alice'));
      assert.equal(await b.release('alice', c.lease.token), true);
      assert.equal(await b.holder('alice'), undefined);
      assert.equal(await b.release('alice', c.lease.token), false, 'released once');
      assert.ok((await b.claimAlias('alice', owner('n2'), 1000)).ok);
    });

    test('restate: the holder says who it is now, with its token only, while it holds', async (t) => {
      const { a, b, clock } = await setup(t);
      const c = await a.claimAlias('alice', owner('n1'), 1000);
      assert.ok(c.ok);
      const registered = { ...owner('n1'), account: true, since: 5 };
      assert.equal(await b.restate({ ...c.lease, token: 'not-the-token' }, registered), false);
      assert.equal((await b.holder('alice'))?.owner.account, owner('n1').account);
      assert.equal(await b.restate(c.lease, registered), true);
      assert.deepEqual((await b.holder('alice'))?.owner, registered);
      clock.t += 1000;
      assert.equal(await a.restate(c.lease, owner('n1')), false, 'lapsed');
      assert.equal(await b.holder('alice'), undefined);
    });

    test('presence: members with live entries, refreshed, removed, lapsed', async (t) => {
      const { a, b, clock } = await setup(t);
      await a.setPresence('#lobby', { key: 'bob', display: 'Bob', node: 'n1' }, 1000);
      await b.setPresence('#lobby', { key: 'alice', display: 'Alice', node: 'n2' }, 1000);
      await b.setPresence('#other', { key: 'carol', display: 'Carol', node: 'n2' }, 1000);
      assert.deepEqual(
        (await a.presence('#lobby')).map((p) => [p.key, p.display, p.node]),
        [
          ['alice', 'Alice', 'n2'],
          ['bob', 'Bob', 'n1'],
        ],
      );
      clock.t += 600;
      await a.setPresence('#lobby', { key: 'bob', display: 'Bob', node: 'n1' }, 1000);
      clock.t += 400;
      assert.deepEqual(
        (await b.presence('#lobby')).map((p) => p.key),
        ['bob'],
        'alice lapsed, bob was refreshed',
      );
      assert.equal((await b.presence('#lobby'))[0]?.expiresAt, clock.t + 600);
      await b.removePresence('#lobby', 'bob');
      assert.deepEqual(await a.presence('#lobby'), []);
      assert.deepEqual(await a.presence('#nobody'), []);
    });

    test('a lapsed `*` entry is taken (by its identity or another) or reaped, never both', async (t) => {
      const { a, b, clock } = await setup(t);
      const entry = (node: string, key: string, identity: string) => ({
        key,
        display: key,
        node,
        identity,
        rooms: ['#lobby', '#dev'],
      });
      await a.setPresence('*', entry('n1', 'alice', 'g:1'), 1000);
      await a.setPresence('*', entry('n1', 'dave', 'g:2'), 1000);
      await a.setPresence('*', entry('n1', 'erin', 'g:3'), 1000);
      clock.t += 1500; // node n1 stopped renewing: all lapsed, none reaped yet
      assert.deepEqual(await b.presence('*'), [], 'lapsed entries are not online');
      assert.equal(await b.takePresence('*', entry('n2', 'nobody', 'g:4'), 1000), undefined);
      const old = await b.takePresence('*', entry('n2', 'alice', 'g:1'), 1000);
      assert.equal(old?.node, 'n1');
      assert.equal(old?.identity, 'g:1');
      assert.deepEqual(old?.rooms, ['#lobby', '#dev']);
      // Another identity under the alias gets the old entry too: its quit is the caller's to tell.
      const other = await b.takePresence('*', entry('n2', 'erin', 'g:other'), 1000);
      assert.equal(other?.identity, 'g:3');
      assert.deepEqual(other?.rooms, ['#lobby', '#dev']);
      assert.deepEqual(await b.reapPresence('*', 1000), [], 'within the grace: nothing reaped');
      clock.t += 600;
      const [x, y] = await Promise.all([a.reapPresence('*', 1000), b.reapPresence('*', 1000)]);
      assert.deepEqual(
        [...x, ...y].map((p) => [p.key, p.rooms]),
        [['dave', ['#lobby', '#dev']]],
        'dave reaped once, alice and erin (taken, live) not at all',
      );
      assert.equal(await a.takePresence('*', entry('n2', 'dave', 'g:2'), 1000), undefined);
      assert.deepEqual(
        (await a.presence('*')).map((p) => p.key),
        ['alice', 'erin'],
      );
    });
  });
}
