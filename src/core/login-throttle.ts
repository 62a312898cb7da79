/**
 * Failed logins per account and per address (docs/protocol.md §2 "Login
 * limits"). Pure bookkeeping with an injected clock.
 *
 * - Per account, from every address: after `freeFailures` failures within the
 *   window each check on that account is held back (0.5 s doubling, at most
 *   8 s), so guessing one account from many addresses is slow.
 * - Per account and address: `accountFailures` failures lock that account
 *   for that address (`rate_limited`) for `lockoutMs`. The owner elsewhere
 *   still gets in; the guesser's neighbours behind its NAT still get in.
 * - Per address, over all accounts: `addressFailures` failures lock every
 *   login from the address (guests too). High by default: a class behind one
 *   NAT makes typos, and successful logins never count.
 *
 * A right password forgives the failures of that account (from every
 * address, and in each address's tally): the student who mistyped, then got
 * it right, leaves nothing behind for the others behind the same address.
 * Checks under way count as failures until answered, so guesses sent in
 * parallel get no more answers than guesses sent one by one.
 *
 * An "address" of a password check is the connection's Peer.loginKey where
 * it has one: on a shared host, a local user at 127.0.0.1, so one user's
 * guesses lock an account for that user only (docs/security.md).
 */
import { ChatError } from '../protocol/errors.js';

export interface ThrottleOptions {
  /** Failures on one account (any address) before each check on it is held back. */
  freeFailures: number;
  /** Failures on one account from one address that lock it for that address. */
  accountFailures: number;
  /** Failures from one address (any account) that lock every login from it. */
  addressFailures: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
  /** How long a lock lasts. */
  lockoutMs: number;
  /** Delay of the first held-back check; doubles per failure, capped at 8 s. */
  baseDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 3,
  accountFailures: 10,
  addressFailures: 100,
  windowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  baseDelayMs: 500,
};

const MAX_DELAY_MS = 8000;
/** Above this many keys on record, records past the window are dropped. */
const SWEEP_AT = 10_000;

interface Failure {
  at: number;
  /** The account of an address's failure, or the address of an account's. */
  other: string;
}

/** Counted records: failures with their time, locks with their end, checks under way. */
class Tally {
  readonly failures = new Map<string, Failure[]>();
  readonly lockedUntil = new Map<string, number>();
  readonly inFlight = new Map<string, number>();

