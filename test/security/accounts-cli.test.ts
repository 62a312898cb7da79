/**
 * Issue 5 items 2-3, docs/protocol.md §7: `chat-server accounts
 * add|remove|list|passwd|operator NAME --db FILE` exits 0 when done, 1 when
 * refused, 2 on a usage error, reads the password from piped stdin, and works
 * on the database of a running server, whose next login sees the change.
 * Also the "Done when" walk-through without TLS: a --require-account server
 * refuses a stranger, admits an account made with `accounts add`, and an
 * operator made with `--operator` can kick and ban.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { accountsCli, type CliResult } from '../helpers/accounts.js';
import { expectJsonError, raw, textErrorCode } from '../helpers/fixtures.js';
import { LineClient } from '../helpers/line-client.js';
import { jsonLogin, textLogin } from '../helpers/security.js';
import { spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/env.js';

const PW = 'a good password';

function expectExit(r: CliResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}; stdout: ${r.stdout}; stderr: ${r.stderr}`);
}

test('accounts subcommands: exit 0 done, 1 refused, 2 usage', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const run = (args: string[], stdin = ''): Promise<CliResult> =>
    accountsCli([...args, '--db', db], stdin);

  // Refused on a new database: nothing changed, and no empty file is left behind.
  const refused = await run(['add', 'Shorty'], 'short\n');
  expectExit(refused, 2, 'add with a too short password, new database');
  // The reason first, then what was done about the file: the last line is what is left.
  assert.match(refused.stderr, /at least \d+ characters[^]*\n.*removed the new database/u);
  assert.equal(existsSync(db), false, 'the new database is gone');

  const add = await run(['add', 'Alice'], PW + '\n');
  expectExit(add, 0, 'add');
  assert.match(add.stdout, /created Alice/u);
  expectExit(await run(['add', 'Alice'], PW + '\n'), 1, 'add an existing account');
  expectExit(await run(['add', 'ALICE'], PW + '\n'), 1, 'add an existing account, other case');
  expectExit(await run(['add', 'Bad!Name'], PW + '\n'), 2, 'add a bad alias');
  expectExit(await run(['add', 'admin'], PW + '\n'), 2, 'add a reserved alias');
  expectExit(await run(['add', 'Shorty'], 'short\n'), 2, 'add with a too short password');
  expectExit(await run(['add', 'Silent'], ''), 1, 'add with no password on stdin');
  for (const cmd of ['remove', 'passwd', 'operator']) {
    expectExit(await run([cmd, 'Zed'], PW + '\n'), 1, `${cmd} of an unknown account`);
  }

  expectExit(await run(['operator', 'Alice']), 0, 'operator');
  let list = await run(['list']);
  expectExit(list, 0, 'list');
  assert.match(list.stdout, /^Alice\toperator\t\d{4}-/mu);
  expectExit(await run(['operator', 'Alice', '--off']), 0, 'operator --off');
  list = await run(['list']);
  assert.match(list.stdout, /^Alice\tuser\t/mu);
  expectExit(await run(['passwd', 'Alice'], 'another password\n'), 0, 'passwd');
  expectExit(await run(['remove', 'Alice']), 0, 'remove');
  list = await run(['list']);
  assert.equal(list.stdout.trim(), 'no accounts');

  // Usage errors.
  expectExit(await accountsCli([]), 2, 'no subcommand');
  expectExit(await accountsCli(['frobnicate']), 2, 'unknown subcommand');
  expectExit(await accountsCli(['add', '--db', db]), 2, 'missing name');
  expectExit(await accountsCli(['list', '--bogus', '--db', db]), 2, 'unknown option');
  expectExit(await accountsCli(['add', 'X', '--db', ':memory:'], PW + '\n'), 2, ':memory:');
});

test('accounts work on the database of a running server; its next login sees the change', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const server = await spawnServer(t, { db });
  const run = (args: string[], stdin = ''): Promise<CliResult> =>
    accountsCli([...args, '--db', db], stdin);

  expectExit(await run(['add', 'Neo'], PW + '\n'), 0, 'add while the server runs');
  const c = await raw(t, server.port);
  c.sendJson({ type: 'hello', version: 1, name: 'Neo' });
  await expectJsonError(c, 'auth_required');
  (await jsonLogin(t, server.port, 'Neo', PW)).close();

  expectExit(await run(['passwd', 'Neo'], 'the new password\n'), 0, 'passwd');
  const old = await raw(t, server.port);
  old.sendJson({ type: 'hello', version: 1, name: 'Neo', password: PW });
  await expectJsonError(old, 'auth_failed');
  const neo = await jsonLogin(t, server.port, 'Neo', 'the new password');
  neo.sendJson({ type: 'kick', id: 'k', name: 'Neo' });
  await expectJsonError(neo, 'forbidden', 'k');
  neo.close();

  expectExit(await run(['operator', 'Neo']), 0, 'operator');
  const trinity = await LineClient.text(server.port, 'Trinity');
  t.after(() => trinity.close());
  const op = await jsonLogin(t, server.port, 'Neo', 'the new password');
  op.sendJson({ type: 'kick', id: 'k2', name: 'Trinity' });
  assert.equal((await op.waitForJson((o) => o.id === 'k2')).type, 'ack');
  await trinity.waitClosed();
  op.close();

  expectExit(await run(['list']), 0, 'list while the server runs');
  // What is kept for Neo besides the account: an ignore, and a dm waiting unread.
  const mo = await LineClient.json(server.port, 'Mo');
  t.after(() => mo.close());
  const neoAgain = await jsonLogin(t, server.port, 'Neo', 'the new password');
  neoAgain.sendJson({ type: 'ignore', id: 'i', name: 'Mo' });
  const ignored = await neoAgain.waitForJson((o) => o.id === 'i');
  assert.equal(ignored.type, 'ack', JSON.stringify(ignored));
  neoAgain.close();
  await neoAgain.waitClosed();
  const ann = await LineClient.json(server.port, 'Ann');
  t.after(() => ann.close());
  ann.sendJson({ type: 'dm', id: 'd', to: 'Neo', text: 'for the old Neo only' });
  assert.equal((await ann.waitForJson((o) => o.id === 'd')).offline, true);

  expectExit(await run(['remove', 'Neo']), 0, 'remove');
  // A removed account's alias is a guest alias again.
  (await LineClient.json(server.port, 'Neo')).close();
  // A new account of the same name inherits none of it: no private message
  // meant for the old one (unread or resumed), no ignore list.
  expectExit(await run(['add', 'Neo'], PW + '\n'), 0, 'add again');
  const fresh = await raw(t, server.port);
  fresh.sendJson({ type: 'hello', version: 1, name: 'Neo', password: PW, resume: { '@': 0 } });
  const welcome = await fresh.waitForJson((o) => o.type === 'welcome' || o.type === 'error');
  assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
  const replay = await fresh.waitForJson((o) => o.type === 'history' && o.room === '@');
  assert.deepEqual(replay.messages, [], JSON.stringify(replay));
  fresh.sendJson({ type: 'history', id: 'h', room: '@', after: 0 });
  const mine = await fresh.waitForJson((o) => o.id === 'h');
  assert.deepEqual(mine.messages, [], JSON.stringify(mine));
  // The running server still counts the old seqs: nothing is there to page to.
  assert.equal(mine.more, false, JSON.stringify(mine));
  assert.equal(
    fresh.lines.some((l) => l.includes('for the old Neo only')),
    false,
    fresh.lines.join('\n'),
  );
  fresh.sendJson({ type: 'unignore', id: 'u', name: 'Mo' });
  await expectJsonError(fresh, 'not_found', 'u');
});

test('--require-account: a stranger is refused, an account made with the CLI gets in, an operator kicks and bans', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const server = await spawnServer(t, { db, args: ['--require-account'] });
  const stranger = await raw(t, server.port);
  stranger.send('Stranger');
  const refusal = await stranger.waitFor((l) => l.startsWith('! '));
  assert.equal(textErrorCode(refusal), 'auth_required', refusal);

  const add = (name: string, pw: string, ...flags: string[]): Promise<CliResult> =>
    accountsCli(['add', name, ...flags, '--db', db], pw + '\n');
  expectExit(await add('Boss', 'boss password', '--operator'), 0, 'add --operator');
  expectExit(await add('Member', 'member password'), 0, 'add');
  expectExit(await add('Other', 'other password'), 0, 'add');
  const boss = await textLogin(t, server.port, 'Boss', 'boss password');
  const member = await textLogin(t, server.port, 'Member', 'member password');
  const other = await jsonLogin(t, server.port, 'Other', 'other password');

  member.send('/kick Other');
  assert.equal(textErrorCode(await member.waitFor((l) => l.startsWith('! '))), 'forbidden');
  boss.send('/kick Member noise');
  await member.waitClosed();
  boss.send('/ban Other');
  await other.waitClosed();
  const banned = await raw(t, server.port);
  banned.sendJson({ type: 'hello', version: 1, name: 'Other', password: 'other password' });
  await banned.waitForJson((o) => o.code === 'banned');
  await banned.waitClosed();
  (await textLogin(t, server.port, 'Member', 'member password')).close();
});
