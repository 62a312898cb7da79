/**
 * Issue 5 item 3, docs/protocol.md §3/§6: operators (`chat-server accounts add
 * NAME --operator`) may /kick, /ban (an account, or a guest's alias) and
 * /unban; everyone else gets `forbidden`; bans survive a restart of the real
 * server binary on the same --db.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { addAccount } from '../helpers/accounts.js';
import { expectJsonError, expectTextError, textErrorCode, textFence } from '../helpers/fixtures.js';
import { attackerAddress, clientFrom } from '../helpers/hostile.js';
import { LineClient } from '../helpers/line-client.js';
import { jsonLogin, textLogin } from '../helpers/security.js';
import { spawnServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/env.js';

const OP_PW = 'operator password';
const CAROL_PW = 'carol password';
const GUEST_ADDRESS = attackerAddress(5);

/** A text-mode guest from `from`, past its welcome. */
async function guestFrom(
  t: TestContext,
  port: number,
  from: string,
  alias: string,
): Promise<LineClient> {
  const c = await clientFrom(t, port, from);
  c.send(alias);
  await c.waitFor((l) => l.startsWith('* Welcome'));
  return c;
}

/** Connect from `from` as `alias` (with a password, JSON) and expect a final `banned`. */
async function expectBanned(
  t: TestContext,
  port: number,
  from: string,
  alias: string,
  password?: string,
): Promise<void> {
  const c = await clientFrom(t, port, from);
  c.sendJson({ type: 'hello', version: 1, name: alias, ...(password && { password }) });
  await expectJsonError(c, 'banned');
  await c.waitClosed();
}

test('operators kick and ban, others are forbidden, bans survive a restart, /unban lifts them', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  await addAccount(db, 'Op', OP_PW, true);
  await addAccount(db, 'Carol', CAROL_PW);
  const first = await spawnServer(t, { db });

  const op = await textLogin(t, first.port, 'Op', OP_PW);
  const carol = await jsonLogin(t, first.port, 'Carol', CAROL_PW);
  const bob = await LineClient.text(first.port, 'Bob');
  t.after(() => bob.close());
  const mallory = await guestFrom(t, first.port, GUEST_ADDRESS, 'Mallory');

  // Everyone else: forbidden, in both modes, and nothing happens.
  for (const [type, extra] of [
    ['kick', { reason: 'no' }],
    ['ban', {}],
    ['unban', {}],
  ] as const) {
    carol.sendJson({ type, id: `c-${type}`, name: 'Bob', ...extra });
    const reply = await carol.waitForJson((o) => o.id === `c-${type}`);
    assert.equal(reply.code, 'forbidden', JSON.stringify(reply));
  }
  for (const cmd of ['/kick Bob', '/ban Bob', '/unban Bob']) {
    mallory.send(cmd);
    const line = await mallory.waitFor((l) => l.startsWith('! '));
    assert.equal(textErrorCode(line), 'forbidden', `${cmd}: ${line}`);
  }
  bob.send('/who');
  assert.match(await bob.waitFor((l) => l.startsWith('* 4 users')), /Bob/u);

  // /kick: the target is told why and closed; the others see it; Bob may come
  // back. The operator, the room and the kicked read one and the same line
  // (issue 9.10): who kicked whom and why, and the operator only that line.
  op.send('/kick Bob spamming');
  assert.equal(await op.waitFor((l) => l.includes('kicked')), '* Bob was kicked by Op (spamming)');
  assert.equal(await bob.waitFor((l) => l.includes('kicked')), '* Bob was kicked by Op (spamming)');
  await textFence(op);
  await bob.waitClosed();
  const kicked = await carol.waitForJson((o) => o.event === 'kick');
  assert.equal(kicked.user, 'Bob');
  assert.equal(kicked.by, 'Op');
  const back = await LineClient.text(first.port, 'Bob');
  back.close();

  // /ban of an account, and of a guest (by alias, not address); operators cannot be banned.
  op.send('/ban Carol');
  await op.waitFor((l) => l === '* Carol is banned');
  // A ban with no duration says so to whoever it puts out.
  const told = await carol.waitForJson((o) => o.event === 'kick' && o.user === 'Carol');
  assert.equal(told.reason, 'banned until an operator lifts it');
  await carol.waitClosed();
  op.send('/ban Mallory');
  await op.waitFor((l) => l.startsWith('* Mallory is banned'));
  await mallory.waitClosed();
  op.send('/ban Op');
  await expectTextError(op, 'forbidden');
  // Someone who is not online (never was, or just left) can be banned by name.
  op.send('/ban Zed');
  await op.waitFor((l) => l.startsWith('* Zed is banned'));

  await expectBanned(t, first.port, '127.0.0.1', 'Carol', CAROL_PW);
  await expectBanned(t, first.port, GUEST_ADDRESS, 'Mallory');
  await expectBanned(t, first.port, attackerAddress(9), 'Zed');
  // The banned guest's address is not banned: another guest from it gets in.
  (await guestFrom(t, first.port, GUEST_ADDRESS, 'Someone')).close();
  (await LineClient.text(first.port, 'Dora')).close();

  // The same database, a new process: the bans are still there.
  const exit = await first.stop('SIGTERM');
  assert.equal(exit.code, 0);
  const second = await spawnServer(t, { db });
  await expectBanned(t, second.port, '127.0.0.1', 'Carol', CAROL_PW);
  await expectBanned(t, second.port, GUEST_ADDRESS, 'Mallory');

  const op2 = await textLogin(t, second.port, 'Op', OP_PW);
  op2.send('/unban Carol');
  await op2.waitFor((l) => l === '* Carol is no longer banned');
  op2.send('/unban Mallory');
  await op2.waitFor((l) => l === '* Mallory is no longer banned');
  op2.send('/unban Carol');
  await expectTextError(op2, 'not_found');
  await jsonLogin(t, second.port, 'Carol', CAROL_PW);
  await guestFrom(t, second.port, GUEST_ADDRESS, 'Mallory');
});
