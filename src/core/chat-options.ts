/**
 * What the chat is built with (composed by server/app.ts): its store, bus and
 * leases, limits, timers, and the callbacks through which it reports to the
 * process (logs, audit) without importing I/O itself.
 */
import type { Bus } from '../bus/bus.js';
import type { Limits } from '../protocol/messages.js';
import type { LeaseStore } from '../store/lease.js';
import type { AuditRecord, Store } from '../store/store.js';
import type { Clock } from './clock.js';
import type { ThrottleOptions } from './login-throttle.js';
import type { TransferLimits } from './transfers.js';

export interface ChatOptions {
  store: Store;
  bus: Bus;
  limits: Limits;
  /** Admit registered accounts only (`--require-account`). */
  requireAccount: boolean;
  /** Messages replayed per room on join (docs/protocol.md §2). */
  historyOnJoin: number;
  /** Rooms above this many members announce joins and leaves in aggregate, once a second (§6). */
  announceLimit: number;
  /** Seconds of silence before the server pings a JSON client (§4). */
  heartbeatSeconds: number;
  server: { name: string; version: string };
  /** Time and timers (login hold-back, presence batching); the process's own by default. */
  clock?: Clock;
  /** Called for each audited event (after it is stored), so the caller can log it at info. */
  onAudit?: (record: AuditRecord) => void;
  /** The message of the day, sent after the welcome when set (read per login: SIGHUP may change it). */
  motd?: () => string | undefined;
  /** Called for failures that are the server's fault, so the caller can log them. */
  onInternalError?: (err: unknown, context: string) => void;
  /** File transfer limits (§5); defaults in core/transfers.ts. */
  transfers?: Partial<TransferLimits>;
  /** Called when a transfer ends, for the log (no file names: they are user content). */
  onTransferEnd?: (fields: { id: string; outcome: string; bytes: number }) => void;
  /** Called for changes an operator may need to trace (nick changes): never message text. */
  audit?: (action: string, fields: Record<string, string>) => void;
  /** How often the accounts of users online are read again (CLI resets and demotions); 0: never. */
  accountCheckMs?: number;
  /** Failed-login limits per account and per address (`--login-*`); defaults in core/login-throttle.ts. */
  login?: Partial<ThrottleOptions>;
  /**
   * Alias ownership and presence (docs/architecture.md): MemoryLeases in one
   * process, the Redis store in cluster mode; one code path either way.
   */
  leases: LeaseStore;
  /** This process's id among the nodes (unique per start). */
  node: string;
  /**
   * No other node shares `leases` (one process, MemoryLeases): reads of other
   * nodes' presence are skipped, since they could only find this node's own
   * users, and each one costs a scan of everyone online, which made every
   * login O(users online) and a join storm quadratic. Default false.
   */
  solo?: boolean;
  /** How long an alias lease lasts unless renewed (renewed every third of it). Default 15 s. */
  leaseMs?: number;
}
