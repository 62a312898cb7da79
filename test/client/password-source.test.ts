/**
 * Where chat-client's password comes from (password.ts): CHAT_PASSWORD for
 * the alias it was given with, never retried when wrong; at a terminal a
 * prompt; and after the user picks another alias (the first was taken), not
 * CHAT_PASSWORD again (a re-audit: it was spent on someone else's account).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PasswordSource } from '../../src/client/password.js';

test('CHAT_PASSWORD first, not retried when wrong; after another alias, the prompt', async () => {
  const asked: string[] = [];
  const source = new PasswordSource('kim password', async (prompt) => {
    asked.push(prompt);
    return 'carol password';
  });
  assert.equal(source.preset, true);
  assert.equal(await source.ask('Kim', false), 'kim password');
  assert.equal(await source.ask('Kim', true), undefined, 'a wrong CHAT_PASSWORD is reported');
  source.otherAlias();
  assert.equal(source.preset, false);
  assert.equal(await source.ask('Carol', false), 'carol password');
  assert.deepEqual(asked, ['Password for Carol: ']);
});

test('piped, without CHAT_PASSWORD: nobody to ask, and it says so', async () => {
  const source = new PasswordSource(undefined, undefined);
  assert.equal(await source.ask('Kim', false), undefined);
  assert.equal(source.unavailable, true);
});
