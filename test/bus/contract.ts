import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Bus } from '../../src/bus/bus.js';
import { StreamFollower } from '../../src/bus/follower.js';
import type { NewMessage, Store, StoredMessage } from '../../src/store/store.js';

/** A Store whose appends ring this Bus, as the server composes them. */
export interface MadeBus {
  bus: Bus;
  store: Store;
  /**
   * Cut the Bus's connection as a network failure would (a Bus that cannot
   * lose one leaves this out); it reconnects by itself and then calls onResync.
   */
  interrupt?: () => Promise<void>;
  close: () => Promise<void>;
}

export type MakeBus = () => Promise<MadeBus>;

const say = (text: string): NewMessage => ({ from: 'Alice', text, action: false, ts: 1 });

/** Collects what a listener receives and lets a test wait for a count. */
class Inbox {
  readonly messages: StoredMessage[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  readonly listener = (messages: StoredMessage[]): void => {
    this.messages.push(...messages);
    this.waiters = this.waiters.filter((w) => {
      if (this.messages.length < w.n) return true;
      w.resolve();
      return false;
    });
  };

  /** Resolves once `n` messages have arrived (the test's own timeout bounds the wait). */
  until(n: number): Promise<void> {
    if (this.messages.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  texts(): string[] {
    return this.messages.map((m) => m.text);
  }
}

/**
 * The Bus contract: a doorbell that is live once subscribe resolves, keeps
 * each stream's order, and with a StreamFollower on top gives every consumer
 * each message exactly once, in order, even when doorbells are lost.
 */
export function busContract(name: string, make: MakeBus): void {
  describe(`Bus contract: ${name}`, () => {
    async function setup(t: TestContext): Promise<MadeBus> {
      const made = await make();
      t.after(() => made.close());
      return made;
    }

    test('subscribe resolves once live: the next append is delivered', async (t) => {
      const { bus, store } = await setup(t);
      const inbox = new Inbox();
      await bus.subscribe('#lobby', inbox.listener);
      const r = await store.append('#lobby', say('hello'));
      await inbox.until(1);
      assert.deepEqual(inbox.messages, [r.message]);
    });

    test('each stream goes to its own listener, in seq order', async (t) => {
      const { bus, store } = await setup(t);
      const a = new Inbox();
      const b = new Inbox();
      await bus.subscribe('#a', a.listener);
      await bus.subscribe('@bob', b.listener);
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          store.append(i % 3 === 0 ? '@bob' : '#a', say(`m${i}`)),
        ),
      );
      await Promise.all([a.until(40), b.until(20)]);
      assert.deepEqual(
        a.messages.map((m) => m.seq),
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        b.messages.map((m) => m.seq),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      assert.ok(a.messages.every((m) => m.stream === '#a'));
      assert.ok(b.messages.every((m) => m.stream === '@bob'));
    });

    test('after unsubscribe nothing more arrives', async (t) => {
      const { bus, store } = await setup(t);
      const old = new Inbox();
      await bus.subscribe('#a', old.listener);
      await store.append('#a', say('one'));
      await old.until(1);
      await bus.unsubscribe('#a');
      await store.append('#a', say('two'));
      // Subscribing again is a barrier: a doorbell still owed to the old
      // subscription would have come before the new one went live.
      const fresh = new Inbox();
      await bus.subscribe('#a', fresh.listener);
      await store.append('#a', say('three'));
      await fresh.until(1);
      assert.deepEqual(old.texts(), ['one']);
      assert.deepEqual(fresh.texts(), ['three']);
    });

    test('with a StreamFollower, lost doorbells are repaired from the Store: once each, in order', async (t) => {
      const { bus, store } = await setup(t);
      const delivered = new Inbox();
      const start = await store.read('#a', 0, 0);
      const follower = new StreamFollower({
        stream: '#a',
        read: (s, after, limit) => store.read(s, after, limit),
        deliver: delivered.listener,
        last: start.top,
        epoch: start.epoch,
        pageSize: 7,
      });
      let rung = 0;
      // Every third doorbell is lost, and one is rung twice.
      await bus.subscribe('#a', (messages) => {
        for (const m of messages) {
          rung++;
          if (rung % 3 === 0) continue;
          follower.onMessages([m]);
          if (rung === 10) follower.onMessages([m]);
        }
      });
      for (let i = 1; i <= 50; i++) await store.append('#a', say(`m${i}`));
      await delivered.until(49); // the 50th doorbell may be the lost one: resync below
      await follower.resync();
      assert.deepEqual(
        delivered.messages.map((m) => m.seq),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    });

    test('after the connection drops: onResync, and a follower recovers what was missed', async (t) => {
      const made = await setup(t);
      if (!made.interrupt) {
        t.skip('this Bus never loses its connection');
        return;
      }
      const { bus, store } = made;
      const delivered = new Inbox();
      const start = await store.read('#a', 0, 0);
      const follower = new StreamFollower({
        stream: '#a',
        read: (s, after, limit) => store.read(s, after, limit),
        deliver: delivered.listener,
        last: start.top,
        epoch: start.epoch,
      });
      const resynced = new Promise<void>((resolve) => bus.onResync(resolve));
      bus.onResync(() => void follower.resync());
      await bus.subscribe('#a', follower.onMessages);
      await store.append('#a', say('before'));
      await delivered.until(1);
      await made.interrupt();
      // Appended while the doorbell's connection is down: no doorbell comes.
      for (let i = 0; i < 5; i++) await store.append('#a', say(`during ${i}`));
      await resynced;
      await delivered.until(6);
      await store.append('#a', say('after'));
      await delivered.until(7);
      assert.deepEqual(delivered.texts(), [
        'before',
        ...Array.from({ length: 5 }, (_, i) => `during ${i}`),
        'after',
      ]);
    });
  });
}
