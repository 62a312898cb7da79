/**
 * Issue 12 "accounts, operators and bans shared": `chat-server accounts
 * --redis URL` (or `redis:` in --config) manages the accounts of a cluster,
 * and a real `chat-server --redis` node sees them: logins, operator rights,
 * and the account watch signing out a removed account. An unreachable Redis
 * is one clear line and exit 1, as a missing --db file.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { accountsCli, type CliResult } from '../helpers/accounts.js';
import { tempDir } from '../helpers/env.js';
import { expectJsonError, raw } from '../helpers/fixtures.js';
import { RedisServer, redisMissing } from '../helpers/redis.js';
import { jsonLogin, textLogin } from '../helpers/security.js';
import { freePort, spawnServer } from '../helpers/server-process.js';

function expectExit(r: CliResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}; stdout: ${r.stdout}; stderr: ${r.stderr}`);
}

const missing = redisMissing();
if (missing) {
  test('accounts CLI on Redis', { skip: missing }, () => undefined);
} else {
  describe('chat-server accounts on Redis (cluster mode)', () => {
    test('accounts and operators made with --redis log in to a node; list, import, remove', async (t) => {
      const redis = await RedisServer.start();
      t.after(() => redis.destroy());
      const dir = tempDir(t);
      const onRedis = ['--redis', redis.url];

      // `redis:` from a config file, as `db:` is read today.
      const config = join(dir, 'chat.yaml');
      writeFileSync(config, `redis: ${redis.url}\n`);
      const csv = join(dir, 'class.csv');
      writeFileSync(csv, 'Student,student password\nHelper,helper password,operator\n');
      // Independent steps side by side: each CLI run is a process start and scrypt.
      const [boss0, added, imported, node] = await Promise.all([
        accountsCli(['add', 'Boss', '--operator', ...onRedis], 'boss password\n'),
        accountsCli(['add', 'Member', '--config', config], 'member password\n'),
        accountsCli(['import', csv, ...onRedis]),
        // The test Redis runs without AOF (speed); the startup check would refuse it.
        spawnServer(t, { db: join(dir, 'unused.db'), args: [...onRedis, '--redis-unsafe'] }),
      ]);
      expectExit(boss0, 0, 'add --operator');
      expectExit(added, 0, 'add with redis from --config');
      assert.match(added.stderr, /Redis redis:\/\/127\.0\.0\.1:\d+ \(config file /u);
      expectExit(imported, 0, 'import');
      assert.match(imported.stdout, /imported 2 account\(s\) \(1 operator\(s\)\)/u);

      const [again, list] = await Promise.all([
        accountsCli(['import', csv, ...onRedis]),
        accountsCli(['list', ...onRedis]),
      ]);
      assert.match(again.stdout, /imported 0 account\(s\), 2 already existed/u);
      expectExit(list, 0, 'list');
      const rows = list.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t').slice(0, 2).join(' '));
      assert.deepEqual(rows, ['Boss operator', 'Helper operator', 'Member user', 'Student user']);

      const wrong = await raw(t, node.port);
      wrong.sendJson({ type: 'hello', version: 1, name: 'Boss', password: 'not the password' });
      await expectJsonError(wrong, 'auth_failed');
      const boss = await textLogin(t, node.port, 'Boss', 'boss password');
      const member = await jsonLogin(t, node.port, 'Member', 'member password');
      const student = await jsonLogin(t, node.port, 'Student', 'student password');

      // Operator rights come from Redis: Member may not kick, Boss may.
      member.sendJson({ type: 'kick', id: 'k', name: 'Student' });
      const refused = await member.waitForJson((o) => o.id === 'k');
      assert.equal(refused.code, 'forbidden', JSON.stringify(refused));
      boss.send('/kick Student enough');
      await student.waitClosed();

      // Removed while online: the node's account watch (every 5 s) signs it out.
      expectExit(await accountsCli(['remove', 'Member', ...onRedis]), 0, 'remove');
      const out = await member.waitForJson((o) => o.type === 'error', 10_000);
      assert.match(String(out.message), /the account Member was removed/u, JSON.stringify(out));
      await member.waitClosed();
      boss.close();
    });

    test('across nodes, an account has one session whatever its alias, and a ban of that alias bans it', async (t) => {
      const redis = await RedisServer.start();
      t.after(() => redis.destroy());
      const dir = tempDir(t);
      const onRedis = ['--redis', redis.url];
      const [boss, kim, a, b] = await Promise.all([
        accountsCli(['add', 'Boss', '--operator', ...onRedis], 'boss password\n'),
        accountsCli(['add', 'Kim', ...onRedis], 'kim password\n'),
        spawnServer(t, { db: join(dir, 'a.db'), args: [...onRedis, '--redis-unsafe'] }),
        spawnServer(t, { db: join(dir, 'b.db'), args: [...onRedis, '--redis-unsafe'] }),
      ]);
      expectExit(boss, 0, 'add Boss');
      expectExit(kim, 0, 'add Kim');
      const first = await jsonLogin(t, a.port, 'Kim', 'kim password');
      first.sendJson({ type: 'nick', id: 'n', name: 'Kimberly' });
      assert.equal((await first.waitForJson((o) => o.id === 'n')).name, 'Kimberly');
      // Signing in on the other node takes the renamed session over.
      const second = await jsonLogin(t, b.port, 'Kim', 'kim password');
      const err = await first.waitForJson((o) => o.type === 'error', 10_000);
      assert.equal(err.code, 'alias_taken', JSON.stringify(err));
      await first.waitClosed();
      second.sendJson({ type: 'nick', id: 'n2', name: 'Kimmy' });
      assert.equal((await second.waitForJson((o) => o.id === 'n2')).name, 'Kimmy');
      // An operator on the first node bans the alias: the account is banned.
      const op = await textLogin(t, a.port, 'Boss', 'boss password');
      // Across nodes too, /whois names the account and a dm to it is live.
      op.send('/whois Kimmy');
      assert.match(await op.waitFor((l) => l.includes('registered')), /\(account Kim\)/u);
      op.send('/msg Kim are you there');
      const dm = await second.waitForJson((o) => o.type === 'private', 10_000);
      assert.equal(dm.text, 'are you there');
      // Replies come in request order: an "offline" notice would come before this one.
      op.send('/whois Kimmy');
      await op.waitFor((l) => l.includes('registered'));
      assert.equal(
        op.lines.some((l) => l.includes('offline')),
        false,
        op.lines.join('\n'),
      );
      // A mute of the account's name while it goes by another alias on the
      // other node: online, so no "not online now", and told there at once.
      op.send('/mute Kim 5m');
      assert.match(
        await op.waitFor((l) => l.includes('is muted')),
        /^\* Kim is muted until [^(]+$/u,
      );
      await second.waitForJson((o) => o.type === 'system' && o.event === 'mute');
      op.send('/unmute Kim');
      await op.waitFor((l) => l.includes('may speak again'));
      await second.waitForJson((o) => o.type === 'system' && o.event === 'unmute');
      // A mute of the alias mutes the account on its node, and says so there at once.
      op.send('/mute Kimmy 5m');
      assert.match(await op.waitFor((l) => l.includes('is muted')), /^\* Kimmy is muted until /u);
      const muted = await second.waitForJson((o) => o.type === 'system' && o.event === 'mute');
      assert.equal(muted.by, 'Boss');
      second.sendJson({ type: 'say', id: 'm1', text: 'let me talk' });
      assert.equal((await expectJsonError(second, 'forbidden', 'm1')).code, 'forbidden');
      op.send('/unmute Kimmy');
      await op.waitFor((l) => l.includes('may speak again'));
      await second.waitForJson((o) => o.type === 'system' && o.event === 'unmute');
      op.send('/ban Kimmy 10m');
      assert.match(await op.waitFor((l) => l.includes('is banned')), /^\* Kim is banned until /u);
      await second.waitClosed();
      const again = await raw(t, b.port);
      again.sendJson({ type: 'hello', version: 1, name: 'Kim', password: 'kim password' });
      await expectJsonError(again, 'banned');
      // The alias it was banned under lifts the ban.
      op.send('/unban Kimmy');
      assert.equal(await op.waitFor((l) => l.includes('no longer')), '* Kimmy is no longer banned');
    });

    test('an unreachable Redis is one line naming it, exit 1, no stack', async () => {
      const port = await freePort();
      const r = await accountsCli(['list', '--redis', `redis://127.0.0.1:${port}`]);
      expectExit(r, 1, 'list on an unreachable Redis');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(
        lines[0]!,
        new RegExp(
          `^chat-server accounts: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(from command line --redis\\): .*ECONNREFUSED.*; start Redis or give --redis URL`,
          'u',
        ),
      );
      const c = await accountsCli(['list', '--redis-cluster', `127.0.0.1:${port}`]);
      expectExit(c, 1, 'list on an unreachable Redis Cluster');
      assert.match(c.stderr, /^chat-server accounts: cannot reach Redis at 127\.0\.0\.1:\d+ /u);
      assert.doesNotMatch(r.stderr + c.stderr, /\n\s+at /u);
    });
  });
}
