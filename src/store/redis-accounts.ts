/**
 * Accounts, bans and the audit trail in Redis (the AccountStore), shared by
 * every node and by `chat-server accounts`: one hash per account plus a set
 * of their keys, created and deleted by script; bans in one hash, read whole
 * and matched here (CIDR included); the audit trail as a list.
 */
import { banApplies, inForce } from './ban-match.js';
import { RedisPart, Script } from './redis-calls.js';
import * as lua from './redis-scripts.js';
import type {
  AccountRecord,
  AccountStore,
  AuditRecord,
  BanQuery,
  BanRecord,
  StreamKey,
} from './store.js';

const SCRIPTS = {
  createAccount: new Script(lua.CREATE_ACCOUNT),
  updateAccount: new Script(lua.UPDATE_ACCOUNT),
  deleteAccount: new Script(lua.DELETE_ACCOUNT),
  listAccounts: new Script(lua.LIST_ACCOUNTS),
};

/** HGETALL's flat [field, value, …] as an object. */
function fields(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const list = flat as string[];
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
}

function toAccount(h: Record<string, string>): AccountRecord {
  return {
    key: h.key ?? '',
    name: h.name ?? '',
    hash: h.hash ?? '',
    operator: h.operator === '1',
    createdAt: Number(h.createdAt),
  };
}

/** A ban's field in the bans hash: one ban per (kind, value), as addBan replaces. */
function banId(kind: BanRecord['kind'], value: string): string {
  return `${kind}\u0000${value}`;
}

export class RedisAccounts extends RedisPart implements AccountStore {
  async getAccount(key: string): Promise<AccountRecord | undefined> {
    const h = await this.calls.track(this.client.hgetall(this.keys.account(key)));
    return h.key === undefined ? undefined : toAccount(h);
  }

  async createAccount(a: AccountRecord): Promise<boolean> {
    const created = await this.calls.script(
      SCRIPTS.createAccount,
      [this.keys.account(a.key), this.keys.accountSet],
      [a.key, a.name, a.hash, a.operator ? '1' : '0', String(a.createdAt)],
    );
    return created === 1;
  }

  async updateAccount(
    key: string,
    change: Partial<Pick<AccountRecord, 'hash' | 'operator'>>,
  ): Promise<boolean> {
    const pairs: string[] = [];
    if (change.hash !== undefined) pairs.push('hash', change.hash);
    if (change.operator !== undefined) pairs.push('operator', change.operator ? '1' : '0');
    if (pairs.length === 0) return (await this.getAccount(key)) !== undefined;
    const done = await this.calls.script(SCRIPTS.updateAccount, [this.keys.account(key)], pairs);
    return done === 1;
  }

  async deleteAccount(key: string): Promise<boolean> {
    const removed = await this.calls.script(
      SCRIPTS.deleteAccount,
      [this.keys.account(key), this.keys.accountSet],
      [key],
    );
    return removed === 1;
  }

  async forgetAccountData(streams: readonly StreamKey[], owner: string): Promise<void> {
    // One DEL per stream: a stream's keys share its hash tag (one slot), two streams need not.
    for (const stream of streams) {
      const k = this.keys.stream(stream);
      await this.calls.cmd(() => this.client.del(k.meta, k.msgs, k.idem, k.idemq));
    }
    await this.calls.cmd(() => this.client.del(this.keys.ignores(owner)));
  }

  async listAccounts(): Promise<AccountRecord[]> {
    const rows = await this.calls.script<unknown[]>(
      SCRIPTS.listAccounts,
      [this.keys.accountSet],
      [this.keys.accountPrefix],
    );
    return rows
      .map((r) => fields(r))
      .filter((h) => h.key !== undefined)
      .map(toAccount)
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  }

  async addBan(b: BanRecord): Promise<void> {
    await this.calls.cmd(() =>
      this.client.hset(this.keys.bans, banId(b.kind, b.value), JSON.stringify(b)),
    );
  }

  /** Every ban, in force or not (a handful: read whole, matched here, CIDR included). */
  private async allBans(): Promise<Map<string, BanRecord>> {
    const h = await this.calls.cmd(() => this.client.hgetall(this.keys.bans));
    return new Map(Object.entries(h).map(([id, json]) => [id, JSON.parse(json) as BanRecord]));
  }

  async removeBans(target: string, valueOnly = false): Promise<number> {
    const ids = [...(await this.allBans())]
      .filter(([, b]) => b.value === target || (!valueOnly && b.nameKey === target))
      .map(([id]) => id);
    if (ids.length === 0) return 0;
    return Number(await this.calls.cmd(() => this.client.hdel(this.keys.bans, ...ids)));
  }

  async listBans(now: number): Promise<BanRecord[]> {
    return [...(await this.allBans()).values()]
      .filter((b) => inForce(b, now))
      .sort((x, y) => x.at - y.at);
  }

  async findBan(query: BanQuery): Promise<BanRecord | undefined> {
    return [...(await this.allBans()).values()].find((b) => banApplies(b, query));
  }

  async addAudit(record: AuditRecord): Promise<void> {
    await this.calls.cmd(() => this.client.rpush(this.keys.audit, JSON.stringify(record)));
  }

  async listAudit(since: number): Promise<AuditRecord[]> {
    const all = await this.calls.cmd(() => this.client.lrange(this.keys.audit, 0, -1));
    return all.map((j) => JSON.parse(j) as AuditRecord).filter((r) => r.at >= since);
  }
}
