/**
 * The handshake's checks (docs/protocol.md §2): alias rules, bans, an
 * account's password (slowed, then refused, after repeated failures from one
 * address), `--require-account`, look-alikes of accounts and of who is
 * online, and the alias lease that makes an alias unique across nodes. Also
 * the index of online users by look-alike skeleton.
 */
import { untilText } from '../protocol/phrases.js';
import { ChatError, PasswordNeeded } from '../protocol/errors.js';
import type { Hello } from '../protocol/messages.js';
import { skeleton } from '../protocol/lookalikes.js';
import { parseAlias, type Name } from '../protocol/names.js';
import type { AccountRecord, BanRecord } from '../store/store.js';
import type { Chat } from './chat.js';
import { guestIdOf, newSessionToken } from './guest-session.js';
import { LoginDeadline } from './login-deadline.js';
import { LoginThrottle } from './login-throttle.js';
import { identityOf, type Peer, type User } from './model.js';
import { verifyPassword } from './passwords.js';

/** How long the look-alike check trusts its copy of the account list (§2). */
const ACCOUNT_CACHE_MS = 5000;
/** What a banned user is told: until when, and why, when the operator said. */
function banMessage(ban: BanRecord): string {
  // Until when in every case (§6): a ban without an end says who can end it.
  const until = ban.expires === undefined ? ' until an operator lifts it' : untilText(ban.expires);
  return `You are banned from this server${until}${ban.reason ? ` (${ban.reason})` : ''}`;
}

export class Logins {
  /** Failed logins per account and per address (§2): slowed, then refused for a while. */
  readonly throttle: LoginThrottle;

  constructor(private readonly chat: Chat) {
    // Built while Chat's fields initialise, before its options are assigned:
    // the `--login-*` limits are applied by Chat's constructor (configure).
    this.throttle = new LoginThrottle(undefined, () => chat.clock.now());
  }

  /**
   * Online users by look-alike skeleton (§2): a guest may not look like any
   * of them. Nearly every skeleton is one user's: it maps to the user, and to
   * a Set only while several share it (a Set per user was about 190 bytes of
   * every idle connection).
   */
  private readonly lookalikes = new Map<string, User | Set<User>>();

  /** Accounts by skeleton, read from the store at most every ACCOUNT_CACHE_MS. */
  private accountSkeletons: { at: number; map: Map<string, AccountRecord> } | undefined;

  /**
   * Refuse a rename (§3 /nick) into an alias or account a ban covers: a ban
   * on a guest's alias would otherwise be undone by the next `/nick` to it.
   * Address bans are the handshake's: whoever is connected passed them.
   */
  async assertNameNotBanned(name: Name, account: AccountRecord | undefined): Promise<void> {
    const ban = await this.chat.options.store.findBan({
      ...(account && { accountKey: account.key }),
      aliasKey: name.key,
      address: '',
      now: this.chat.now(),
    });
    if (!ban) return;
    throw new ChatError(
      'forbidden',
      `${name.display} is banned${untilText(ban.expires)}; pick another alias`,
    );
  }

