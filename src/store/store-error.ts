/** Why a Store call failed; callers may pick a user-facing code from it (e.g. `closed` during shutdown). */
export type StoreFailure = 'open' | 'closed' | 'write' | 'unavailable';

/**
 * A Store backend failure. `code` is always the protocol's `internal`: users
 * get a generic error (toChatError does not pass this message on), while the
 * message names the file and says how to fix it for the operator's log.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code = 'internal';

  /** The backend could not be reached (cluster mode): users get `unavailable`, not `internal`. */
  get unavailable(): boolean {
    return this.failure === 'unavailable';
  }

  constructor(
    readonly failure: StoreFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
