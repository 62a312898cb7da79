/**
 * Issue 5 item 6: logs never hold a password, at any level (a real server
 * binary at --log-level trace, every way a password can reach it: /register,
 * `register`, both logins right and wrong, takeover, /nick, a hello for a
 * guest, malformed JSON, the accounts CLI); message text stays out of the
 * log at info; and nothing a user sees reveals another user's address.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { accountsCli, addAccount } from '../helpers/accounts.js';
import { jsonUser, raw, serve, textUser } from '../helpers/fixtures.js';
import { attackerAddress, clientFrom } from '../helpers/hostile.js';
import { LineClient } from '../helpers/line-client.js';
import { createAccount, jsonLogin, textAlias, textLogin } from '../helpers/security.js';
import { spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/env.js';

/** Distinct, greppable passwords: one per way in. */
const P = {
  cli: 'pw-cli-Quokka-0001',
  textRegister: 'pw-text-register-0002',
  jsonRegister: 'pw-json-register-0003',
  wrongText: 'pw-wrong-text-0004',
  wrongJson: 'pw-wrong-json-0005',
  wrongNick: 'pw-wrong-nick-0006',
  short: 'pw-s07',
  guestHello: 'pw-guest-hello-0008',
  malformed: 'pw-malformed-0009',
  passwd: 'pw-cli-passwd-0010',
  tooLong: 'pw-too-long-0011',
} as const;

test('no password reaches the log at --log-level trace', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const add = await accountsCli(['add', 'Owner', '--db', db], P.cli + '\n');
  assert.equal(add.code, 0, add.stderr);
  const server = await spawnServer(t, { db, args: ['--log-level', 'trace'] });
  const { port } = server;

  const alice = await LineClient.text(port, 'Alice');
  t.after(() => alice.close());
  alice.send(`/register ${P.short}`);
  await alice.waitFor((l) => l.endsWith('[bad_request]'));
  alice.send(`/register ${P.textRegister}`);
  await alice.waitFor((l) => l.includes('is now registered'));
  alice.close();

  const bob = await jsonUser(t, port, 'Bob');
  bob.sendJson({ type: 'register', id: 'r', password: P.jsonRegister });
  await bob.waitForJson((o) => o.id === 'r');
  bob.send(`{"type":"register","id":"m","password":"${P.malformed}"`);
  await bob.waitForJson((o) => o.code === 'bad_request');
  bob.send(`{"type":"register","id":"m2","password":"${P.tooLong}${'x'.repeat(2000)}"}`);
  await bob.waitForJson((o) => o.id === 'm2');
  bob.close();

  const a = await textAlias(t, port, 'Alice');
  a.send(P.wrongText);
  await a.waitFor((l) => l.endsWith('[auth_failed]'));
  a.send(P.textRegister);
  await a.waitFor((l) => l.startsWith('* Welcome'));

  const b = await raw(t, port);
  b.sendJson({ type: 'hello', version: 1, name: 'Bob', password: P.wrongJson });
  await b.waitForJson((o) => o.code === 'auth_failed');
  b.sendJson({ type: 'hello', version: 1, name: 'Bob', password: P.jsonRegister });
  await b.waitForJson((o) => o.type === 'welcome');

  // Takeover of Alice (text) by a JSON login, and a guest hello carrying a password.
  await jsonLogin(t, port, 'Alice', P.textRegister);
  const guest = await raw(t, port);
  guest.sendJson({ type: 'hello', version: 1, name: 'Guesty', password: P.guestHello });
  await guest.waitForJson((o) => o.type === 'welcome');
  guest.send(`/nick Owner ${P.wrongNick}`);
  guest.sendJson({ type: 'nick', id: 'n', name: 'Owner', password: P.wrongNick });
  await guest.waitForJson((o) => o.id === 'n');

  // The CLI changes a password while the server runs; the owner signs in with it.
  const passwd = await accountsCli(['passwd', 'Owner', '--db', db], P.passwd + '\n');
  assert.equal(passwd.code, 0, passwd.stderr);
  await textLogin(t, port, 'Owner', P.passwd);

  const exit = await server.stop('SIGTERM');
  assert.equal(exit.code, 0);
  const log = server.log.join('\n') + server.stderr.join('');
  assert.ok(server.log.length > 10, 'the server did log');
  const cliOutput = add.stdout + add.stderr + passwd.stdout + passwd.stderr;
  for (const [how, pw] of Object.entries(P)) {
    assert.ok(!log.includes(pw), `the ${how} password is in the server log`);
    assert.ok(!cliOutput.includes(pw), `the ${how} password is in the CLI's output`);
  }
  t.diagnostic(`${server.log.length} log lines at trace, no password in them`);
});