  /**
   * The whole handshake check of §2: alias rules, bans, the account's
   * password (slowed, then refused, after repeated failures from one
   * address), `--require-account`, and uniqueness, where the right password
   * takes an alias over from its old connection (no ghosts). Resolves with
   * the admitted user; rejects with a ChatError (PasswordNeeded when the
   * alias is registered and no password was given).
   */
  async login(
    peer: Peer,
    hello: Pick<
      Hello,
      'name' | 'password' | 'account' | 'history' | 'resume' | 'bot' | 'session' | 'id' | 'instance'
    >,
  ): Promise<User> {
    const name = parseAlias(hello.name);
    this.throttle.assertAllowed(peer.address);
    const store = this.chat.options.store;
    const deadline = new LoginDeadline(this.chat.clock);
    const account = await deadline.wait(this.accountOf(name, hello.account));
    const ban = await deadline.wait(
      store.findBan({
        ...(account && { accountKey: account.key }),
        aliasKey: name.key,
        address: peer.address,
        now: this.chat.now(),
      }),
    );
    // Operators cannot be banned (§2): an address ban, their own included, shuts
    // out everyone else there, never the operators who may lift it.
    if (ban && !account?.operator) throw new ChatError('banned', banMessage(ban));
    if (account) {
      // A locked account is said before its password is asked for, as far
      // as the address tells: on a shared host, which local user is asking
      // is read only with a password to check (Peer.loginKey).
      if (hello.password === undefined) {
        this.throttle.assertAccountAllowed(peer.address, account.key, account.name, account.hash);
        throw new PasswordNeeded(account.name);
      }
      try {
        // Not the store's time: a wrong password's hold-back, and hashing,
        // which a burst of logins queues (40 at once took 650 ms).
        const started = this.chat.clock.now();
        await this.checkPassword(peer, account, hello.password);
        deadline.extend(this.chat.clock.now() - started);
        // The client whose session another login took over, reconnecting:
        // taking it back would sign out the newer one, which would not
        // reconnect (it was taken over), so the older would win by itself.
        if (hello.instance !== undefined && this.chat.cluster.wasDisplaced(hello.instance)) {
          throw new ChatError(
            'alias_taken',
            `${account.name} signed in from another connection while this one was away; not taking it back`,
            undefined,
            'displaced',
          );
        }
      } catch (err) {
        // An operator passes its address's ban only with the right password:
        // a wrong one from a banned address says banned, not "try again".
        if (ban && err instanceof ChatError && err.code === 'auth_failed')
          throw new ChatError('banned', banMessage(ban));
        throw err;
      }
    } else if (this.chat.options.requireAccount) {
      // Its own detail: no password can help, so a client must not ask for
      // one or tell its user to set CHAT_PASSWORD.
      throw new ChatError(
        'auth_required',
        `This server admits registered accounts only, and ${name.display} is not one; ` +
          'ask an operator to create it',
        undefined,
        'account_required',
      );
    } else if (hello.session !== undefined) {
      // The same guest coming back (its token proves it): its old connection,
      // a ghost after a cut, gives way like an account's would.
      const guestId = guestIdOf(hello.session);
      for (const u of this.chat.users.values()) {
        if (!u.account && u.guestId === guestId) this.chat.cluster.takeOver(u);
      }
    }
    if (!account) {
      await deadline.wait(this.assertNotLikeAccount(name));
      await deadline.wait(this.chat.cluster.assertNoRemoteLookalike(name));
    } else if (account.key !== name.key) {
      // Another alias of the account: as /nick would let it take one.
      await deadline.wait(this.assertNotLikeAccount(name, account));
    }
    // An account's own name is shown as registered (`caroline` signs in as
    // Caroline); on a server for accounts only, also when it came as another alias.
    const shownName =
      account && (this.chat.options.requireAccount || account.key === name.key)
        ? parseAlias(account.name)
        : name;
    // A guest's session token (kept from an earlier welcome, or new) is its
    // identity; it proves the guest when it comes back through another node.
    const session = account ? undefined : (hello.session ?? newSessionToken());
    const guestId = session === undefined ? undefined : guestIdOf(session);
    // The right password (or a guest's own token) takes the alias over from
    // wherever it is held (no ghosts).
    const release = (lease: { key: string; token: string }): void => {
      void this.chat.options.leases.release(lease.key, lease.token).catch(() => undefined);
    };
    const lease = await deadline.wait(
      this.chat.cluster.claim(shownName, peer.id, account, {
        takeover: account !== undefined || guestId !== undefined,
        ...(guestId !== undefined && { guestId }),
        instance: hello.instance,
        address: peer.address,
        deadline,
      }),
      release,
    );
    // Admitted under this alias: the account's sessions under other aliases go.
    if (account) this.chat.cluster.signedIn(account, peer.id, hello.instance);
    let user: User;
    let continued: Map<string, string> | undefined;
    try {
      // Back after its server stopped (same identity): it continues,
      // unannounced; anyone else lost with a server under this alias is
      // announced gone first (§9).
      continued = await deadline.wait(
        this.chat.cluster.adopt(shownName, identityOf(account, guestId)),
        (late) => late && this.chat.cluster.announceGone(shownName, [...late.values()]),
      );
      user = this.chat.welcomes.connect(
        peer,
        { ...hello, name: shownName.display, ...(session !== undefined && { session }) },
        account,
        continued,
        hello.session === undefined,
      );
    } catch (err) {
      release(lease);
      // The old session was taken over but this one was not admitted: its quit is due now.
      if (continued) this.chat.cluster.announceGone(shownName, [...continued.values()]);
      throw err;
    }
    user.lease = lease;
    user.leaseConfirmedAt = this.chat.now();
    user.bot = hello.bot === true;
    return user;
  }

