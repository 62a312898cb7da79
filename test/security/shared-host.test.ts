/**
 * docs/security.md "Login limits" on a shared host: every local user
 * connects from 127.0.0.1, so a wrong password on a loopback connection
 * counts against the local user that made it (server/local-user.ts), not
 * against the address: a student guessing the teacher's password locks it
 * for that student only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { platform } from 'node:os';
import { test } from 'node:test';
import { isLoopbackAddress, loopbackUid } from '../../src/server/local-user.js';
import { serve } from '../helpers/fixtures.js';
import { LineClient } from '../helpers/line-client.js';
import { createAccount } from '../helpers/security.js';

const HEAD =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

test('loopbackUid reads the owner of the client end from the socket tables', () => {
  // 127.0.0.1:40000 -> 127.0.0.1:50000 (uid 1001), the server's end (uid 0), and a
  // non-loopback socket with the same ports (ignored).
  const v4 = [
    HEAD,
    '   0: 0100007F:C350 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 11 1',
    '   1: 0200000A:9C40 0100000A:C350 01 00000000:00000000 00:00000000 00000000   999        0 12 1',
    '   2: 0100007F:9C40 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1001        0 13 1',
  ].join('\n');
  assert.equal(loopbackUid(40000, 50000, [v4]), 1001);
  assert.equal(loopbackUid(40001, 50000, [v4]), undefined);
  // ::1 and ::ffff:127.0.0.1 in the IPv6 table.
  const v6 = [
    HEAD,
    '   0: 00000000000000000000000001000000:9C41 00000000000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000  1002        0 14 1',
    '   1: 0000000000000000FFFF00000100007F:9C42 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000  1003        0 15 1',
  ].join('\n');
  assert.equal(loopbackUid(40001, 50000, ['', v6]), 1002);
  assert.equal(loopbackUid(40002, 50000, [v6]), 1003);
  assert.ok(isLoopbackAddress('127.0.0.1') && isLoopbackAddress('::1'));
  assert.ok(isLoopbackAddress('::ffff:127.0.0.2'));
  assert.equal(isLoopbackAddress('10.0.0.1'), false);
});

/** A JSON login as `name` from a process running as `uid`: its first answer's type and code. */
function loginAs(uid: number, port: number, name: string, password: string): Promise<string> {
  const script = `
    const s = require('node:net').connect(${port}, '127.0.0.1');
    s.write(JSON.stringify({ type: 'hello', version: 1, name: ${JSON.stringify(name)}, password: ${JSON.stringify(password)}, history: 0 }) + '\\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\\n').slice(0, -1)) {
        if (!line.startsWith('{')) continue; // the banner
        const o = JSON.parse(line);
        if (o.type === 'welcome' || o.type === 'error') { console.log(o.type + ' ' + (o.code ?? '')); s.destroy(); return; }
      }
    });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { uid, gid: uid, cwd: '/' });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => resolve(out.trim()));
  });
}

const why =
  platform() !== 'linux'
    ? 'the socket tables are Linux'
    : process.getuid?.() !== 0
      ? 'a second local user needs root to run a process as nobody'
      : false;

test(
  'a local user guessing an account on loopback locks it for that local user only',
  { skip: why },
  async (t) => {
    const server = await serve(t, { loginFreeFailures: 1000 });
    await createAccount(server, 'Teacher', 'the teacher password');
    // The guesser: this process (root). Ten wrong passwords lock Teacher for it.
    for (let i = 0; i < 10; i++) {
      const c = await LineClient.connect(server.port);
      c.sendJson({ type: 'hello', version: 1, name: 'Teacher', password: `guess ${i}` });
      const answer = await c.waitForJson((o) => o.type === 'error');
      assert.equal(answer.code, 'auth_failed');
      c.close();
    }
    assert.equal(
      await loginAs(0, server.port, 'Teacher', 'the teacher password'),
      'error rate_limited',
      'locked for the guesser, even with the right password',
    );
    // The teacher, another local user on the same 127.0.0.1: still gets in.
    assert.equal(await loginAs(65534, server.port, 'Teacher', 'the teacher password'), 'welcome');
  },
);

test(
  'a local user spraying guesses across accounts locks itself, not the others on the host',
  { skip: why },
  async (t) => {
    const server = await serve(t, { loginFreeFailures: 1000, loginAddressFailures: 4 });
    for (const name of ['Ann', 'Ben', 'Cat', 'Dan', 'Teacher'])
      await createAccount(server, name, `${name} password`);
    for (const name of ['Ann', 'Ben', 'Cat', 'Dan'])
      assert.equal(await loginAs(65534, server.port, name, 'guess'), 'error auth_failed');
    assert.equal(
      await loginAs(65534, server.port, 'Teacher', 'Teacher password'),
      'error rate_limited',
      'the sprayer is locked, even with a right password',
    );
    assert.equal(await loginAs(0, server.port, 'Teacher', 'Teacher password'), 'welcome');
    const guest = await LineClient.connect(server.port);
    t.after(() => guest.close());
    guest.sendJson({ type: 'hello', version: 1, name: 'Visitor' });
    assert.equal(
      (await guest.waitForJson((o) => o.type === 'welcome' || o.type === 'error')).type,
      'welcome',
    );
  },
);
