/**
 * The protocol's stable error codes (docs/protocol.md §4). Tests assert these codes,
 * never the human message, so a code once published never changes meaning.
 */
export const ERROR_CODES = [
  'bad_request',
  'bad_alias',
  'alias_taken',
  'auth_required',
  'auth_failed',
  'not_found',
  'not_member',
  'forbidden',
  'banned',
  'rate_limited',
  'line_too_long',
  'too_large',
  'server_full',
  'timeout',
  'shutting_down',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * A finer cause under one of the stable codes, sent as the error's `detail`
 * (docs/protocol.md "Error codes") for clients that act on it: the code
 * stays one every client of the contract knows.
 * - `account_required` (under `auth_required`): `--require-account` and no
 *   such account; no password helps, so a client must not ask for one.
 * - `id_reused` (under `bad_request`): an id already used for other text.
 * - `unavailable` (under `internal`): the store cannot be reached now; retry.
 * - `displaced` (under `alias_taken`): this client's session was taken over
 *   by another login while it was away; it must not take it back.
 */
export const ERROR_DETAILS = ['account_required', 'id_reused', 'unavailable', 'displaced'] as const;

export type ErrorDetail = (typeof ERROR_DETAILS)[number];

/**
 * How a TLS-only port's refusal of a plain-text client begins (docs/protocol.md
 * §1): chat-client knows by it that it should have used --tls.
 */
export const TLS_ONLY = 'This port speaks TLS only';

/** A refusal the user can understand: a stable code plus a human sentence. */
export class ChatError extends Error {
  override readonly name = 'ChatError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
    readonly detail?: ErrorDetail,
  ) {
    super(message);
  }
}

/**
 * `auth_required` for a registered alias given without a password: text mode
 * answers it by asking for the password on the next line (§2).
 */
export class PasswordNeeded extends ChatError {
  constructor(readonly alias: string) {
    super('auth_required', `${alias} is registered: send its password`);
  }
}

/** Narrow an unknown thrown value to a ChatError, wrapping anything else as `internal`. */
export function toChatError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  // A backend failure the user can act on (the Store's StoreError, e.g. a
  // full disk): its code and sentence, never its operator-facing message.
  const { userCode, userMessage } = (err ?? {}) as { userCode?: unknown; userMessage?: unknown };
  if (userCode === 'unavailable' && typeof userMessage === 'string') {
    return new ChatError('internal', userMessage, undefined, 'unavailable');
  }
  return new ChatError('internal', 'Internal server error; the request was not carried out');
}