  /**
   * The account a hello signs in to: `name`'s own, or with `hello.account`,
   * that account under `name` as another alias of it (a registered user who
   * took one with /nick and is coming back). That alias must not be another
   * account's name.
   */
  private async accountOf(
    name: Name,
    accountName: string | undefined,
  ): Promise<AccountRecord | undefined> {
    const store = this.chat.options.store;
    if (accountName === undefined) return store.getAccount(name.key);
    const key = parseAlias(accountName).key;
    const account = await store.getAccount(key);
    if (!account) {
      throw new ChatError(
        'bad_request',
        `There is no account ${accountName.slice(0, 40)}; leave "account" out to sign in as ${name.display}`,
      );
    }
    if (key !== name.key && (await store.getAccount(name.key))) {
      throw new ChatError(
        'alias_taken',
        `${name.display} is another registered account; pick another alias for ${account.name}`,
      );
    }
    return account;
  }

  /**
   * Refuse a guest alias that looks like a registered account other than
   * `own` (§2): by skeleton, so `аре` (Cyrillic) or `Ana1` cannot pass for
   * the account `ape` or `AnaI`. Accounts come from the store and are cached
   * for a few seconds (accounts added with the CLI while the server runs are
   * seen within ACCOUNT_CACHE_MS). Throws `alias_taken`.
   */
  async assertNotLikeAccount(name: Name, own?: AccountRecord): Promise<void> {
    const now = this.chat.now();
    let cache = this.accountSkeletons;
    if (!cache || now - cache.at > ACCOUNT_CACHE_MS) {
      const map = new Map<string, AccountRecord>();
      for (const a of await this.chat.options.store.listAccounts()) map.set(skeleton(a.name), a);
      cache = this.accountSkeletons = { at: now, map };
    }
    const like = cache.map.get(skeleton(name.display));
    if (like && like.key !== own?.key && like.key !== name.key) {
      throw new ChatError(
        'alias_taken',
        `${name.display} looks like the registered ${like.operator ? 'operator' : 'user'} ${like.name}; pick another alias`,
      );
    }
  }

  /** A new account (/register) is a name guests may no longer imitate. */
  accountCreated(account: AccountRecord): void {
    this.accountSkeletons?.map.set(skeleton(account.name), account);
  }

  /**
   * Check an account's password for `peer`: slowed after a few failures,
   * refused for a while after many (§2). Throws `auth_failed`.
   */
  async checkPassword(
    peer: Pick<Peer, 'address' | 'loginKey'>,
    account: AccountRecord,
    password: string,
  ): Promise<void> {
    // Whom a wrong password counts against: the address, or a local user at it.
    const address = (await peer.loginKey?.()) ?? peer.address;
    this.throttle.assertAccountAllowed(address, account.key, account.name, account.hash);
    const delay = this.throttle.begin(address, account.key);
    let ok: boolean;
    try {
      if (delay > 0)
        await new Promise<void>((resolve) => this.chat.clock.setTimeout(resolve, delay));
      ok = await verifyPassword(password, account.hash);
    } finally {
      this.throttle.end(address, account.key);
    }
    if (!ok) {
      this.throttle.fail(address, account.key, account.hash);
      throw new ChatError('auth_failed', `Wrong password for ${account.name}`);
    }
    this.throttle.succeed(address, account.key);
  }

  assertAliasFree(name: Name, self?: User, account?: AccountRecord): void {
    const holder = this.chat.users.get(name.key);
    if (holder && holder !== self) {
      throw new ChatError(
        'alias_taken',
        `${holder.name.display} is already online; pick another alias`,
      );
    }
    // A signed-in account is its own proof of identity; a guest must not
    // look like anyone online (§2 look-alikes).
    if (account) return;
    const like = this.lookalikes.get(skeleton(name.display));
    for (const other of like instanceof Set ? like : like ? [like] : []) {
      if (other !== self) {
        throw new ChatError(
          'alias_taken',
          `${name.display} looks like ${other.name.display}, who is online; pick another alias`,
        );
      }
    }
  }

  addUser(user: User): void {
    this.chat.users.set(user.name.key, user);
    const k = skeleton(user.name.display);
    const like = this.lookalikes.get(k);
    if (like === undefined || like === user) this.lookalikes.set(k, user);
    else if (like instanceof Set) like.add(user);
    else this.lookalikes.set(k, new Set([like, user]));
  }

  removeUser(user: User): void {
    if (this.chat.users.get(user.name.key) === user) this.chat.users.delete(user.name.key);
    const k = skeleton(user.name.display);
    const like = this.lookalikes.get(k);
    if (like === user) this.lookalikes.delete(k);
    else if (like instanceof Set) {
      like.delete(user);
      if (like.size === 0) this.lookalikes.delete(k);
    }
  }
}
