/**
 * Why a Store call failed: `open` (cannot start), `closed` (used after
 * close, during shutdown), `write` (a write failed for another reason),
 * `full` (the disk or file system is full or read-only: it recovers when
 * space comes back), `lease` (another server took the database over),
 * `unavailable` (cluster mode: the shared Redis cannot be reached; it
 * recovers when Redis answers again).
 */
export type StoreFailure = 'open' | 'closed' | 'write' | 'full' | 'lease' | 'unavailable';

/** What users are told for failures they can do something about (retry later). */
const USER_MESSAGES: Partial<Record<StoreFailure, string>> = {
  full: 'The server cannot store messages right now (its disk is full); nothing was sent. Try again in a minute',
  lease: 'This server is stopping (another one took over); nothing was sent. Reconnect',
  unavailable: 'The server cannot reach its shared store right now; try again shortly',
};

/**
 * A Store backend failure. The message names the file and says how to fix
 * it, for the operator's log; users get `userCode` (docs/protocol.md "Error
 * codes": `unavailable` with `userMessage` when retrying later can help,
 * else a generic `internal`), never this message.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly userCode: 'internal' | 'unavailable';
  readonly userMessage: string | undefined;

  constructor(
    readonly failure: StoreFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.userMessage = USER_MESSAGES[failure];
    this.userCode = this.userMessage === undefined ? 'internal' : 'unavailable';
  }
}

/** SQLite result codes that mean "no room / cannot write here", not a bug: retry later. */
export function isStorageFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (code === 'SQLITE_FULL' ||
      code.startsWith('SQLITE_IOERR') ||
      code.startsWith('SQLITE_READONLY'))
  );
}
