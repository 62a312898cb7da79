/** OnlineUsers: a map of users that keeps its keys' hashes for the mention scan. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OnlineUsers } from '../../src/core/online-users.js';
import type { User } from '../../src/core/model.js';
import { keyHash, mentionsAmong } from '../../src/protocol/mention.js';

test('the hashes follow the keys through set, replace, delete and clear', () => {
  const users = new OnlineUsers();
  const ann = {} as User;
  users.set('ann', ann);
  users.set('ann', ann); // a replaced value counts the key once
  assert.equal(users.mayHaveHash(keyHash('ann')), true);
  assert.deepEqual(mentionsAmong('hi Ann', users), ['ann']);
  assert.equal(users.delete('ann'), true);
  assert.equal(users.delete('ann'), false); // an absent key uncounts nothing
  assert.equal(users.mayHaveHash(keyHash('ann')), false);
  assert.equal(mentionsAmong('hi Ann', users), undefined);
  users.set('bob', ann);
  users.set('cat', ann);
  users.clear();
  assert.equal(users.mayHaveHash(keyHash('bob')), false);
  assert.equal(users.mayHaveHash(keyHash('cat')), false);
});
