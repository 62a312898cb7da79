import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/store/sqlite-migrations.js';
import { PAGE_SIZE } from '../../src/store/sqlite-open.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { SqliteStoreOptions } from '../../src/store/sqlite-store.js';
import { StoreError } from '../../src/store/store-error.js';
import type { NewMessage, StoredMessage } from '../../src/store/store.js';

const dir = await mkdtemp(join(tmpdir(), 'chat-sqlite-store-'));
after(() => rm(dir, { recursive: true, force: true }));
let files = 0;

/** A path for a database file that does not exist yet. */
function freshPath(): string {
  return join(dir, `${++files}.db`);
}

/** A store on `path` that records what it publishes. */
function openStore(
  path: string,
  options: Partial<SqliteStoreOptions> = {},
): { store: SqliteStore; published: StoredMessage[] } {
  const published: StoredMessage[] = [];
  const store = new SqliteStore({ path, publish: (m) => published.push(m), ...options });
  return { store, published };
}

/** A room message. */
function say(text: string): NewMessage {
  return { from: 'Alice', text, action: false, ts: 1_700_000_000_000 };
}

/** A matcher for assert.throws/rejects: a StoreError of this kind whose message contains `text`. */
function storeError(failure: StoreError['failure'], text: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(
      err.userCode,
      failure === 'full' || failure === 'lease' ? 'unavailable' : 'internal',
    );
    assert.equal(err.failure, failure);
    assert.ok(err.message.includes(text), `"${err.message}" should mention "${text}"`);
    return true;
  };
}

describe('SqliteStore file handling', () => {
  test('a new file gets a new epoch; reopening keeps it', async () => {
    const pathA = freshPath();
    const a = openStore(pathA).store;
    const epochA = (await a.append('#a', say('x'))).epoch;
    await a.close();
    const b = openStore(freshPath()).store;
    const epochB = (await b.append('#a', say('x'))).epoch;
    await b.close();
    assert.notEqual(epochA, epochB);
    const again = openStore(pathA).store;
    assert.equal((await again.read('#a', 0, 1)).epoch, epochA);
    await again.close();
  });

  test('a file made with 4 KB pages keeps them, and its messages', async () => {
    const path = freshPath();
    const old = new Database(path);
    old.pragma('page_size = 4096');
    old.pragma('journal_mode = WAL');
    old.close();
    const a = openStore(path).store;
    await a.append('#a', say('kept'));
    await a.close();
    const b = openStore(path).store;
    assert.deepEqual(
      (await b.read('#a', 0, 10)).messages.map((m) => m.text),
      ['kept'],
    );
    await b.close();
    const raw = new Database(path, { readonly: true });
    assert.equal(raw.pragma('page_size', { simple: true }), 4096);
    raw.close();
  });

  test('an empty file is migrated to the current schema, in WAL mode', async () => {
    const path = freshPath();
    await writeFile(path, '');
    const { store } = openStore(path);
    assert.equal((await store.append('#a', say('x'))).message.seq, 1);
    await store.close();
    const raw = new Database(path, { readonly: true });
    try {
      assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(raw.pragma('page_size', { simple: true }), PAGE_SIZE);
      const tables = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all();
      assert.deepEqual(tables, [
        'accounts',
        'audit',
        'bans',
        'history_chunks',
        'idempotency_chunks',
        'ignores',
        'meta',
        'mutes',
        'server_lease',
        'streams',
        'topic_locks',
        'topics',
      ]);
    } finally {
      raw.close();
    }
  });

  test('a file that is not a database gives an error naming the path and the fix', async () => {
    const path = freshPath();
    await writeFile(path, 'this is a chat log, not a database\n'.repeat(200));
    assert.throws(() => openStore(path), storeError('open', path));
    assert.throws(() => openStore(path), storeError('open', 'not a SQLite database'));
  });

  test('a path in a missing directory gives an error naming the path', () => {
    const path = join(dir, 'no-such-dir', 'chat.db');
    assert.throws(() => openStore(path), storeError('open', path));
  });

  test('a database written by a newer schema is refused', async () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(() => openStore(path), storeError('open', 'newer'));
  });

  test('a second store on a file in use fails instead of sharing it', async () => {
    const path = freshPath();
    const first = openStore(path).store;
    await first.append('#a', say('x'));
    assert.throws(() => openStore(path, { lockTimeoutMs: 20 }), storeError('open', 'is using it'));
    await first.close();
    const second = openStore(path).store;
    assert.equal((await second.read('#a', 0, 1)).top, 1);
    await second.close();
  });
});

