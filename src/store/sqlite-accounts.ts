import type Database from 'better-sqlite3';
import type { AccountRecord, AccountStore, BanRecord } from './store.js';

interface AccountRow {
  key: string;
  name: string;
  hash: string;
  operator: number;
  created_at: number;
}

interface BanRow {
  kind: 'account' | 'address';
  value: string;
  name_key: string;
  name: string;
  by: string;
  at: number;
}

const toAccount = (r: AccountRow): AccountRecord => ({
  key: r.key,
  name: r.name,
  hash: r.hash,
  operator: r.operator === 1,
  createdAt: r.created_at,
});

const toBan = (r: BanRow): BanRecord => ({
  kind: r.kind,
  value: r.value,
  nameKey: r.name_key,
  name: r.name,
  by: r.by,
  at: r.at,
});

/**
 * Accounts and bans in the SQLite file. Reads go to the database every time
 * (no cache), so `chat-server accounts …` run beside a live server takes
 * effect at the next login.
 */
export class SqliteAccounts implements AccountStore {
  private readonly sql;

  constructor(db: Database.Database) {
    this.sql = {
      get: db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE key = ?'),
      create: db.prepare<AccountRow>(
        'INSERT OR IGNORE INTO accounts (key, name, hash, operator, created_at) VALUES (@key, @name, @hash, @operator, @created_at)',
      ),
      setHash: db.prepare<[string, string]>('UPDATE accounts SET hash = ? WHERE key = ?'),
      setOperator: db.prepare<[number, string]>('UPDATE accounts SET operator = ? WHERE key = ?'),
      remove: db.prepare<[string]>('DELETE FROM accounts WHERE key = ?'),
      list: db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY key'),
      addBan: db.prepare<BanRow>(
        'INSERT OR REPLACE INTO bans (kind, value, name_key, name, by, at) VALUES (@kind, @value, @name_key, @name, @by, @at)',
      ),
      removeBans: db.prepare<[string]>('DELETE FROM bans WHERE name_key = ?'),
      findBan: db.prepare<[string | null, string], BanRow>(
        "SELECT * FROM bans WHERE (kind = 'account' AND value = ?) OR (kind = 'address' AND value = ?) LIMIT 1",
      ),
    };
    this.updateTx = db.transaction(
      (key: string, change: Partial<Pick<AccountRecord, 'hash' | 'operator'>>) => {
        let changed = 0;
        if (change.hash !== undefined) changed = this.sql.setHash.run(change.hash, key).changes;
        if (change.operator !== undefined)
          changed = this.sql.setOperator.run(change.operator ? 1 : 0, key).changes;
        return changed > 0;
      },
    );
  }

  private readonly updateTx: (
    key: string,
    change: Partial<Pick<AccountRecord, 'hash' | 'operator'>>,
  ) => boolean;

  async getAccount(key: string): Promise<AccountRecord | undefined> {
    const row = this.sql.get.get(key);
    return row && toAccount(row);
  }

  async createAccount(a: AccountRecord): Promise<boolean> {
    const row: AccountRow = {
      key: a.key,
      name: a.name,
      hash: a.hash,
      operator: a.operator ? 1 : 0,
      created_at: a.createdAt,
    };
    return this.sql.create.run(row).changes === 1;
  }

  async updateAccount(
    key: string,
    change: Partial<Pick<AccountRecord, 'hash' | 'operator'>>,
  ): Promise<boolean> {
    return this.updateTx(key, change);
  }

  async deleteAccount(key: string): Promise<boolean> {
    return this.sql.remove.run(key).changes === 1;
  }

  async listAccounts(): Promise<AccountRecord[]> {
    return this.sql.list.all().map(toAccount);
  }

  async addBan(b: BanRecord): Promise<void> {
    this.sql.addBan.run({
      kind: b.kind,
      value: b.value,
      name_key: b.nameKey,
      name: b.name,
      by: b.by,
      at: b.at,
    });
  }

  async removeBans(nameKey: string): Promise<number> {
    return this.sql.removeBans.run(nameKey).changes;
  }

  async findBan(accountKey: string | undefined, address: string): Promise<BanRecord | undefined> {
    const row = this.sql.findBan.get(accountKey ?? null, address);
    return row && toBan(row);
  }
}
