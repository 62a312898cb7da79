/**
 * Issue 18.4, docs/operations.md "Accounts for a class": `chat-server accounts
 * import FILE` adds a class from a CSV file, all or nothing, rerunnable; and
 * the CLI's changes reach a running server's live sessions without SIGHUP:
 * a demoted operator's next /kick is refused, a reset password ends the
 * session. Real processes.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { planImport } from '../../src/server/accounts-import.js';
import { accountsCli, type CliResult } from '../helpers/accounts.js';
import { LineClient } from '../helpers/line-client.js';
import { jsonLogin, textLogin } from '../helpers/security.js';
import { tempDir } from '../helpers/env.js';
import { spawnServer } from '../helpers/server-process.js';

function expectExit(r: CliResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}; stdout: ${r.stdout}; stderr: ${r.stderr}`);
}

const CLASS_CSV = [
  'name,password,operator',
  '# the teaching staff',
  'TA-Ana,"ta, secret ""pw""",operator',
  'student01,password 01',
  'student02,password 02',
  '',
  'student03,password 03,',
].join('\n');

test('accounts import: a class from a CSV file, rerunnable; a file with bad lines imports nothing', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'chat.db');
  const csv = join(dir, 'class.csv');
  writeFileSync(csv, CLASS_CSV);
  const first = await accountsCli(['import', csv, '--db', db]);
  expectExit(first, 0, 'import');
  // A new file is said plainly: a mistyped --db is seen at once.
  assert.match(first.stderr, /created a NEW, empty database .*chat\.db/u);
  assert.match(
    first.stdout,
    /^imported 4 account\(s\) \(1 operator\(s\)\), 0 already existed, 0 errors$/mu,
  );
  // Rerun: nothing new, each existing account reported, still exit 0.
  const again = await accountsCli(['import', csv, '--db', db]);
  assert.doesNotMatch(again.stderr, /NEW/u);
  expectExit(again, 0, 'import again');
  assert.match(again.stdout, /^exists TA-Ana \(kept as it is\)$/mu);
  assert.match(again.stdout, /^imported 0 account\(s\), 4 already existed, 0 errors$/mu);

  // Bad lines: each named with its line number, and nothing imported.
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'student04,password 04\nbad name!,password 05\nstudent06,short\n');
  const refused = await accountsCli(['import', bad, '--db', db]);
  expectExit(refused, 2, 'import with bad lines');
  assert.match(refused.stderr, /bad\.csv:2: bad name!: /u);
  assert.match(refused.stderr, /bad\.csv:3: student06: A password needs at least 8 characters/u);
  assert.match(refused.stderr, /nothing imported/u);
  const list = await accountsCli(['list', '--db', db]);
  assert.doesNotMatch(list.stdout, /student04/u, 'the good line of a bad file is not imported');
  assert.match(list.stdout, /^TA-Ana\toperator\t/mu);

  // The imported passwords sign in (the quoted one with its comma and quotes).
  const server = await spawnServer(t, { db, args: ['--require-account'] });
  (await jsonLogin(t, server.port, 'TA-Ana', 'ta, secret "pw"')).close();
  (await jsonLogin(t, server.port, 'student03', 'password 03')).close();
});

test('planImport: per-line errors, duplicates, header and comments', () => {
  const plan = planImport(
    'name,password\nAnn,password one\nann,password two\nBob,password,admin\n"Cy,pw\nDee\n',
  );
  assert.deepEqual(
    plan.rows.map((r) => [r.line, r.name.display, r.operator]),
    [[2, 'Ann', false]],
  );
  assert.deepEqual(plan.errors, [
    '3: ann: already on line 2',
    '4: Bob: third field must be "operator" or empty, not "admin"',
    '5: a quote is not closed',
    '6: expected name,password[,operator], found 1 field(s)',
  ]);
});

test('the CLI demotes a live operator (its next /kick is refused) and resets a live password (the session ends), no SIGHUP', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  writeFileSync(join(db + '.csv'), 'TA-Ana,ta password,operator\nKim,kim password\n');
  expectExit(await accountsCli(['import', db + '.csv', '--db', db]), 0, 'import');
  const server = await spawnServer(t, { db });
  const ta = await textLogin(t, server.port, 'TA-Ana', 'ta password');
  const kim = await jsonLogin(t, server.port, 'Kim', 'kim password');
  const amy = await LineClient.text(server.port, 'Amy');
  t.after(() => amy.close());

  expectExit(await accountsCli(['operator', 'TA-Ana', '--off', '--db', db]), 0, 'operator --off');
  ta.send('/kick Amy');
  const refusal = await ta.waitFor((l) => l.startsWith('! '));
  assert.match(refusal, /Only operators may do that \[forbidden\]$/u);
  amy.send('/who');
  assert.match(await amy.waitFor((l) => l.includes('users in')), /Amy/u);

  expectExit(await accountsCli(['passwd', 'Kim', '--db', db], 'a brand new pw\n'), 0, 'passwd');
  // The server reads the accounts of users online every 5 s.
  const told = await kim.waitForJson((o) => o.type === 'error', 15_000);
  assert.equal(told.code, 'auth_required', JSON.stringify(told));
  await kim.waitClosed(15_000);
  (await jsonLogin(t, server.port, 'Kim', 'a brand new pw')).close();
});