test('message text is not logged at info', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  await addAccount(db, 'Owner', P.cli);
  const server = await spawnServer(t, { db, args: ['--log-level', 'info'] });
  const a = await jsonUser(t, server.port, 'Ann');
  const b = await textUser(t, server.port, 'Ben');
  a.sendJson({ type: 'say', id: 's', text: 'room-secret-Zebra-42' });
  a.sendJson({ type: 'dm', id: 'd', to: 'Ben', text: 'private-secret-Yak-43' });
  b.send('text-secret-Xerus-44');
  b.send('/topic topic-secret-Wombat-45');
  b.send('/away away-secret-Vole-46');
  const all = (): boolean =>
    ['private-secret-Yak-43', 'You are marked away'].every((s) =>
      b.lines.some((l) => l.includes(s)),
    );
  if (!all()) await b.waitFor(all);
  await a.waitForJson((o) => o.text === 'text-secret-Xerus-44');
  const exit = await server.stop('SIGTERM');
  assert.equal(exit.code, 0);
  const log = server.log.join('\n');
  for (const secret of ['Zebra-42', 'Yak-43', 'Xerus-44', 'Wombat-45', 'Vole-46']) {
    assert.ok(!log.includes(secret), `"${secret}" is in the info log`);
  }
});

test("nothing a user sees reveals another user's address", async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Op', 'operator password', true);
  const from = attackerAddress(7);
  const json = await jsonUser(t, server.port, 'Jay');
  const op = await textLogin(t, server.port, 'Op', 'operator password');
  const guest = await clientFrom(t, server.port, from);
  guest.send('Guest');
  await guest.waitFor((l) => l.startsWith('* Welcome'));
  guest.send('hello from afar');
  guest.send('/msg Jay psst');
  guest.send('/me waves');
  guest.send('/away lunch');

  for (const cmd of ['/who', '/who *', '/rooms', '/help who', '/msg Guest hi']) op.send(cmd);
  for (const type of ['who', 'rooms']) json.sendJson({ type, id: type });
  json.sendJson({ type: 'who', id: 'all', room: '*' });
  json.sendJson({ type: 'history', id: 'h' });
  json.sendJson({ type: 'dm', id: 'dm', to: 'Guest', text: 'hi' });
  await json.waitForJson((o) => o.id === 'dm');
  op.send('/kick Guest bye');
  await guest.waitClosed();
  const again = await clientFrom(t, server.port, from);
  again.send('Guest');
  await again.waitFor((l) => l.startsWith('* Welcome'));
  op.send('/ban Guest');
  await op.waitFor((l) => l.startsWith('* Guest is banned'));
  op.send('/unban Guest');
  await op.waitFor((l) => l === '* Guest is no longer banned');
  json.sendJson({ type: 'ping', id: 'end' });
  await json.waitForJson((o) => o.id === 'end');

  const seen = [...json.lines, ...op.lines];
  assert.ok(seen.length > 20);
  for (const line of seen) {
    assert.ok(!line.includes(from) && !/127\.1\.\d/u.test(line), `an address in: ${line}`);
  }
});
