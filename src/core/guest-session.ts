/**
 * Guest sessions (docs/protocol.md §2 "Guest sessions"). A guest has no
 * account, so what belongs to it (private messages, ignores, the ids of its
 * requests) is keyed by a random token the server hands out in `welcome`,
 * not by its alias: aliases are reused by other people, tokens are not.
 * Only a hash of the token is used as the key, so keys in the store and in
 * logs do not let anyone take the session over.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A new unguessable token (128 bits, base64url: 22 characters). */
export function newSessionToken(): string {
  return randomBytes(16).toString('base64url');
}

/** The stable guest id of a token: a hash, so the id is safe to store and log. */
export function guestIdOf(token: string): string {
  const id = createHash('sha256').update(token).digest('base64url').slice(0, 22);
  // Copied flat: the slice would keep the whole 43-character digest alive for
  // as long as the session lives (the id is held by every idle connection).
  return Buffer.from(id, 'latin1').toString('latin1');
}
