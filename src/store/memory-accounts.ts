import type { AccountRecord, AccountStore, BanRecord } from './store.js';

/** Accounts and bans in process memory, for MemoryStore. */
export class MemoryAccounts implements AccountStore {
  private readonly accounts = new Map<string, AccountRecord>();
  private bans: BanRecord[] = [];

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

  async removeBans(nameKey: string): Promise<number> {
    const before = this.bans.length;
    this.bans = this.bans.filter((b) => b.nameKey !== nameKey);
    return before - this.bans.length;
  }

  async findBan(accountKey: string | undefined, address: string): Promise<BanRecord | undefined> {
    const hit = this.bans.find(
      (b) =>
        (b.kind === 'account' && b.value === accountKey) ||
        (b.kind === 'address' && b.value === address),
    );
    return hit && { ...hit };
  }
}
