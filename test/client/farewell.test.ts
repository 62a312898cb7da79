/**
 * chat-client's farewells (farewell.ts): which closing events end the client
 * for good, and what it says of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { farewellFor } from '../../src/client/farewell.js';

describe('farewellFor', () => {
  it('a takeover names who signed in: the account, when this session had another alias of it', () => {
    const renamed = farewellFor(
      {
        type: 'error',
        code: 'alias_taken',
        message: 'Alice (here as Ally) signed in from another connection; closing this one',
      },
      'Ally',
    );
    assert.equal(renamed?.final, true);
    assert.equal(renamed?.code, 'displaced');
    assert.match(
      renamed!.reason,
      /^Alice \(here as Ally\) signed in from another connection, so this one stopped/u,
    );
    const plain = farewellFor(
      { type: 'error', code: 'alias_taken', message: 'Something else entirely' },
      'Bob',
    );
    assert.match(plain!.reason, /^Bob signed in from another connection/u);
  });

  it('a kick of this user is final; a shutdown is not; an answered refusal is no farewell', () => {
    assert.equal(
      farewellFor({ type: 'system', event: 'kick', user: 'Bob', by: 'Op', ts: 't' }, 'Bob')?.final,
      true,
    );
    assert.equal(farewellFor({ type: 'system', event: 'shutdown', ts: 't' }, 'Bob')?.final, false);
    assert.equal(
      farewellFor({ type: 'error', id: 'r1', code: 'alias_taken', message: 'x' }, 'Bob'),
      undefined,
    );
  });
});
