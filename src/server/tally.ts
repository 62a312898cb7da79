/**
 * What the server counts as it runs: plain numbers bumped in place on the hot
 * paths (one add per delivery, no label lookup, no call into prom-client).
 * Every server has one; the metrics endpoint (metrics.ts), when enabled,
 * reads it at scrape time. Nobody reading it is what "metrics off" costs.
 */
import { ERROR_CODES, type ErrorCode } from '../protocol/errors.js';

function zeroByCode(): Record<ErrorCode, number> {
  // Every code present from the start: a stable object shape keeps the
  // increment a fixed-offset store, and a scrape shows each code at 0.
  return Object.fromEntries(ERROR_CODES.map((c) => [c, 0])) as Record<ErrorCode, number>;
}

export class Tally {
  /** Events queued to connections, one per event per recipient. */
  deliveries = 0;
  /** Of those, chat messages (room and private). */
  messagesOut = 0;
  bytesIn = 0;
  /** Bytes queued to connections (before TLS). */
  bytesOut = 0;
  slowReaderDisconnects = 0;
  floodDisconnects = 0;
  /** Error events sent to clients, by code. */
  readonly refusals = zeroByCode();
  /** Handshakes refused, by code (auth_failed, banned, alias_taken, ...). */
  readonly loginFailures = zeroByCode();
  /** Failures that were the server's fault (logged as "internal error"). */
  internalErrors = 0;
}
