/**
 * docs/security.md "One server per database" and "Storage failures": the
 * lease cannot split (a paused holder keeps it on this host; a server whose
 * lease was taken stops serving), a killed-but-unreaped holder does not
 * block a restart, and a database that cannot be used is refused at start
 * with one clear line, no stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { processAlive } from '../../src/store/sqlite-lease.js';
import { LineClient } from '../helpers/line-client.js';
import { spawnServer } from '../helpers/server-process.js';
import { cleanEnv, SERVER_BIN, tempDir } from '../helpers/env.js';

/** Run chat-server to its exit (it must not start); returns its exit code and output. */
async function refusedStart(db: string): Promise<{ code: number | null; out: string }> {
  const p = spawn(process.execPath, [SERVER_BIN, '--port', '0', '--db', db], {
    env: cleanEnv(),
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(p, 'close')) as [number | null];
  return { code, out };
}

test('a killed process that is not reaped yet (a zombie) is dead to the lease', async (t) => {
  // A parent that never waits for its child keeps the child a zombie.
  const parent = spawn('python3', [
    '-c',
    'import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(30)',
  ]);
  t.after(() => parent.kill('SIGKILL'));
  const [chunk] = (await once(parent.stdout, 'data')) as [Buffer];
  const zombie = Number(chunk.toString().trim());
  for (;;) {
    const state = readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]?.[0];
    if (state === 'Z') break;
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(processAlive(zombie), false, 'a zombie holds nothing');
  assert.equal(processAlive(parent.pid!), true);
});

test('a paused holder keeps its lease on this host; a server whose lease was taken stops serving', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const first = await spawnServer(t, { db });
  // A stall longer than the lease: the row says "expired", the process is alive.
  process.kill(first.pid, 'SIGSTOP');
  t.after(() => {
    try {
      process.kill(first.pid, 'SIGCONT');
    } catch {
      // already gone
    }
  });
  const raw = new Database(db);
  raw.prepare('UPDATE server_lease SET expires = 0').run();
  const second = await refusedStart(db);
  assert.equal(second.code, 1);
  assert.match(second.out, new RegExp(`pid ${first.pid} .*is using it \\(it is not renewing`, 'u'));
  process.kill(first.pid, 'SIGCONT');

  // Another server took the lease (what a second host sharing the file would do).
  const c = await LineClient.json(first.port, 'Ann', { history: 0 });
  t.after(() => c.close());
  raw.prepare("UPDATE server_lease SET owner = 'someone-else'").run();
  raw.close();
  c.sendJson({ type: 'say', id: 's', text: 'lost?' });
  const err = await c.waitForJson((o) => o.id === 's');
  assert.deepEqual([err.code, err.detail], ['internal', 'unavailable'], JSON.stringify(err));
  await c.waitForJson((o) => o.type === 'system' && o.event === 'shutdown');
  const exit = await first.exited;
  assert.equal(exit.code, 1);
  assert.ok(
    first.log.some((l) => l.includes('"level":60') && l.includes('took over the message database')),
    first.log.join('\n'),
  );
});

test('a corrupt database is refused at start with one line, no stack trace', async (t) => {
  const db = join(tempDir(t), 'chat.db');
  const s = new Database(db);
  s.exec('CREATE TABLE filler (x TEXT); PRAGMA journal_mode = DELETE;');
  const fill = s.prepare('INSERT INTO filler VALUES (?)');
  for (let i = 0; i < 200; i++) fill.run('x'.repeat(500));
  s.close();
  // Keep the header (page 1), scribble over a later page.
  const bytes = readFileSync(db);
  bytes.fill(0xa5, 4096 * 3, 4096 * 3 + 2000);
  writeFileSync(db, bytes);
  const r = await refusedStart(db);
  assert.equal(r.code, 1);
  assert.match(r.out, /corrupt.*Restore it from a backup/u);
  assert.doesNotMatch(r.out, /\n\s+at /u, 'no stack trace');
});
