/**
 * Alias ownership and presence as leases (docs/architecture.md): a claim is "set if absent, with an expiry and an
 * owner token"; it is renewed while the session lives, and renewal and release
 * only act while the caller's token still matches. When a node dies its leases
 * lapse and the alias becomes free; a node that cannot renew drops its own
 * sessions rather than keep an alias someone else may now hold.
 */

/** Who holds an alias: which node, and which session on it. */
export interface Owner {
  node: string;
  session: string;
  /** The alias as the holder typed it (the lease key is the folded form). */
  display: string;
  /** When the session signed in (ms), and its account: what /whois shows from another node. */
  since?: number;
  account?: boolean;
  /** The account's key when the alias is another name (`/nick` keeps the account): what a ban by this alias bans. */
  accountKey?: string;
  operator?: boolean;
  bot?: boolean;
  /** The client's address: /whois shows it to operators on the other nodes (§3), nobody else. */
  address?: string;
  /**
   * A guest's identity (derived from its session token, docs/protocol.md §2):
   * the same guest coming back through another node may take its alias over.
   */
  guest?: string;
}

/** A held lease; `token` is the proof of ownership for renew and release. */
export interface Lease {
  /** Folded alias (see core/names.ts): NFKC plus case folding, done by the caller. */
  key: string;
  token: string;
  /** When it lapses unless renewed, in the store's clock (ms). */
  expiresAt: number;
}

export type Claim = { ok: true; lease: Lease } | { ok: false; holder: Owner; expiresAt: number };

/** One member of a room's presence set. */
export interface Presence {
  /** Folded alias. */
  key: string;
  display: string;
  node: string;
  expiresAt: number;
  /** What /who shows beside the name (§3): away text, operator, bot. */
  away?: string;
  operator?: boolean;
  bot?: boolean;
  /**
   * Only on the `*` (everyone) entry: the session's identity (User.identity),
   * the display names of its rooms and when it last did something (ms), so
   * other nodes can answer /whois and /rooms, and a session that comes back
   * after its node died can take its place (takePresence).
   */
  identity?: string;
  rooms?: string[];
  active?: number;
}

export interface LeaseStore {
  /** Take the alias if nobody holds it (or the holder's lease lapsed). Exactly one of racing claims wins. */
  claimAlias(key: string, owner: Owner, ttlMs: number): Promise<Claim>;
  /** Extend each lease whose token still matches and has not lapsed; returns the ones lost. */
  renew(leases: Lease[], ttlMs: number): Promise<Lease[]>;
  /** Give the alias up if `token` still holds it; false when it did not. */
  release(key: string, token: string): Promise<boolean>;
  /**
   * Say who holds a lease now (a guest that registered its alias is an
   * account from then on), if `lease`'s token still holds it; false when it did not.
   */
  restate(lease: Lease, owner: Owner): Promise<boolean>;
  /** The current holder, if the alias is held. */
  holder(key: string): Promise<{ owner: Owner; expiresAt: number } | undefined>;
  /** Mark a member present in a room (or refresh it) until now + ttlMs. */
  setPresence(room: string, member: Omit<Presence, 'expiresAt'>, ttlMs: number): Promise<void>;
  removePresence(room: string, key: string): Promise<void>;
  /** Members whose presence has not lapsed, sorted by key. */
  presence(room: string): Promise<Presence[]>;
  /**
   * Put `member` in the place of the entry under its key (lapsed or not)
   * that was never removed or reaped: its session ended with its node. The
   * entry is returned whatever its identity (the caller tells a session
   * coming back from someone else taking the alias); undefined, and nothing
   * changed, when there was none. Atomic against reapPresence: of the two,
   * exactly one gets an entry.
   */
  takePresence(
    room: string,
    member: Omit<Presence, 'expiresAt'>,
    ttlMs: number,
  ): Promise<Presence | undefined>;
  /**
   * Remove and return the entries that lapsed more than `graceMs` ago (their
   * node died and the session did not come back). Each entry is returned to
   * exactly one caller. Only `*` keeps lapsed entries: in rooms they are
   * dropped as soon as they lapse.
   */
  reapPresence(room: string, graceMs: number): Promise<Presence[]>;
}

/** The presence key for everyone online (/who *), whose lapsed entries wait for reapPresence. */
export const EVERYONE = '*';
