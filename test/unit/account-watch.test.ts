/**
 * The account watch on mocked time: the accounts of the users online are
 * read again every `everyMs` on the injected clock (not before), a removed
 * account or a changed password ends the session, an operator change applies
 * in place. The real-time smoke test is in security/moderation-live.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccountWatch, type AccountWatchHost } from '../../src/core/account-watch.js';
import { systemClock } from '../../src/core/clock.js';
import { Room, User, type Peer } from '../../src/core/model.js';
import { LOBBY, parseAlias } from '../../src/protocol/names.js';
import type { AccountRecord, AccountStore } from '../../src/store/store.js';
import { mockTime, tick } from '../helpers/clock.js';

function account(name: string, hash: string, operator = false): AccountRecord {
  return { key: name.toLowerCase(), name, hash, operator, createdAt: 0 };
}

function userWith(acc: AccountRecord): User {
  const peer: Peer = {
    id: acc.key,
    address: '127.0.0.1',
    send: () => undefined,
    sendAll: () => undefined,
    close: () => undefined,
  };
  const user = new User(parseAlias(acc.name), new Room(LOBBY), peer, 0);
  user.account = acc;
  return user;
}

/** A host whose store holds `records`, counting its reads and the sessions it ends. */
function host(
  records: Map<string, AccountRecord>,
  users: User[],
): {
  h: AccountWatchHost;
  ended: Array<[string, string]>;
  modes: Array<[string, boolean]>;
  reads: () => number;
} {
  const ended: Array<[string, string]> = [];
  const modes: Array<[string, boolean]> = [];
  let reads = 0;
  const store = {
    listAccounts: () => {
      reads++;
      return Promise.resolve([...records.values()]);
    },
    getAccount: (key: string) => Promise.resolve(records.get(key)),
  } as unknown as AccountStore;
  const h: AccountWatchHost = {
    users: new Map(users.map((u) => [u.name.key, u])),
    store,
    clock: systemClock,
    endSession: (user, why) => {
      user.connected = false;
      ended.push([user.name.display, why]);
    },
    operatorChanged: (user, operator) => modes.push([user.name.display, operator]),
    onError: (err) => assert.fail(String(err)),
  };
  return { h, ended, modes, reads: () => reads };
}

test('the accounts are read again every everyMs on the clock, and changes reach the sessions', async (t) => {
  mockTime(t);
  const kim = userWith(account('Kim', 'h1'));
  const ann = userWith(account('Ann', 'h2'));
  const op = userWith(account('Op', 'h3', true));
  const records = new Map([kim, ann, op].map((u) => [u.account!.key, { ...u.account! }]));
  const { h, ended, modes, reads } = host(records, [kim, ann, op]);
  const watch = new AccountWatch(h, 5000);
  watch.start();
  t.after(() => watch.stop());

  records.set('kim', account('Kim', 'reset'));
  records.delete('ann');
  records.set('op', account('Op', 'h3', false));
  tick(t, 4999);
  await Promise.resolve();
  assert.equal(reads(), 0, 'no read before the interval');
  assert.deepEqual(ended, []);

  tick(t, 1);
  assert.equal(reads(), 1);
  await watch.check();
  assert.deepEqual(ended.sort(), [
    ['Ann', 'the account Ann was removed'],
    ['Kim', 'the password of Kim was changed; sign in with the new one'],
  ]);
  assert.equal(op.account?.operator, false, 'the demotion applies in place');
  assert.equal(op.connected, true);
  assert.deepEqual(modes, [['Op', false]], 'the demotion is told once (IRC MODE -o)');
  records.set('kim2', account('Kim', 'reset'));
  await watch.check();
  assert.deepEqual(modes, [['Op', false]], 'nothing changed: nothing told');

  watch.stop();
  tick(t, 60_000);
  assert.equal(reads(), 3, 'no read after stop (the two above were check())');
});

test('isOperator reads the account again: a demotion applies at once', async () => {
  const op = userWith(account('Op', 'h', true));
  const records = new Map([['op', account('Op', 'h', true)]]);
  const { h } = host(records, [op]);
  const watch = new AccountWatch(h, 0);
  assert.equal(await watch.isOperator(op), true);
  records.set('op', account('Op', 'h', false));
  assert.equal(await watch.isOperator(op), false);
});
