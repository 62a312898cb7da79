/**
 * Issue 18.4 and 18.5, docs/protocol.md §2 and §3: /mute and /unmute, /topic
 * -lock, /passwd, and account changes made behind the server's back (what
 * `chat-server accounts passwd|operator --off` writes to the database) taking
 * effect on live sessions. Real sockets, text mode where a person would type.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { hashPassword } from '../../src/core/passwords.js';
import {
  expectJsonError,
  expectTextError,
  raw,
  serve,
  stamped,
  textFence,
  textErrorCode,
  textUser,
} from '../helpers/fixtures.js';
import type { LineClient } from '../helpers/line-client.js';
import { createAccount, jsonLogin, textLogin } from '../helpers/security.js';

const OP_PW = 'operator password';

/** The next `! … [code]` line, skipping notices (joins) that may come first. */
async function refused(c: LineClient, code: string): Promise<string> {
  const line = await c.waitFor((l) => l.startsWith('! '));
  assert.equal(textErrorCode(line), code, line);
  return line;
}

/** An operator Op, and Alice signed in to her account and renamed to Ally (text mode). */
async function operatorAndAlly(
  t: TestContext,
): Promise<{ port: number; op: LineClient; alice: LineClient }> {
  const server = await serve(t);
  await createAccount(server, 'Op', OP_PW, true);
  await createAccount(server, 'Alice', 'alice password');
  const op = await textLogin(t, server.port, 'Op', OP_PW);
  const alice = await textLogin(t, server.port, 'Alice', 'alice password');
  alice.send('/nick Ally');
  assert.equal(await alice.next(), '* You are now known as Ally');
  return { port: server.port, op, alice };
}

test('/ban of the alias a registered user took with /nick bans the account', async (t) => {
  const { port, op, alice } = await operatorAndAlly(t);
  await op.waitFor((l) => l.includes('Ally'));
  op.send('/whois Ally');
  assert.equal(
    await op.waitFor((l) => l.startsWith('* Ally is')),
    '* Ally is a registered user (account Alice)',
  );
  op.send('/ban Ally 5m spam');
  // Named as what was banned: the account.
  assert.match(await op.waitFor((l) => l.includes('is banned')), /^\* Alice is banned until /u);
  await alice.waitClosed();
  // The account is what is banned: its own name no longer signs in.
  const again = await raw(t, port);
  again.sendJson({ type: 'hello', version: 1, name: 'Alice', password: 'alice password' });
  await expectJsonError(again, 'banned');
  // The alias it was banned under lifts it too, as the account's name does.
  op.send('/unban Ally');
  assert.equal(await op.waitFor((l) => l.includes('banned')), '* Ally is no longer banned');
  op.send('/bans');
  assert.equal(await op.waitFor((l) => l.includes('bans')), '* No bans');
});

test('/mute and /unmute of an account by its name reach it while it goes by another alias', async (t) => {
  const { op, alice } = await operatorAndAlly(t);
  op.send('/mute Alice 5m');
  assert.match(await op.waitFor((l) => l.includes('muted')), /^\* Ally is muted until /u);
  assert.match(await alice.waitFor((l) => l.includes('muted')), /^\* You were muted by Op/u);
  op.send('/unmute Alice');
  await op.waitFor((l) => l.includes('may speak again'));
  assert.match(await alice.waitFor((l) => l.includes('lifted')), /Op lifted your mute/u);
});

test('/mute stops a user speaking in rooms, across /nick, until /unmute; private messages still flow', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Op', OP_PW, true);
  const op = await textLogin(t, server.port, 'Op', OP_PW);
  const zed = await textUser(t, server.port, 'Zed');
  const amy = await textUser(t, server.port, 'Amy');
  await op.waitFor((l) => l === '* Amy joined #lobby');

  // Only operators may mute.
  amy.send('/mute Zed');
  await refused(amy, 'forbidden');

  op.send('/mute Zed 10m spamming');
  assert.match(await op.waitFor((l) => l.includes('muted')), /^\* Zed is muted until 20\d\d-/u);
  zed.send('hello everyone');
  const refusal = await refused(zed, 'forbidden');
  assert.match(refusal, /muted by Op until .* \(spamming\)/u);
  zed.send('/topic new topic');
  await refused(zed, 'forbidden');
  // Still reads the room and sends and receives private messages.
  amy.send('hi all');
  assert.match(await zed.waitFor((l) => l.includes('hi all')), stamped('<Amy> hi all'));
  zed.send('/msg Amy why am I muted?');
  assert.match(await amy.waitFor((l) => l.includes('muted?')), /\*Zed\* why am I muted\?/u);
  // A new alias does not shake it off.
  zed.send('/nick Zed2');
  await zed.waitFor((l) => l.includes('now known as Zed2'));
  zed.send('still here');
  await refused(zed, 'forbidden');

  op.send('/unmute Zed2');
  assert.equal(await op.waitFor((l) => l.includes('speak')), '* Zed2 may speak again');
  zed.send('thanks');
  assert.match(await amy.waitFor((l) => l.includes('thanks')), stamped('<Zed2> thanks'));
  op.send('/unmute Zed2');
  await refused(op, 'not_found');
  // Operators cannot be muted.
  op.send('/mute Op');
  await refused(op, 'forbidden');
  await textFence(amy);
});