describe('SqliteStore lifecycle and failures', () => {
  test('close flushes pending appends; calls after close reject clearly', async () => {
    const { store, published } = openStore(':memory:');
    const pending = store.append('#a', say('last'));
    await store.close();
    assert.equal((await pending).message.seq, 1);
    assert.equal(published.length, 1);
    const closed = storeError('closed', 'closed');
    await assert.rejects(store.append('#a', say('late')), closed);
    await assert.rejects(store.read('#a', 0, 1), closed);
    await assert.rejects(store.readBefore('#a', undefined, 1), closed);
    await store.close();
  });

  test('a failed transaction rejects its whole batch and leaves no seq gap', async () => {
    const path = freshPath();
    await openStore(path).store.close();
    const raw = new Database(path);
    // A chunk holding the text 'boom' (sqlite-chunk.ts stores texts as UTF-8).
    raw.exec(`CREATE TRIGGER boom BEFORE INSERT ON history_chunks
              WHEN instr(NEW.data, CAST('boom' AS BLOB)) > 0
              BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    raw.close();

    const { store, published } = openStore(path);
    const batch = [
      store.append('#a', say('ok')),
      store.append('#a', say('boom')),
      store.append('#b', say('other'), 'kb'),
    ];
    const failed = storeError('write', 'disk on fire');
    for (const p of batch) await assert.rejects(p, failed);
    assert.deepEqual(published, []);

    assert.equal((await store.append('#a', say('ok again'))).message.seq, 1);
    const b = await store.append('#b', say('other'), 'kb');
    assert.equal(b.duplicate, false, 'a key of a failed batch was never recorded');
    assert.equal(b.message.seq, 1);
    const a = await store.read('#a', 0, 10);
    assert.equal(a.top, 1);
    assert.deepEqual(
      a.messages.map((m) => m.text),
      ['ok again'],
    );
    await store.close();
  });
});

/**
 * Appends forever to two streams, each with an idempotency key, and prints
 * `stream seq key` for every append whose promise resolved (i.e. was acked).
 */
const CHILD = `
import { SqliteStore } from ${JSON.stringify(new URL('../../src/store/sqlite-store.js', import.meta.url).href)};
const store = new SqliteStore({ path: process.env.DB_PATH, publish: () => {} });
let n = 0;
for (;;) {
  await Promise.all(Array.from({ length: 25 }, () => {
    const i = n++;
    const msg = { from: 'crash', text: 'm' + i, action: false, ts: Date.now() };
    return store.append(i % 3 ? '#a' : '#b', msg, 'k' + i)
      .then((r) => process.stdout.write(r.message.stream + ' ' + r.message.seq + ' ' + i + '\\n'));
  }));
}
`;

describe('SqliteStore crash safety', () => {
  test('after kill -9 mid-traffic every acked append is there and seq continues', async () => {
    const path = freshPath();
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, DB_PATH: path },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.split('\n').length > 2000) child.kill('SIGKILL');
    });
    const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL', `the child should be killed mid-traffic, not exit (${code})`);
    assert.ok(existsSync(`${path}-wal`), 'the crash left a WAL to recover');

    // The last line may be cut short by the kill; only whole lines were acks.
    const acked = out
      .split('\n')
      .slice(0, -1)
      .map((line) => {
        const [stream = '', seq = '', i = ''] = line.split(' ');
        return { stream, seq: Number(seq), i: Number(i) };
      });
    assert.ok(acked.length >= 2000);

    const { store } = openStore(path);
    for (const stream of ['#a', '#b']) {
      const r = await store.read(stream, 0, Infinity);
      assert.deepEqual(
        r.messages.map((m) => m.seq),
        Array.from({ length: r.top }, (_, k) => k + 1),
        `${stream} is complete up to its top`,
      );
      const texts = new Map(r.messages.map((m) => [m.seq, m.text]));
      for (const a of acked.filter((x) => x.stream === stream)) {
        assert.equal(texts.get(a.seq), `m${a.i}`, `acked ${stream} ${a.seq} survived`);
      }
      assert.equal((await store.append(stream, say('after'))).message.seq, r.top + 1);
    }
    const last = acked[acked.length - 1];
    assert.ok(last);
    const resent = await store.append(last.stream, say('re-sent'), `k${last.i}`);
    assert.equal(resent.duplicate, true, 'idempotency keys survive the crash too');
    assert.equal(resent.message.seq, last.seq);
    await store.close();
  });
});
