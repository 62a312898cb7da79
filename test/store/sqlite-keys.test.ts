/**
 * Idempotency keys of the SQLite store (src/store/sqlite-keys.ts): a key
 * keeps a digest of its message's text, not a copy, so a re-send after
 * retention dropped the message is still answered exactly; a commit's keys
 * are one chunk row; files written with copies (schema 5) or a row per key
 * (schema 7) keep answering re-sends after the upgrade.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/sqlite-migrations.js';
import { textDigest } from '../../src/store/sqlite-keys.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { NewMessage } from '../../src/store/store.js';

const dir = await mkdtemp(join(tmpdir(), 'chat-sqlite-keys-'));
after(() => rm(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `${++files}.db`);

function open(path: string, retention: number): SqliteStore {
  return new SqliteStore({ path, retention, publish: () => undefined });
}

/** A new file brought up to schema `version` by the migrations of that time, still open. */
function fileAt(version: number): { path: string; raw: Database.Database; epoch: string } {
  const path = freshPath();
  const raw = new Database(path);
  raw.pragma('journal_mode = WAL');
  for (const step of MIGRATIONS.slice(0, version)) step(raw);
  raw.pragma(`user_version = ${version}`);
  const epoch = raw.prepare("SELECT value FROM meta WHERE key = 'epoch'").pluck().get() as string;
  return { path, raw, epoch };
}

/** The file is at this build's schema, its keys in chunks only. */
function assertUpgraded(path: string): void {
  const check = new Database(path, { readonly: true });
  assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  const tables = check
    .prepare("SELECT name FROM sqlite_master WHERE name LIKE 'idempotency%' ORDER BY name")
    .pluck()
    .all();
  assert.deepEqual(tables, ['idempotency_chunks']);
  check.close();
}

function say(text: string, action = false): NewMessage {
  return { from: 'Alice', text, action, ts: 1_700_000_000_000 };
}