  recent(key: string, cutoff: number): Failure[] {
    const list = (this.failures.get(key) ?? []).filter((f) => f.at > cutoff);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** Milliseconds left on the key's lock (0: not locked). */
  locked(key: string, now: number): number {
    const until = this.lockedUntil.get(key);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.lockedUntil.delete(key);
    return 0;
  }

  busy(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }

  add(key: string, n: number): void {
    const v = this.busy(key) + n;
    if (v <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, v);
  }
}

const pairKey = (address: string, account: string): string => `${account}\n${address}`;

function minutes(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 60_000))} min`;
}

export class LoginThrottle {
  private readonly byAddress = new Tally();
  private readonly byAccount = new Tally();
  /** In-flight checks and locks of (account, address) pairs; failures are derived from byAddress. */
  private readonly byPair = new Tally();
  /**
   * A locked pair's password hash when it was locked: a lock is against
   * guessing that password, so an operator's reset (another hash) lifts it;
   * a locked-out student was otherwise kept out until a restart.
   */
  private readonly lockedAgainst = new Map<string, string>();
  private opts: ThrottleOptions;

  constructor(
    opts: Partial<ThrottleOptions> = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {
    this.opts = { ...DEFAULT_THROTTLE, ...opts };
  }

  /** New limits (SIGHUP): records kept so far stay and are judged by them. */
  configure(opts: Partial<ThrottleOptions>): void {
    this.opts = { ...this.opts, ...opts };
  }

  get options(): Readonly<ThrottleOptions> {
    return this.opts;
  }

  private cutoff(): number {
    return this.now() - this.opts.windowMs;
  }

  /**
   * Throw `rate_limited` while the address is locked, or while its failures
   * plus checks under way reach the address limit. Every login (guests too).
   */
  assertAllowed(address: string): void {
    const left = this.byAddress.locked(address, this.now());
    if (left > 0) {
      throw new ChatError(
        'rate_limited',
        `Too many failed logins from your address; try again in ${minutes(left)}`,
        left,
      );
    }
    const n = this.byAddress.recent(address, this.cutoff()).length + this.byAddress.busy(address);
    if (n >= this.opts.addressFailures) {
      throw new ChatError(
        'rate_limited',
        'Too many failed logins from your address at once; try again later',
        1000,
      );
    }
  }

  /**
   * Throw `rate_limited` while `account` is locked for this address (or would
   * be, counting checks under way). `hash`: the account's password hash now.
   */
  assertAccountAllowed(address: string, account: string, display = account, hash?: string): void {
    this.assertAllowed(address);
    const pair = pairKey(address, account);
    const against = this.lockedAgainst.get(pair);
    if (against !== undefined && hash !== undefined && against !== hash) {
      this.byPair.lockedUntil.delete(pair);
    }
    const left = this.byPair.locked(pair, this.now());
    if (left === 0) this.lockedAgainst.delete(pair);
    if (left > 0) {
      throw new ChatError(
        'rate_limited',
        `Too many failed logins for ${display} from your address; try again in ${minutes(left)}`,
        left,
      );
    }
    if (this.pairFailures(address, account) + this.byPair.busy(pair) >= this.opts.accountFailures) {
      throw new ChatError(
        'rate_limited',
        `Too many login attempts for ${display} at once; try again later`,
        1000,
      );
    }
  }

  /**
   * Start a password check: returns how long to hold back its answer (from
   * the account's failures so far and the checks on it under way). Pair
   * with end().
   */
  begin(address: string, account: string): number {
    const delay = this.delayMs(address, account);
    this.byAddress.add(address, 1);
    this.byAccount.add(account, 1);
    this.byPair.add(pairKey(address, account), 1);
    return delay;
  }

  /** A password check started with begin() has its answer. */
  end(address: string, account: string): void {
    this.byAddress.add(address, -1);
    this.byAccount.add(account, -1);
    this.byPair.add(pairKey(address, account), -1);
  }

  /** How long the next check on this account would be held back. */
  delayMs(_address: string, account: string): number {
    const n =
      this.byAccount.recent(account, this.cutoff()).length +
      this.byAccount.busy(account) -
      this.opts.freeFailures;
    return n < 0 ? 0 : Math.min(MAX_DELAY_MS, this.opts.baseDelayMs * 2 ** n);
  }

  /** Record a wrong password for `account` (whose hash is `hash`) from `address`; locks what reached its limit. */
  fail(address: string, account: string, hash?: string): void {
    const at = this.now();
    const cutoff = this.cutoff();
    const fromAddress = this.byAddress.recent(address, cutoff);
    fromAddress.push({ at, other: account });
    this.byAddress.failures.set(address, fromAddress);
    const onAccount = this.byAccount.recent(account, cutoff);
    onAccount.push({ at, other: address });
    this.byAccount.failures.set(account, onAccount);
    if (this.pairFailures(address, account) >= this.opts.accountFailures) {
      this.byPair.lockedUntil.set(pairKey(address, account), at + this.opts.lockoutMs);
      if (hash !== undefined) this.lockedAgainst.set(pairKey(address, account), hash);
      // The lock answers from now on; the tally starts again when it ends.
      this.forgive(address, account);
    }
    if (fromAddress.length >= this.opts.addressFailures) {
      this.byAddress.lockedUntil.set(address, at + this.opts.lockoutMs);
      this.byAddress.failures.delete(address);
    }
    if (this.byAddress.failures.size + this.byAccount.failures.size > SWEEP_AT) this.sweep();
  }

  /** The right password: the account's failures are forgiven, from every address that made them. */
  succeed(address: string, account: string): void {
    const addresses = new Set([address]);
    for (const f of this.byAccount.failures.get(account) ?? []) addresses.add(f.other);
    this.byAccount.failures.delete(account);
    for (const a of addresses) this.forgive(a, account);
  }

  private forgive(address: string, account: string): void {
    const list = this.byAddress.failures.get(address);
    if (!list) return;
    const kept = list.filter((f) => f.other !== account);
    if (kept.length === 0) this.byAddress.failures.delete(address);
    else this.byAddress.failures.set(address, kept);
  }

  private pairFailures(address: string, account: string): number {
    return this.byAddress.recent(address, this.cutoff()).filter((f) => f.other === account).length;
  }

  private sweep(): void {
    const cutoff = this.cutoff();
    for (const key of [...this.byAddress.failures.keys()]) this.byAddress.recent(key, cutoff);
    for (const key of [...this.byAccount.failures.keys()]) this.byAccount.recent(key, cutoff);
  }
}
