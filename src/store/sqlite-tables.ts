/**
 * The small tables of the SQLite store (accounts, bans, audit, topics,
 * ignores) behind the Store interface; SqliteStore adds the message streams.
 */
import type { SqliteAccounts } from './sqlite-accounts.js';
import type { SqlitePrefs } from './sqlite-prefs.js';
import type {
  AccountRecord,
  AuditRecord,
  BanQuery,
  BanRecord,
  ModerationState,
  MuteRecord,
  StreamKey,
  TopicRecord,
} from './store.js';

export abstract class SqliteTables {
  /** Set by the subclass once the file is open. */
  protected accounts!: SqliteAccounts;
  protected prefs!: SqlitePrefs;

  /** Throws when the store may no longer be written (closed, or its lease lost). */
  protected abstract assertOpen(): void;

  getAccount(key: string): Promise<AccountRecord | undefined> {
    return this.accounts.getAccount(key);
  }

  createAccount(account: AccountRecord): Promise<boolean> {
    return this.accounts.createAccount(account);
  }

  updateAccount(
    key: string,
    change: Partial<Pick<AccountRecord, 'hash' | 'operator'>>,
  ): Promise<boolean> {
    return this.accounts.updateAccount(key, change);
  }

  deleteAccount(key: string): Promise<boolean> {
    return this.accounts.deleteAccount(key);
  }

  forgetAccountData(streams: readonly StreamKey[], owner: string): Promise<void> {
    return this.accounts.forgetAccountData(streams, owner);
  }

  listAccounts(): Promise<AccountRecord[]> {
    return this.accounts.listAccounts();
  }

  addBan(ban: BanRecord): Promise<void> {
    return this.accounts.addBan(ban);
  }

  removeBans(nameKey: string, valueOnly?: boolean): Promise<number> {
    return this.accounts.removeBans(nameKey, valueOnly);
  }

  findBan(query: BanQuery): Promise<BanRecord | undefined> {
    return this.accounts.findBan(query);
  }

  async listBans(now: number): Promise<BanRecord[]> {
    return this.accounts.listBans(now);
  }

  async setMute(keys: readonly string[], record: MuteRecord): Promise<void> {
    this.assertOpen();
    this.prefs.setMutes(keys, record);
  }

  async removeMutes(nameKey: string, keys: readonly string[]): Promise<MuteRecord[]> {
    this.assertOpen();
    return this.prefs.removeMutesTx(nameKey, keys);
  }

  async setTopicLock(room: string, locked: boolean): Promise<void> {
    this.assertOpen();
    this.prefs.setTopicLock(room, locked);
  }

  async getModeration(): Promise<ModerationState> {
    return this.prefs.getModeration();
  }

  async addAudit(record: AuditRecord): Promise<void> {
    this.assertOpen();
    return this.accounts.addAudit(record);
  }

  async listAudit(since: number): Promise<AuditRecord[]> {
    return this.accounts.listAudit(since);
  }

  async getTopic(room: StreamKey): Promise<TopicRecord | undefined> {
    return this.prefs.getTopic(room);
  }

  async listTopics(): Promise<Map<StreamKey, TopicRecord>> {
    return this.prefs.listTopics();
  }

  async setTopic(room: StreamKey, topic: TopicRecord): Promise<void> {
    this.assertOpen();
    this.prefs.setTopic(room, topic);
  }

  async getIgnores(owner: string): Promise<Map<string, string>> {
    return this.prefs.getIgnores(owner);
  }

  async setIgnore(owner: string, key: string, display: string | undefined): Promise<void> {
    this.assertOpen();
    this.prefs.setIgnore(owner, key, display);
  }
}
