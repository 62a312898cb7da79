/**
 * Changes made to accounts behind the server's back (`chat-server accounts
 * passwd|operator|remove` writes the database directly) reach the users
 * online (docs/protocol.md §2 "Accounts"): every few seconds the accounts of
 * the users online are read again. A password reset or a removed account
 * ends the session (it signed in with what no longer holds); an operator
 * grant or demotion updates it in place. Operator commands also re-read the
 * account before they run (AccountWatch.isOperator), so a demotion stops them at once.
 */
import type { AccountRecord, AccountStore } from '../store/store.js';
import type { Clock, Timer } from './clock.js';
import type { User } from './model.js';

export interface AccountWatchHost {
  readonly users: ReadonlyMap<string, User>;
  readonly store: AccountStore;
  /** The chat's clock: the re-reads run on it (tests tick it). */
  readonly clock: Clock;
  /** End a session whose account changed under it; `why` is told to the user and the others. */
  endSession(user: User, why: string): void;
  /** The user's account was made an operator's, or no longer is. */
  operatorChanged(user: User, operator: boolean): void;
  onError(err: unknown): void;
}

/** Apply one fresh read of `user`'s account; returns the fresh record, if it still exists. */
export function applyAccount(
  host: AccountWatchHost,
  user: User,
  fresh: AccountRecord | undefined,
): AccountRecord | undefined {
  const had = user.account;
  if (!had || !user.connected) return fresh;
  if (!fresh) {
    host.endSession(user, `the account ${had.name} was removed`);
    return undefined;
  }
  if (fresh.hash !== had.hash) {
    host.endSession(user, `the password of ${had.name} was changed; sign in with the new one`);
    return fresh;
  }
  user.account = fresh;
  if (fresh.operator !== had.operator) host.operatorChanged(user, fresh.operator);
  return fresh;
}

/** How often the accounts of users online are read again by default (§2: CLI changes reach them). */
const ACCOUNT_CHECK_MS = 5000;

export class AccountWatch {
  private timer: Timer | undefined;
  private pass: Promise<void> | undefined;

  constructor(
    private readonly host: AccountWatchHost,
    private readonly everyMs = ACCOUNT_CHECK_MS,
  ) {}

  /** Whether the user is an operator now, read again from the store (§2: demotions apply at once). */
  async isOperator(user: User): Promise<boolean> {
    const had = user.account;
    if (!had) return false;
    const fresh = await this.host.store.getAccount(had.key);
    // Changed meanwhile (its own /passwd, a takeover): judge the record it has now.
    if (user.account !== had) return user.account?.operator === true;
    const now = applyAccount(this.host, user, fresh);
    return user.connected && now?.operator === true;
  }

  start(): void {
    if (this.timer || this.everyMs <= 0) return;
    this.timer = this.host.clock.setInterval(() => void this.check(), this.everyMs);
    // Never what keeps a process alive.
    this.timer.unref();
  }

  stop(): void {
    this.host.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One pass over the users online with an account. A call during a pass
   * runs another after it, so what changed before the call is seen.
   */
  check(): Promise<void> {
    if (this.pass) return this.pass.then(() => this.check());
    const pass = this.run().finally(() => {
      if (this.pass === pass) this.pass = undefined;
    });
    this.pass = pass;
    return pass;
  }

  private async run(): Promise<void> {
    const online = [...this.host.users.values()].filter((u) => u.account);
    if (online.length === 0) return;
    // A user whose record changed during the read (its own /passwd) is judged next time.
    const before = new Map(online.map((u) => [u, u.account]));
    try {
      const all = new Map((await this.host.store.listAccounts()).map((a) => [a.key, a]));
      for (const user of online) {
        if (user.account !== before.get(user)) continue;
        applyAccount(this.host, user, all.get(user.account!.key));
      }
    } catch (err) {
      this.host.onError(err);
    }
  }
}
