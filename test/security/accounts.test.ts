/**
 * docs/protocol.md §2 "Accounts", issue 5 item 2: /register (text) and `register`
 * (JSON); login of a registered alias in both modes (text: the password is
 * the next line; JSON: hello.password); a wrong password is `auth_failed`
 * and may be retried on the same connection, three failures close it;
 * `auth_required` without a password and, with --require-account, for
 * unknown aliases; the right password for a connected alias takes it over
 * (no ghosts), a wrong one leaves the holder alone; /nick to a registered
 * alias needs its password.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expectJsonError,
  expectTextError,
  jsonUser,
  raw,
  serve,
  textErrorCode,
  textFence,
  textUser,
} from '../helpers/fixtures.js';
import {
  BANNER,
  createAccount,
  jsonLogin,
  passwordPrompt,
  textAlias,
  textLogin,
} from '../helpers/security.js';

const PW = 'hunter2hunter2';

test('text: /register, then the alias asks for the password on the next line', async (t) => {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  alice.send('/register short');
  await expectTextError(alice, 'bad_request');
  alice.send(`/register ${PW}`);
  assert.equal(
    await alice.next(),
    '* Alice is now registered; next time send the password after your alias',
  );
  alice.send(`/register ${PW}`);
  await expectTextError(alice, 'bad_request');
  alice.close();

  const again = await textLogin(t, port, 'Alice', PW);
  await textFence(again);
  again.close();
  // The account matches case-insensitively, and is named as registered.
  const lower = await raw(t, port);
  assert.match(await lower.next(), BANNER);
  lower.send('ALICE');
  assert.equal(await lower.next(), passwordPrompt('Alice'));
});

test('JSON: register, then hello needs hello.password', async (t) => {
  const { port } = await serve(t);
  const bob = await jsonUser(t, port, 'Bob');
  bob.sendJson({ type: 'register', id: 'r1', password: PW });
  const ack = await bob.nextJson();
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  assert.equal(ack.op, 'register');
  assert.equal(ack.id, 'r1');
  bob.close();

  const c = await raw(t, port);
  c.sendJson({ type: 'hello', version: 1, name: 'Bob' });
  await expectJsonError(c, 'auth_required');
  // Still open: the same connection may send the password now.
  c.sendJson({ type: 'hello', version: 1, name: 'Bob', password: PW });
  assert.equal((await c.nextJson()).type, 'welcome');
  c.close();
  // Typed in another case, the account is still shown as registered.
  const d = await raw(t, port);
  d.sendJson({ type: 'hello', version: 1, name: 'bOB', password: PW });
  assert.equal((await d.nextJson()).name, 'Bob');
});

test('a wrong password is auth_failed and may be retried on the same connection (text)', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Carol', PW);
  const c = await textAlias(t, server.port, 'Carol');
  c.send('wrong password 1');
  const line = await expectTextError(c, 'auth_failed');
  assert.match(line, /Send the password again/u);
  c.send(PW);
  assert.match(await c.next(), /^\* Welcome, Carol!/u);
});

test('a wrong password is auth_failed and may be retried on the same connection (JSON)', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Carol', PW);
  const c = await raw(t, server.port);
  // Asked first, as chat-client does: the question is not one of the three tries.
  c.sendJson({ type: 'hello', version: 1, name: 'Carol' });
  await expectJsonError(c, 'auth_required');
  c.sendJson({ type: 'hello', version: 1, name: 'Carol', password: 'not it at all' });
  await expectJsonError(c, 'auth_failed');
  c.sendJson({ type: 'hello', version: 1, name: 'Carol', password: 'still not it' });
  await expectJsonError(c, 'auth_failed');
  c.sendJson({ type: 'hello', version: 1, name: 'Carol', password: PW });
  assert.equal((await c.nextJson()).type, 'welcome');
});

for (const mode of ['text', 'json'] as const) {
  test(`three wrong passwords close the connection (${mode})`, async (t) => {
    const server = await serve(t);
    await createAccount(server, 'Dave', PW);
    const c = mode === 'text' ? await textAlias(t, server.port, 'Dave') : await raw(t, server.port);
    for (let i = 1; i <= 3; i++) {
      if (mode === 'text') c.send(`wrong ${i} wrong`);
      else c.sendJson({ type: 'hello', version: 1, name: 'Dave', password: `wrong ${i} wrong` });
      if (mode === 'text') await expectTextError(c, 'auth_failed');
      else await expectJsonError(c, 'auth_failed');
    }
    await c.waitClosed();
    assert.match(c.lines.at(-1) ?? '', /closing/iu, 'the last error says the connection closes');
  });
}

test('--require-account: unknown aliases get auth_required (detail account_required) in both modes; accounts get in', async (t) => {
  const server = await serve(t, { requireAccount: 'true' });
  await createAccount(server, 'Erin', PW);
  const text = await raw(t, server.port);
  assert.match(await text.next(), BANNER);
  text.send('Stranger');
  const line = await expectTextError(text, 'auth_required');
  assert.match(line, /admits registered accounts only/u);
  assert.match(line, /Type another alias/u);
  // The same connection may try an account instead.
  text.send('/nick Erin');
  assert.equal(await text.next(), passwordPrompt('Erin'));
  text.send(PW);
  assert.match(await text.next(), /^\* Welcome, Erin!/u);

  const json = await raw(t, server.port);
  json.sendJson({ type: 'hello', version: 1, name: 'Stranger2' });
  assert.equal((await expectJsonError(json, 'auth_required')).detail, 'account_required');
  // A password does not make a stranger an account.
  json.sendJson({ type: 'hello', version: 1, name: 'Stranger2', password: PW });
  assert.equal((await expectJsonError(json, 'auth_required')).detail, 'account_required');
});

test('takeover: the right password for a connected alias closes the old connection', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Frank', PW);
  const watcher = await jsonUser(t, server.port, 'Watcher');
  const old = await textLogin(t, server.port, 'Frank', PW);
  await watcher.waitForJson((o) => o.event === 'join' && o.user === 'Frank');

  const fresh = await jsonLogin(t, server.port, 'Frank', PW);
  const last = await old.waitFor((l) => l.startsWith('! '));
  assert.equal(textErrorCode(last), 'alias_taken', last);
  await old.waitClosed();
  // No ghost: one Frank online, and it is the new connection.
  watcher.sendJson({ type: 'who', id: 'w', room: '*' });
  const who = await watcher.waitForJson((o) => o.id === 'w');
  const names = (who.users as Array<{ name: string }>).map((u) => u.name).sort();
  assert.deepEqual(names, ['Frank', 'Watcher']);
  fresh.sendJson({ type: 'ping', id: 'alive' });
  assert.equal((await fresh.waitForJson((o) => o.id === 'alive')).type, 'pong');

  // And the other way round: a JSON holder gets a JSON alias_taken error.
  await textLogin(t, server.port, 'Frank', PW);
  const err = await fresh.waitForJson((o) => o.type === 'error');
  assert.equal(err.code, 'alias_taken');
  await fresh.waitClosed();
});

test('a guest that registered its alias is taken over by the next login with the password', async (t) => {
  const { port } = await serve(t);
  const bob = await jsonUser(t, port, 'Bob');
  bob.sendJson({ type: 'register', id: 'r1', password: PW });
  assert.equal((await bob.waitForJson((o) => o.id === 'r1')).type, 'ack');
  // Still connected, from the guest session that registered: a login elsewhere replaces it.
  const fresh = await jsonLogin(t, port, 'Bob', PW);
  assert.equal((await bob.waitForJson((o) => o.type === 'error')).code, 'alias_taken');
  await bob.waitClosed();
  fresh.sendJson({ type: 'ping', id: 'alive' });
  assert.equal((await fresh.waitForJson((o) => o.id === 'alive')).type, 'pong');
});

test('one session per account: signing in takes over the session that took another alias', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Frank', PW);
  const old = await jsonLogin(t, server.port, 'Frank', PW);
  old.sendJson({ type: 'nick', id: 'n', name: 'Franky' });
  assert.equal((await old.waitForJson((o) => o.id === 'n')).name, 'Franky');
  // Franky is not what is registered: the refusal names the account.
  old.sendJson({ type: 'register', id: 'r', password: 'another password' });
  const again = await expectJsonError(old, 'bad_request', 'r');
  assert.equal(
    again.message,
    'You are signed in to the account Frank (here as Franky); it is registered already',
  );
  const watcher = await jsonUser(t, server.port, 'Watcher');

  const fresh = await jsonLogin(t, server.port, 'Frank', PW);
  const err = await old.waitForJson((o) => o.type === 'error');
  assert.equal(err.code, 'alias_taken');
  assert.match(String(err.message), /^Frank \(here as Franky\) signed in from another connection/u);
  await old.waitClosed();
  watcher.sendJson({ type: 'who', id: 'w', room: '*' });
  const who = await watcher.waitForJson((o) => o.id === 'w');
  const names = (who.users as Array<{ name: string }>).map((u) => u.name).sort();
  assert.deepEqual(names, ['Frank', 'Watcher']);
  // The account's private messages reach its one session.
  watcher.sendJson({ type: 'dm', id: 'd', to: 'Frank', text: 'for you' });
  const got = await fresh.waitForJson((o) => o.type === 'private');
  assert.equal(got.text, 'for you');
});

test('hello.account signs in to an account under another alias of it, as /nick left it', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Frank', PW);
  await createAccount(server, 'Gina', PW);
  const c = await raw(t, server.port);
  c.sendJson({ type: 'hello', version: 1, name: 'Franky', account: 'frank', password: PW });
  const w = await c.waitForJson((o) => o.type === 'welcome');
  assert.equal(w.name, 'Franky');
  assert.equal(w.session, undefined, 'an account, not a guest');
  // The account's identity: its name is not free for a guest while it is online under another.
  const guest = await raw(t, server.port);
  guest.sendJson({ type: 'hello', version: 1, name: 'Frank' });
  await expectJsonError(guest, 'auth_required');
  // An alias someone else holds is theirs: a guest's, or another account's under /nick.
  const guest2 = await jsonUser(t, server.port, 'Victim');
  const gina = await jsonLogin(t, server.port, 'Gina', PW);
  gina.sendJson({ type: 'nick', id: 'gn', name: 'Ginny' });
  await gina.waitForJson((o) => o.id === 'gn');
  for (const held of ['Victim', 'Ginny']) {
    const r = await raw(t, server.port);
    r.sendJson({ type: 'hello', version: 1, name: held, account: 'Frank', password: PW });
    await expectJsonError(r, 'alias_taken');
  }
  for (const still of [guest2, gina]) {
    still.sendJson({ type: 'ping', id: 'alive' });
    assert.equal((await still.waitForJson((o) => o.id === 'alive')).type, 'pong');
  }
  // A wrong password, an unknown account, another account's name: refused.
  for (const [hello, code] of [
    [{ name: 'Franky2', account: 'Frank', password: 'wrong one' }, 'auth_failed'],
    [{ name: 'Franky2', account: 'Zelda', password: PW }, 'bad_request'],
    [{ name: 'Gina', account: 'Frank', password: PW }, 'alias_taken'],
    [{ name: 'Franky2', account: 'Frank' }, 'auth_required'],
  ] as const) {
    const r = await raw(t, server.port);
    r.sendJson({ type: 'hello', version: 1, ...hello });
    await expectJsonError(r, code);
  }
});

test('a wrong password for a connected alias leaves the holder connected', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Gina', PW);
  const holder = await jsonLogin(t, server.port, 'Gina', PW);
  const intruder = await raw(t, server.port);
  intruder.sendJson({ type: 'hello', version: 1, name: 'Gina', password: 'a wrong one' });
  await expectJsonError(intruder, 'auth_failed');
  intruder.sendJson({ type: 'hello', version: 1, name: 'Gina' });
  await expectJsonError(intruder, 'auth_required');
  holder.sendJson({ type: 'ping', id: 'still' });
  assert.deepEqual(await holder.nextJson(), { type: 'pong', id: 'still' });
});

test('a guest alias is never taken over: a second connection gets alias_taken', async (t) => {
  const { port } = await serve(t);
  const guest = await textUser(t, port, 'Hank');
  const c = await raw(t, port);
  c.sendJson({ type: 'hello', version: 1, name: 'Hank', password: PW });
  await expectJsonError(c, 'alias_taken');
  await textFence(guest);
});

test('/nick to a registered alias needs its password', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Ivy', PW);
  const u = await textUser(t, server.port, 'Guest1');
  u.send('/nick Ivy');
  const need = await expectTextError(u, 'auth_required');
  assert.match(need, /\/nick Ivy password/u);
  u.send('/nick Ivy not-the-password');
  await expectTextError(u, 'auth_failed');
  u.send(`/nick Ivy ${PW}`);
  assert.equal(await u.next(), '* You are now known as Ivy');
  // A password for an unregistered alias is refused rather than ignored.
  u.send(`/nick Nobody1 ${PW}`);
  await expectTextError(u, 'bad_request');

  // JSON: the same through nick.password.
  await createAccount(server, 'Jack', PW);
  const j = await jsonUser(t, server.port, 'Guest2');
  j.sendJson({ type: 'nick', id: 'n1', name: 'Jack' });
  await expectJsonError(j, 'auth_required', 'n1');
  // Typed in another case, it is the account's name as registered (as at sign-in).
  j.sendJson({ type: 'nick', id: 'n2', name: 'jACK', password: PW });
  const ack = await j.nextJson();
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  assert.equal(ack.name, 'Jack');
  j.sendJson({ type: 'nick', id: 'n2b', name: 'jack' });
  const same = await j.nextJson();
  assert.deepEqual([same.type, same.name], ['ack', 'Jack'], 'its own name again: nothing changes');
  // Taking a connected account's alias by /nick is alias_taken, password or not.
  const k = await jsonUser(t, server.port, 'Guest3');
  k.sendJson({ type: 'nick', id: 'n3', name: 'Ivy', password: PW });
  await expectJsonError(k, 'alias_taken', 'n3');
});

test('text: at the password prompt an empty line is ignored (§1) and /nick NAME picks another alias', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Gina', PW);
  const c = await raw(t, server.port);
  assert.match(await c.next(), BANNER);
  c.send('Gina');
  assert.equal(await c.next(), passwordPrompt('Gina'));
  c.send('');
  c.send('   ');
  c.send('/nick Guesty');
  assert.match(await c.next(), /^\* Welcome, Guesty!/u);
});

test('a guest who registers keeps the ignore list: the account has it at the next login', async (t) => {
  const { port } = await serve(t);
  await jsonUser(t, port, 'Benny');
  const gina = await jsonUser(t, port, 'Gina');
  gina.sendJson({ type: 'ignore', id: 'i', name: 'Benny' });
  await gina.waitForJson((o) => o.id === 'i');
  gina.sendJson({ type: 'register', id: 'r', password: PW });
  assert.equal((await gina.waitForJson((o) => o.id === 'r')).type, 'ack');
  gina.sendJson({ type: 'quit' });
  await gina.waitClosed();
  const back = await jsonLogin(t, port, 'Gina', PW);
  back.sendJson({ type: 'ignore', id: 'l' });
  assert.equal((await back.waitForJson((o) => o.id === 'l')).text, 'Benny');
});
