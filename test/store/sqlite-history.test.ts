/**
 * The SQLite history (src/store/sqlite-history.ts, chunks of a commit's
 * messages per stream): reads across chunk edges, exact retention, a
 * retention changed between runs, and files written before the chunks
 * (schema 4's table, schema 6's ring of slots) opening with their history
 * intact.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Checkpointer } from '../../src/store/sqlite-checkpointer.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/sqlite-migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { NewMessage } from '../../src/store/store.js';

const dir = await mkdtemp(join(tmpdir(), 'chat-sqlite-history-'));
after(() => rm(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `${++files}.db`);

function open(path: string, retention: number): SqliteStore {
  return new SqliteStore({ path, retention, publish: () => undefined });
}

function say(text: string): NewMessage {
  return { from: 'Alice', text, action: false, ts: 1_700_000_000_000 };
}

/** Append `count` messages texted `m<seq>`, `perTurn` of them per batch. */
async function fill(store: SqliteStore, stream: string, count: number, perTurn: number) {
  let left = count;
  while (left > 0) {
    const n = Math.min(perTurn, left);
    left -= n;
    const top = (await store.read(stream, 0, 0)).top;
    await Promise.all(
      Array.from({ length: n }, (_, k) => store.append(stream, say(`m${top + k + 1}`))),
    );
  }
}

const range = (lo: number, hi: number): number[] =>
  Array.from({ length: Math.max(0, hi - lo + 1) }, (_, k) => lo + k);