test('/topic -lock: only operators change the topic until /topic -unlock', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Op', OP_PW, true);
  const op = await textLogin(t, server.port, 'Op', OP_PW);
  const amy = await textUser(t, server.port, 'Amy');

  // /help names the lock to operators only (§2: operator commands are listed to them).
  amy.send('/help topic');
  assert.equal(
    await amy.next(),
    "* /topic [text] — show or set the current room's topic; /topic -clear clears it",
  );
  op.send('/help topic');
  assert.match(await op.waitFor((l) => l.startsWith('* /topic')), /\(operators: \/topic -lock/u);

  amy.send('/topic -lock mine now');
  assert.match(await refused(amy, 'forbidden'), /Only operators may lock/u);
  op.send('/topic -lock Exam at 10');
  assert.equal(
    await op.waitFor((l) => l.startsWith('* Topic')),
    '* Topic of #lobby: Exam at 10 (locked: operators only)',
  );
  await amy.waitFor((l) => l.includes('Exam at 10'));
  amy.send('/topic no exam today');
  assert.match(await refused(amy, 'forbidden'), /topic of #lobby is locked/u);
  // Reading it is fine.
  amy.send('/topic');
  assert.match(
    await amy.next(),
    /^\* Topic of #lobby: Exam at 10 \(set by Op [\d-]+ [\d:]+ UTC\) \(locked: operators only\)$/u,
  );
  op.send('/topic Exam moved to 11');
  await amy.waitFor((l) => l.includes('Exam moved to 11'));
  await op.waitFor((l) => l.includes('Exam moved to 11'));

  op.send('/topic -unlock');
  assert.equal(
    await op.waitFor((l) => l.startsWith('* Topic')),
    '* Topic of #lobby: Exam moved to 11 (unlocked: anyone in it may change it)',
  );
  amy.send('/topic study group');
  assert.equal(await amy.next(), '* Topic of #lobby: study group');
});

test('a demotion made in the store stops /kick in the live session at once; a grant allows it', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'TA', OP_PW, true);
  const ta = await textLogin(t, server.port, 'TA', OP_PW);
  const amy = await textUser(t, server.port, 'Amy');
  await ta.waitFor((l) => l === '* Amy joined #lobby');
  // What `chat-server accounts operator TA --off` does to the database.
  assert.ok(await server.app.store.updateAccount('ta', { operator: false }));
  ta.send('/kick Amy');
  await expectTextError(ta, 'forbidden');
  ta.send('/topic -lock mine');
  await expectTextError(ta, 'forbidden');
  await textFence(amy);
  assert.ok(server.app.chat.users.has('amy'));
  assert.ok(await server.app.store.updateAccount('ta', { operator: true }));
  ta.send('/kick Amy');
  assert.match(await ta.waitFor((l) => l.includes('kicked')), /^\* Amy was kicked/u);
  await amy.waitClosed();
});

test('a password reset in the store ends the live session; the new password signs in', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Kim', 'old password');
  const kim = await jsonLogin(t, server.port, 'Kim', 'old password');
  const other = await textUser(t, server.port, 'Amy');
  // What `chat-server accounts passwd Kim` does; the server notices within seconds.
  assert.ok(
    await server.app.store.updateAccount('kim', { hash: await hashPassword('new password') }),
  );
  const told = await kim.waitForJson((o) => o.type === 'error', 15_000);
  assert.equal(told.code, 'auth_required');
  assert.match(String(told.message), /password of Kim was changed/u);
  await kim.waitClosed(15_000);
  assert.match(await other.waitFor((l) => l.includes('Kim')), /Kim quit \(signed out\)/u);
  await jsonLogin(t, server.port, 'Kim', 'new password');
});

test('/passwd changes your own password after checking the old one; the session goes on', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Kim', 'oldpassword1');
  const kim = await textLogin(t, server.port, 'Kim', 'oldpassword1');
  kim.send('/passwd wrongold new password 2');
  assert.equal(
    await expectTextError(kim, 'auth_failed'),
    '! The old password is wrong; the password was not changed [auth_failed]',
  );
  kim.send('/passwd oldpassword1 short');
  await expectTextError(kim, 'bad_request');
  kim.send('/passwd oldpassword1 new password 2');
  assert.equal(await kim.next(), '* Password changed for Kim');
  // The account watch sees the new hash as this session's own: it goes on.
  await server.app.chat.checkAccounts();
  await textFence(kim);
  const guest = await textUser(t, server.port, 'Amy');
  guest.send('/passwd whatever newpassword');
  await expectTextError(guest, 'bad_request');
  // The new password signs in (taking the alias over); the old one no longer does.
  const again = await jsonLogin(t, server.port, 'Kim', 'new password 2');
  await kim.waitClosed();
  again.close();
  const c = await raw(t, server.port);
  c.sendJson({ type: 'hello', version: 1, name: 'Kim', password: 'oldpassword1' });
  await expectJsonError(c, 'auth_failed');
});

