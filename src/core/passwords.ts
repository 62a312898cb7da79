/**
 * Password hashing (docs/protocol.md §2 accounts): scrypt from node:crypto with a
 * per-user random salt, parameters stored with the hash so they can be raised
 * later, and a constant-time comparison.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ChatError } from '../protocol/errors.js';

const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;
export const MIN_PASSWORD_CHARS = 8;
export const MAX_PASSWORD_CHARS = 1024;

function derive(
  password: string,
  salt: Buffer,
  keylen: number,
  opts: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keylen, opts, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Refuse a password that is too short or too long to be a sensible secret. */
export function checkPasswordRules(password: string): void {
  const chars = [...password].length;
  if (chars < MIN_PASSWORD_CHARS) {
    throw new ChatError(
      'bad_request',
      `A password needs at least ${MIN_PASSWORD_CHARS} characters`,
    );
  }
  if (chars > MAX_PASSWORD_CHARS) {
    throw new ChatError('bad_request', `A password has at most ${MAX_PASSWORD_CHARS} characters`);
  }
}

/** Hash a password as `scrypt$N$r$p$salt$hash` (base64 parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, KEYLEN, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` matches an encoded hash; false for a malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = encoded.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