describe('SQLite history', () => {
  test('every forward and backward read across the wrap matches exact retention', async () => {
    for (const [retention, count, perTurn] of [
      [1, 4, 1],
      [3, 11, 2],
      [5, 13, 7], // a batch longer than the ring: later slots overwrite earlier ones in one commit
      [7, 30, 4],
      // Batches of 16 rows go in one statement (sqlite-rows.ts): full sets, a
      // remainder, and slots overwritten within one statement.
      [5, 60, 40],
      [50, 130, 37],
      [16, 48, 16],
    ] as const) {
      const store = open(':memory:', retention);
      await fill(store, '#a', count, perTurn);
      await fill(store, '#b', 2, 1); // another stream's slots do not mix in
      const first = count - retention + 1;
      const all = await store.read('#a', 0, Infinity);
      assert.equal(all.firstRetained, first, `retention ${retention}`);
      assert.deepEqual(
        all.messages.map((m) => [m.seq, m.text]),
        range(first, count).map((s) => [s, `m${s}`]),
      );
      for (let from = 0; from <= count + 1; from++) {
        for (const limit of [1, 2, retention, Infinity]) {
          const forward = await store.read('#a', from, limit);
          const want = range(Math.max(from + 1, first), count).slice(0, limit);
          assert.deepEqual(
            forward.messages.map((m) => m.seq),
            want,
            `after ${from} × ${limit}`,
          );
          const back = await store.readBefore('#a', from, limit);
          const all = range(first, Math.min(from - 1, count));
          const wantBack = limit === Infinity ? all : all.slice(Math.max(0, all.length - limit));
          assert.deepEqual(
            back.messages.map((m) => m.seq),
            wantBack,
            `before ${from} × ${limit}`,
          );
        }
      }
      await store.close();
    }
  });

  test('one batch of interleaved streams, longer than a multi-row statement, keeps each stream apart', async () => {
    const store = open(':memory:', 10);
    const streams = ['#a', '#b', '@carol'];
    await Promise.all(
      Array.from({ length: 45 }, (_, k) => store.append(streams[k % 3]!, say(`k${k}`))),
    );
    for (const [i, stream] of streams.entries()) {
      const got = await store.read(stream, 0, Infinity);
      const want = range(0, 44).filter((k) => k % 3 === i);
      assert.deepEqual(
        got.messages.map((m) => [m.seq, m.text]),
        want.slice(-10).map((k) => [Math.floor(k / 3) + 1, `k${k}`]),
        stream,
      );
    }
    await store.close();
  });

  test('a retention changed between runs keeps the newest messages and an exact firstRetained', async () => {
    const path = freshPath();
    let store = open(path, 5);
    await fill(store, '#a', 12, 3);
    await store.close();

    // Grown: only 8..12 were kept, so the first retained stays 8 until the ring fills.
    store = open(path, 8);
    let r = await store.read('#a', 0, Infinity);
    assert.equal(r.firstRetained, 8);
    assert.deepEqual(
      r.messages.map((m) => m.text),
      ['m8', 'm9', 'm10', 'm11', 'm12'],
    );
    await fill(store, '#a', 3, 2);
    assert.equal((await store.read('#a', 0, Infinity)).firstRetained, 8);
    await fill(store, '#a', 5, 5);
    r = await store.read('#a', 0, Infinity);
    assert.equal(r.firstRetained, 13);
    assert.deepEqual(
      r.messages.map((m) => m.seq),
      range(13, 20),
    );
    await store.close();

    // Shrunk: the newest 3.
    store = open(path, 3);
    r = await store.read('#a', 0, Infinity);
    assert.equal(r.firstRetained, 18);
    assert.deepEqual(
      r.messages.map((m) => m.text),
      ['m18', 'm19', 'm20'],
    );
    assert.equal((await store.append('#a', say('m21'))).message.seq, 21);
    assert.deepEqual(
      (await store.readBefore('#a', undefined, 2)).messages.map((m) => m.seq),
      [20, 21],
    );
    await store.close();
  });

  test('a schema-4 file (messages table, trimmed) opens with its history, keys and epoch', async () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    for (const step of MIGRATIONS.slice(0, 4)) step(raw);
    raw.pragma('user_version = 4');
    const epoch = raw.prepare("SELECT value FROM meta WHERE key = 'epoch'").pluck().get() as string;
    // #a kept seqs 4..10 (1..3 trimmed); @bob has a private message; #c has a top and nothing kept.
    raw.prepare('INSERT INTO streams (stream, top, epoch) VALUES (?, ?, ?)').run('#a', 10, epoch);
    raw.prepare('INSERT INTO streams (stream, top, epoch) VALUES (?, ?, ?)').run('@bob', 1, epoch);
    raw.prepare('INSERT INTO streams (stream, top, epoch) VALUES (?, ?, ?)').run('#c', 4, epoch);
    const insert = raw.prepare(
      'INSERT INTO messages (stream, seq, ts, sender, recipient, text, action) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const seq of range(4, 10)) insert.run('#a', seq, 1000 + seq, 'Alice', null, `m${seq}`, 0);
    insert.run('@bob', 1, 2000, 'Alice', 'Bob', 'psst', 1);
    raw
      .prepare(
        'INSERT INTO idempotency (key, at, stream, seq, ts, sender, recipient, text, action) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run('k10', Date.now(), '#a', 10, 1010, 'Alice', null, 'm10', 0);
    raw.close();

    let store = open(path, 100);
    let a = await store.read('#a', 0, Infinity);
    assert.equal(a.epoch, epoch);
    assert.equal(a.firstRetained, 4);
    assert.deepEqual(
      a.messages.map((m) => [m.seq, m.ts, m.from, m.text, m.action, m.to]),
      range(4, 10).map((s) => [s, 1000 + s, 'Alice', `m${s}`, false, undefined]),
    );
    const bob = await store.read('@bob', 0, 10);
    assert.deepEqual(
      bob.messages.map((m) => [m.seq, m.from, m.to, m.text, m.action]),
      [[1, 'Alice', 'Bob', 'psst', true]],
    );
    const c = await store.read('#c', 0, 10);
    assert.deepEqual([c.top, c.firstRetained, c.messages.length], [4, 5, 0]);
    const again = await store.append('#a', say('re-sent'), 'k10');
    assert.deepEqual([again.duplicate, again.message.seq, again.message.text], [true, 10, 'm10']);
    assert.equal((await store.append('#a', say('m11'))).message.seq, 11);
    await store.close();

    // Reopened with a smaller retention: re-slotted once more, still exact.
    store = open(path, 4);
    a = await store.read('#a', 0, Infinity);
    assert.equal(a.firstRetained, 8);
    assert.deepEqual(
      a.messages.map((m) => m.text),
      ['m8', 'm9', 'm10', 'm11'],
    );
    await store.close();

    const check = new Database(path, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    check.close();
  });

  test('a schema-6 file (a ring of slots that has wrapped) opens with every kept message', async () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    for (const step of MIGRATIONS.slice(0, 6)) step(raw);
    raw.pragma('user_version = 6');
    const epoch = raw.prepare("SELECT value FROM meta WHERE key = 'epoch'").pluck().get() as string;
    raw.prepare("INSERT INTO meta (key, value) VALUES ('history_ring', '300')").run();
    // #a: a ring of 300 slots holding seqs 401..700 (wrapped: slot = seq % 300), so
    // slot paging meets the wrap inside a page; @dan: two private messages.
    const stream = raw.prepare(
      'INSERT INTO streams (stream, top, epoch, first) VALUES (?, ?, ?, ?)',
    );
    stream.run('#a', 700, epoch, 401);
    stream.run('@dan', 2, epoch, 1);
    const put = raw.prepare(
      'INSERT INTO history (stream, slot, seq, ts, sender, recipient, text, action) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const seq of range(401, 700)) {
      put.run(
        '#a',
        seq % 300,
        seq,
        1000 + seq,
        seq % 2 ? 'Zoë' : 'Al',
        null,
        `m${seq} ✓`,
        seq % 7 ? 0 : 1,
      );
    }
    put.run('@dan', 1, 1, 5, 'Al', 'Dan', 'psst', 0);
    put.run('@dan', 2, 2, 6, 'Zoë', 'Dan', '', 1);
    raw.close();

    const store = open(path, 300);
    const a = await store.read('#a', 0, Infinity);
    assert.equal(a.firstRetained, 401);
    assert.deepEqual(
      a.messages.map((m) => [m.seq, m.ts, m.from, m.text, m.action, m.to]),
      range(401, 700).map((s) => [
        s,
        1000 + s,
        s % 2 ? 'Zoë' : 'Al',
        `m${s} ✓`,
        s % 7 === 0,
        undefined,
      ]),
    );
    assert.deepEqual(
      (await store.readBefore('#a', 600, 3)).messages.map((m) => m.seq),
      [597, 598, 599],
    );
    assert.deepEqual(
      (await store.read('@dan', 0, 10)).messages.map((m) => [
        m.seq,
        m.from,
        m.to,
        m.text,
        m.action,
      ]),
      [
        [1, 'Al', 'Dan', 'psst', false],
        [2, 'Zoë', 'Dan', '', true],
      ],
    );
    assert.equal((await store.append('#a', say('m701'))).message.seq, 701);
    assert.equal((await store.read('#a', 0, Infinity)).firstRetained, 402);
    await store.close();

    const check = new Database(path, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const tables = check
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'history%'")
      .pluck()
      .all();
    assert.deepEqual(tables, ['history_chunks']);
    assert.equal(
      check.prepare("SELECT count(*) FROM meta WHERE key = 'history_ring'").pluck().get(),
      0,
    );
    check.close();
  });
});

describe('SQLite checkpoints in a worker thread', () => {
  test('committed WAL frames reach the database file without a checkpoint on the writer', async () => {
    const path = freshPath();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x TEXT)');
    const checkpointer = new Checkpointer(db, path);
    // Below the backstop: the writer itself never checkpoints these pages.
    const before = statSync(path).size;
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run('x'.repeat(512));
    })();
    assert.equal(statSync(path).size, before, 'nothing copied yet');
    checkpointer.committed(0, true);
    await checkpointer.idle();
    assert.ok(statSync(path).size > before + 500 * 512, 'the worker copied the frames');
    await checkpointer.close();
    db.close();
  });
});