describe('SQLite idempotency keys', () => {
  test('a key row holds no copy of the text; a re-send after retention is answered from it', async () => {
    const path = freshPath();
    let store = open(path, 2);
    const first = await store.append('#a', say('the original', true), 'k');
    const dm = await store.append('@bob', { ...say('psst'), to: 'Bob' }, 'd');
    for (const text of ['b', 'c']) await store.append('#a', say(text));
    await store.append('@bob', { ...say('more'), to: 'Bob' });
    await store.append('@bob', { ...say('again'), to: 'Bob' });
    await store.close();

    const raw = new Database(path, { readonly: true });
    const chunks = raw.prepare('SELECT data FROM idempotency_chunks').pluck().all() as Buffer[];
    raw.close();
    assert.equal(chunks.length, 2, 'one row per commit that had keys');
    for (const data of chunks) {
      for (const text of ['the original', 'psst']) {
        assert.equal(data.includes(text), false, `no copy of ${JSON.stringify(text)}`);
      }
    }

    store = open(path, 2);
    assert.deepEqual(
      (await store.read('#a', 0, 10)).messages.map((m) => m.text),
      ['b', 'c'],
      'retention dropped the original',
    );
    const again = await store.append('#a', say('the original', true), 'k');
    assert.deepEqual([again.duplicate, again.message], [true, first.message]);
    assert.equal(again.epoch, first.epoch);
    const other = await store.append('#a', say('another text', true), 'k');
    assert.deepEqual([other.duplicate, other.message.seq, other.message.text], [true, 1, '']);
    const dmAgain = await store.original('d', { text: 'psst' });
    assert.deepEqual(dmAgain?.message, dm.message, 'a dm keeps its recipient');
    assert.equal((await store.original('d'))?.message.text, '', 'nothing to compare with');
    assert.equal((await store.append('#a', say('d'))).message.seq, 4, 'no re-send stored');
    await store.close();
  });

  test('a schema-5 file (keys with a copy of the text) answers re-sends after the upgrade', async () => {
    const { path, raw, epoch } = fileAt(5);
    // #a kept seq 7 and 8 only (ring slot = seq, as the schema-5 migration leaves them);
    // k1 names seq 1 (dropped), k8 names seq 8 (kept), old expired long ago.
    raw
      .prepare('INSERT INTO streams (stream, top, epoch, first) VALUES (?, ?, ?, ?)')
      .run('#a', 8, epoch, 7);
    const put = raw.prepare(
      'INSERT INTO history (stream, slot, seq, ts, sender, recipient, text, action) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const seq of [7, 8]) put.run('#a', seq, seq, 1000 + seq, 'Alice', null, `m${seq}`, 0);
    const key = raw.prepare(
      'INSERT INTO idempotency (key, at, stream, seq, ts, sender, recipient, text, action) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const now = Date.now();
    key.run('k1', now, '#a', 1, 1001, 'Alice', null, 'dropped long ago', 1);
    key.run('k8', now, '#a', 8, 1008, 'Alice', null, 'm8', 0);
    key.run('old', now - 3_600_000, '#a', 2, 1002, 'Alice', null, 'expired', 0);
    raw.close();

    const store = open(path, 100);
    const k1 = await store.append('#a', say('dropped long ago', true), 'k1');
    assert.deepEqual([k1.duplicate, k1.epoch], [true, epoch]);
    assert.deepEqual(k1.message, {
      stream: '#a',
      seq: 1,
      ts: 1001,
      from: 'Alice',
      text: 'dropped long ago',
      action: true,
    });
    assert.equal((await store.append('#a', say('not it', true), 'k1')).message.text, '');
    const k8 = await store.append('#a', say('whatever'), 'k8');
    assert.deepEqual([k8.duplicate, k8.message.seq, k8.message.text], [true, 8, 'm8']);
    const old = await store.append('#a', say('expired'), 'old');
    assert.deepEqual([old.duplicate, old.message.seq], [false, 9], 'an expired key is new');
    await store.close();

    assertUpgraded(path);
  });

  test('a schema-7 file (a row per key) answers re-sends after the upgrade', async () => {
    const { path, raw, epoch } = fileAt(7);
    raw
      .prepare('INSERT INTO streams (stream, top, epoch, first) VALUES (?, ?, ?, ?)')
      .run('#a', 600, epoch, 1);
    const key = raw.prepare(
      'INSERT INTO idempotency_keys (key, at, stream, seq, ts, sender, recipient, action, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const now = Date.now();
    // More keys than one migrated chunk holds, so the copy spans chunks.
    for (let seq = 1; seq <= 600; seq++) {
      key.run(
        `k${seq}`,
        now - 1000 + seq,
        '#a',
        seq,
        1000 + seq,
        'Zoë',
        null,
        0,
        textDigest(`m${seq}`),
      );
    }
    key.run('dm', now, '@bob', 3, 5000, 'Zoë', 'Bob', 1, textDigest('psst'));
    key.run('old', now - 3_600_000, '#a', 2, 1002, 'Zoë', null, 0, textDigest('expired'));
    raw.close();

    const store = open(path, 100);
    for (const seq of [1, 513, 600]) {
      const again = await store.original(`k${seq}`, { text: `m${seq}` });
      assert.deepEqual(again?.message, {
        stream: '#a',
        seq,
        ts: 1000 + seq,
        from: 'Zoë',
        text: `m${seq}`,
        action: false,
      });
      assert.equal(again?.epoch, epoch);
    }
    assert.deepEqual((await store.original('dm', { text: 'psst' }))?.message, {
      stream: '@bob',
      seq: 3,
      ts: 5000,
      from: 'Zoë',
      to: 'Bob',
      text: 'psst',
      action: true,
    });
    assert.equal(await store.original('old'), undefined, 'an expired key is new');
    assert.equal(await store.original('k0'), undefined);
    await store.close();

    assertUpgraded(path);
  });

  test('a key is found for its TTL, in a restarted store too; then its chunk is purged', async () => {
    let t = 1_000_000;
    const path = freshPath();
    const at = (): SqliteStore =>
      new SqliteStore({
        path,
        retention: 100,
        idempotencyTtlMs: 60_000,
        now: () => t,
        publish: () => undefined,
      });
    let store = at();
    const first = await store.append('#a', say('one'), 'k1');
    t += 30_000;
    await store.append('#a', say('two'), 'k2');
    assert.equal((await store.original('k1'))?.message.seq, first.message.seq);
    await store.close();

    store = at();
    assert.equal((await store.original('k1'))?.message.text, 'one', 'known after a restart');
    t += 31_000;
    assert.equal(await store.original('k1'), undefined, 'k1 is past its TTL');
    assert.equal((await store.original('k2'))?.message.text, 'two');
    // The next commit purges k1's chunk.
    await store.append('#a', say('three'));
    await store.close();
    const raw = new Database(path, { readonly: true });
    assert.equal(raw.prepare('SELECT count(*) FROM idempotency_chunks').pluck().get(), 1);
    raw.close();
  });
});
