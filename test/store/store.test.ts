import { after } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { storeContract } from './contract.js';

const dir = await mkdtemp(join(tmpdir(), 'chat-store-contract-'));
after(() => rm(dir, { recursive: true, force: true }));
let files = 0;

storeContract('MemoryStore', async (publish, o) => ({
  store: new MemoryStore(publish, o.retention, o.idempotencyTtlMs, o.now),
}));

storeContract('SqliteStore :memory:', async (publish, o) => ({
  store: new SqliteStore({ path: ':memory:', publish, ...o }),
}));

storeContract('SqliteStore file', async (publish, o) => {
  const path = join(dir, `${++files}.db`);
  return {
    store: new SqliteStore({ path, publish, ...o }),
    reopen: async (again) => new SqliteStore({ path, publish: again, ...o }),
  };
});