test('a banned alias cannot be taken again with /nick (text or JSON) while the ban holds', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Op', OP_PW, true);
  const op = await textLogin(t, server.port, 'Op', OP_PW);
  const bob = await textUser(t, server.port, 'Bob');
  op.send('/ban Bob 10m being rude');
  await op.waitFor((l) => l === '* Bob is banned' || l.startsWith('* Bob is banned'));
  await bob.waitClosed();

  const guest = await textUser(t, server.port, 'Guesty');
  guest.send('/nick bob');
  const line = await refused(guest, 'forbidden');
  assert.match(line, /^! bob is banned until \d{4}-.*; pick another alias \[forbidden\]$/u);
  const bot = await raw(t, server.port);
  bot.sendJson({ type: 'hello', version: 1, name: 'Boty', history: 0 });
  await bot.waitForJson((o) => o.type === 'history');
  bot.sendJson({ type: 'nick', id: 'n', name: 'BOB' });
  await expectJsonError(bot, 'forbidden', 'n');

  op.send('/unban Bob');
  await op.waitFor((l) => l.includes('Bob') && !l.includes('banned until'));
  guest.send('/nick Bob');
  assert.equal(
    await guest.waitFor((l) => l.startsWith('* You are now')),
    '* You are now known as Bob',
  );
});

test('/ban and /mute: a word that is no duration is refused, not made part of a permanent ban; the ack says until when', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Op', OP_PW, true);
  const op = await textLogin(t, server.port, 'Op', OP_PW);
  for (const line of [
    '/ban zed4 1h30m combo',
    '/ban zed3 90 minutes',
    '/mute zed2 1h30m loud',
    '/ban zed5 10min flooding',
    '/mute zed6 1hr',
    '/mute zed7 -5m',
    '/mute zed8 5x no spam',
  ]) {
    op.send(line);
    const refusal = await refused(op, 'bad_request');
    assert.match(
      refusal,
      /^! Not a duration: (1h30m|90|10min|1hr|-5m|5x) \(use one number and unit/u,
      line,
    );
  }
  // Refusals in words, not an effect of nothing or the wrong code.
  for (const [line, pattern] of [
    ['/ban zed7 0m', /^! A duration must be more than 0/u],
    ['/mute zed7 0s', /^! A duration must be more than 0/u],
    ['/ban -addr 10.0.0.0/40', /^! Not an address or CIDR block: 10\.0\.0\.0\/40/u],
    ['/ban -addr 999.1.1.1', /^! Not an address or CIDR block: 999\.1\.1\.1/u],
    ['/kick Op', /^! You cannot kick yourself/u],
  ] as const) {
    op.send(line);
    assert.match(await refused(op, 'bad_request'), pattern, line);
  }
  op.send('/bans');
  assert.equal(await op.waitFor((l) => l.startsWith('* ')), '* No bans');
  op.send('/ban zed5 2h being rude');
  assert.match(
    await op.waitFor((l) => l.startsWith('* zed5')),
    /^\* zed5 is banned until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(this alias only: a guest can come back as another; \/ban -addr bans an address\)$/u,
  );
  op.send('/ban zed6 spamming links');
  assert.match(
    await op.waitFor((l) => l.startsWith('* zed6')),
    /^\* zed6 is banned \(this alias only/u,
  );
});

test('a muted user who comes back is told at once, after the welcome, that the mute still holds', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Op', OP_PW, true);
  const op = await textLogin(t, server.port, 'Op', OP_PW);
  const zed = await textUser(t, server.port, 'Zed');
  op.send('/mute Zed 30m too loud');
  await zed.waitFor((l) => l.startsWith('* You were muted'));
  zed.close();
  await zed.waitClosed();
  const again = await textUser(t, server.port, 'Zed');
  assert.match(
    await again.waitFor((l) => l.includes('muted')),
    /^\* You were muted by Op until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(too loud\)/u,
  );
  // Back without its session token, muted by its alias: a new alias does not lift it.
  again.send('/nick Zeta');
  await again.waitFor((l) => l.startsWith('* You are now known as Zeta'));
  again.send('still talking');
  assert.match(await refused(again, 'forbidden'), /You are muted by Op/u);
  op.send('/unmute Zeta');
  await again.waitFor((l) => l.startsWith('* You may speak in rooms again'));
  again.send('free again');
  await op.waitFor((l) => l.includes('<Zeta> free again'));
});

test('/mute of a name nobody online goes by says so: a typo mutes nobody who is here', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'Op', OP_PW, true);
  const op = await textLogin(t, server.port, 'Op', OP_PW);
  await textUser(t, server.port, 'Zed');
  await op.waitFor((l) => l === '* Zed joined #lobby');
  op.send('/mute Zedd');
  assert.equal(
    await op.waitFor((l) => l.includes('muted')),
    '* Zedd is muted (not online now: it applies when they sign in)',
  );
  op.send('/mute Zed');
  assert.equal(await op.waitFor((l) => l.includes('muted')), '* Zed is muted');
  await textFence(op);
});
