/**
 * The local user behind a loopback connection (Linux). On a shared host
 * (a class on one machine) everyone connects from 127.0.0.1, so login
 * limits keyed by address alone let any user lock an account, the
 * teacher's too, for everyone (docs/security.md "Login limits"). The
 * kernel's socket table names the owner of the client's end of the
 * connection; a wrong password then counts against that local user.
 *
 * Hand-rolled: no npm package reads it, and it is one regex. Read only
 * when a password is checked (rare), never per connection, per line or for
 * a login that sends none: with 18,000 connections the table is megabytes.
 */
import { readFile } from 'node:fs/promises';

const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];

/** Whether `address` (as Node gives it) is a loopback address. */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || /^(?:::ffff:)?127\./u.test(address);
}

/** A socket table address (`0100007F`, or 32 hex digits) is loopback: 127/8, ::1 or ::ffff:127/104. */
function loopbackHex(hex: string): boolean {
  if (hex.length === 8) return hex.endsWith('7F'); // little-endian: the first octet is last
  return (
    hex === '00000000000000000000000001000000' ||
    (hex.startsWith('0000000000000000FFFF0000') && hex.endsWith('7F'))
  );
}

/** A port as the socket tables write it: four upper-case hex digits. */
function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * The uid owning the client end of the loopback connection from
 * `clientPort` to `serverPort`, in the socket tables' text; undefined when
 * not found (not Linux, or it closed). One regex over each table, not a
 * split into lines: with thousands of connections a table is megabytes.
 */
export function loopbackUid(
  clientPort: number,
  serverPort: number,
  tables: readonly string[],
): number | undefined {
  // sl local_address rem_address st tx:rx tr:when retrnsmt uid: the client's
  // own socket has the client's port locally and the server's as its peer.
  const line = new RegExp(
    `^ *\\d+: ([0-9A-F]+):${hexPort(clientPort)} [0-9A-F]+:${hexPort(serverPort)} \\S+ \\S+ \\S+ \\S+ +(\\d+) `,
    'gmu',
  );
  for (const table of tables) {
    for (const m of table.matchAll(line)) {
      if (loopbackHex(m[1]!)) return Number(m[2]);
    }
  }
  return undefined;
}

/**
 * The uid behind a loopback client (its port and the server's), read from
 * the kernel's tables without blocking the event loop on their size.
 */
export async function loopbackUidNow(
  clientPort: number,
  serverPort: number,
): Promise<number | undefined> {
  const tables = await Promise.all(
    TABLES.map((path) =>
      // No such table (not Linux, or no IPv6): the address alone then.
      readFile(path, 'latin1').catch(() => ''),
    ),
  );
  return loopbackUid(clientPort, serverPort, tables);
}
