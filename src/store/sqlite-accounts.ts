import type Database from 'better-sqlite3';
import { banApplies, inForce } from './ban-match.js';
import type {
  AccountRecord,
  AccountStore,
  AuditRecord,
  BanQuery,
  BanRecord,
  StreamKey,
} from './store.js';

interface AccountRow {
  key: string;
  name: string;
  hash: string;
  operator: number;
  created_at: number;
}

interface BanRow {
  kind: BanRecord['kind'];
  value: string;
  name_key: string;
  name: string;
  by: string;
  at: number;
  reason: string | null;
  expires: number | null;
}

interface AuditRow {
  at: number;
  action: AuditRecord['action'];
  actor: string;
  target: string | null;
  room: string | null;
  reason: string | null;
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
  ...(r.reason !== null && { reason: r.reason }),
  ...(r.expires !== null && { expires: r.expires }),
});

const toAudit = (r: AuditRow): AuditRecord => ({
  at: r.at,
  action: r.action,
  actor: r.actor,
  ...(r.target !== null && { target: r.target }),
  ...(r.room !== null && { room: r.room }),
  ...(r.reason !== null && { reason: r.reason }),
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
      forgetChunks: db.prepare<[string]>('DELETE FROM history_chunks WHERE stream = ?'),
      forgetStream: db.prepare<[string]>('DELETE FROM streams WHERE stream = ?'),
      forgetIgnores: db.prepare<[string]>('DELETE FROM ignores WHERE owner = ?'),
      list: db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY key'),
      addBan: db.prepare<BanRow>(
        'INSERT OR REPLACE INTO bans (kind, value, name_key, name, by, at, reason, expires) VALUES (@kind, @value, @name_key, @name, @by, @at, @reason, @expires)',
      ),
      removeBans: db.prepare<[string, string]>('DELETE FROM bans WHERE name_key = ? OR value = ?'),
      removeBansByValue: db.prepare<[string]>('DELETE FROM bans WHERE value = ?'),
      // Bans are few (an operator types each): matching CIDR blocks in JS is simpler than in SQL.
      listBans: db.prepare<[number], BanRow>(
        'SELECT * FROM bans WHERE expires IS NULL OR expires > ? ORDER BY at',
      ),
      addAudit: db.prepare<AuditRow>(
        'INSERT INTO audit (at, action, actor, target, room, reason) VALUES (@at, @action, @actor, @target, @room, @reason)',
      ),
      listAudit: db.prepare<[number], AuditRow>(
        'SELECT at, action, actor, target, room, reason FROM audit WHERE at >= ? ORDER BY at, id',
      ),
    };
    this.forgetTx = db.transaction((streams: readonly StreamKey[], owner: string) => {
      for (const stream of streams) {
        this.sql.forgetChunks.run(stream);
        this.sql.forgetStream.run(stream);
      }
      this.sql.forgetIgnores.run(owner);
    });
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

  private readonly forgetTx: (streams: readonly StreamKey[], owner: string) => void;

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

  async forgetAccountData(streams: readonly StreamKey[], owner: string): Promise<void> {
    this.forgetTx(streams, owner);
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
      reason: b.reason ?? null,
      expires: b.expires ?? null,
    });
  }

  async removeBans(target: string, valueOnly = false): Promise<number> {
    if (valueOnly) return this.sql.removeBansByValue.run(target).changes;
    return this.sql.removeBans.run(target, target).changes;
  }

  async listBans(now: number): Promise<BanRecord[]> {
    return this.sql.listBans.all(now).map(toBan);
  }

  async findBan(query: BanQuery): Promise<BanRecord | undefined> {
    return this.sql.listBans
      .all(query.now)
      .map(toBan)
      .find((b) => inForce(b, query.now) && banApplies(b, query));
  }

  async addAudit(r: AuditRecord): Promise<void> {
    this.sql.addAudit.run({
      at: r.at,
      action: r.action,
      actor: r.actor,
      target: r.target ?? null,
      room: r.room ?? null,
      reason: r.reason ?? null,
    });
  }

  async listAudit(since: number): Promise<AuditRecord[]> {
    return this.sql.listAudit.all(since).map(toAudit);
  }
}
