import { banApplies, inForce } from './ban-match.js';
import type {
  AccountRecord,
  AccountStore,
  AuditRecord,
  BanQuery,
  BanRecord,
  ModerationState,
  MuteRecord,
  StreamKey,
} from './store.js';

/** Accounts, bans and the audit trail in process memory, for MemoryStore. */
export abstract class MemoryAccounts implements AccountStore {
  /** MemoryStore keeps the streams and ignores it deletes. */
  abstract forgetAccountData(streams: readonly StreamKey[], owner: string): Promise<void>;

  private readonly accounts = new Map<string, AccountRecord>();
  private bans: BanRecord[] = [];
  private readonly mutes = new Map<string, MuteRecord>();
  private readonly locks = new Set<string>();
  private readonly audit: AuditRecord[] = [];

  async getAccount(key: string): Promise<AccountRecord | undefined> {
    const a = this.accounts.get(key);
    return a && { ...a };
  }

  async createAccount(account: AccountRecord): Promise<boolean> {
    if (this.accounts.has(account.key)) return false;
    this.accounts.set(account.key, { ...account });
    return true;
  }

  async updateAccount(
    key: string,
    change: Partial<Pick<AccountRecord, 'hash' | 'operator'>>,
  ): Promise<boolean> {
    const a = this.accounts.get(key);
    if (!a) return false;
    Object.assign(a, change);
    return true;
  }

  async deleteAccount(key: string): Promise<boolean> {
    return this.accounts.delete(key);
  }

  async listAccounts(): Promise<AccountRecord[]> {
    return [...this.accounts.values()]
      .map((a) => ({ ...a }))
      .sort((x, y) => x.key.localeCompare(y.key));
  }

  async addBan(ban: BanRecord): Promise<void> {
    this.bans = this.bans.filter((b) => !(b.kind === ban.kind && b.value === ban.value));
    this.bans.push({ ...ban });
  }

  async removeBans(target: string, valueOnly = false): Promise<number> {
    const before = this.bans.length;
    this.bans = this.bans.filter((b) => b.value !== target && (valueOnly || b.nameKey !== target));
    return before - this.bans.length;
  }

  async listBans(now: number): Promise<BanRecord[]> {
    return this.bans
      .filter((b) => inForce(b, now))
      .map((b) => ({ ...b }))
      .sort((x, y) => x.at - y.at);
  }

  async setMute(keys: readonly string[], record: MuteRecord): Promise<void> {
    for (const k of keys) this.mutes.set(k, { ...record });
  }

  async removeMutes(nameKey: string, keys: readonly string[]): Promise<MuteRecord[]> {
    const lifted: MuteRecord[] = [];
    for (const [k, r] of this.mutes) {
      if (r.nameKey !== nameKey && !keys.includes(k)) continue;
      this.mutes.delete(k);
      lifted.push(r);
    }
    return lifted;
  }

  async setTopicLock(room: string, locked: boolean): Promise<void> {
    if (locked) this.locks.add(room);
    else this.locks.delete(room);
  }

  async getModeration(): Promise<ModerationState> {
    return {
      mutes: new Map([...this.mutes].map(([k, r]) => [k, { ...r }])),
      locks: new Set(this.locks),
    };
  }

  async findBan(query: BanQuery): Promise<BanRecord | undefined> {
    const hit = this.bans.find((b) => banApplies(b, query));
    return hit && { ...hit };
  }

  async addAudit(record: AuditRecord): Promise<void> {
    this.audit.push({ ...record });
  }

  async listAudit(since: number): Promise<AuditRecord[]> {
    return this.audit.filter((r) => r.at >= since).map((r) => ({ ...r }));
  }
}
