/**
 * Issue 18 item 2: staff cannot be impersonated. On a `--require-account`
 * server a name is an account's name (`/nick` elsewhere is `forbidden`);
 * operators are marked in /who and /whois (text `@Ana`, JSON `operator`),
 * and bots (`hello.bot`, issue 17 item 4) are marked too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectJsonError, jsonUser, serve } from '../helpers/fixtures.js';
import { createAccount, jsonLogin, textLogin } from '../helpers/security.js';

test('with --require-account the name is the account name and /nick elsewhere is refused', async (t) => {
  const server = await serve(t, { requireAccount: 'true' });
  await createAccount(server, 'TA-Ana', 'ta password 1', true);
  await createAccount(server, 'Student', 'student password');
  const { port } = server;
  const ta = await jsonLogin(t, port, 'TA-Ana', 'ta password 1');
  const student = await jsonLogin(t, port, 'student', 'student password');
  ta.sendJson({ type: 'who', id: 'w' });
  const who = await ta.waitForJson((o) => o.type === 'who');
  assert.deepEqual(who.users, [{ name: 'Student' }, { name: 'TA-Ana', operator: true }]);

  student.sendJson({ type: 'nick', id: 'n1', name: 'Prof_Lee' });
  await expectJsonError(student, 'forbidden', 'n1');
  student.sendJson({ type: 'nick', id: 'n2', name: 'Prof_Lee', password: 'x' });
  await expectJsonError(student, 'forbidden', 'n2');
  student.sendJson({ type: 'whois', id: 'w2', name: 'ta-ana' });
  const whois = await student.waitForJson((o) => o.type === 'whois');
  assert.equal(whois.operator, true);
  assert.equal(whois.bot, false);
  // Typed in lower case, shown as registered.
  const welcome = student.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(welcome.find((o) => o.type === 'welcome')?.name, 'Student');
});

test('/who and /whois mark operators and bots, in text and JSON', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Ana', 'ana password 1', true);
  const { port } = server;
  const ana = await textLogin(t, port, 'Ana', 'ana password 1');
  const bot = await jsonUser(t, port, 'Builds', { history: 0, bot: true });
  await jsonUser(t, port, 'Guest', { history: 0 });
  ana.send('/who');
  const line = await ana.waitFor((l) => l.startsWith('* 3 users'));
  assert.equal(line, '* 3 users in #lobby: @Ana, Builds (bot), Guest');
  ana.send('/whois Builds');
  assert.equal(
    await ana.waitFor((l) => l.startsWith('* Builds is')),
    '* Builds is a guest (a bot)',
  );
  bot.sendJson({ type: 'who', id: 'w' });
  const who = await bot.waitForJson((o) => o.type === 'who');
  assert.deepEqual(who.users, [
    { name: 'Ana', operator: true },
    { name: 'Builds', bot: true },
    { name: 'Guest' },
  ]);
});
