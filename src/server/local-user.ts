/**
 * The local user behind a loopback connection (Linux). On a shared host
 * (a class on one machine) everyone connects from 127.0.0.1, so login
 * limits keyed by address alone let any user lock an account, the
 * teacher's too, for everyone (docs/security.md "Login limits"). The
 * kernel's socket table names the owner of the client's end of the
 * connection; a wrong password then counts against that local user.
 *
 * Hand-rolled: no npm package reads it, and it is a short parse. Read only
 * for a password check (rare), never per connection or per line: with
 * 18,000 connections the table is megabytes.
 */
import { readFileSync } from 'node:fs';

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

/**
 * The uid owning the client end of the loopback connection from
 * `clientPort` to `serverPort`, from the socket tables' text (`tables`,
 * for tests); undefined when not found (not Linux, or it closed).
 */
export function loopbackUid(
  clientPort: number,
  serverPort: number,
  tables: readonly string[] = readTables(),
): number | undefined {
  for (const table of tables) {
    for (const line of table.split('\n')) {
      // sl local_address rem_address st … uid: the client's own socket has
      // the client's port locally and the server's as its peer.
      const f = line.trim().split(/\s+/u);
      if (f.length < 8 || f[0] === 'sl') continue;
      const [localAddr, localPort] = f[1]!.split(':');
      const remPort = f[2]!.split(':')[1];
      if (localAddr === undefined || localPort === undefined || remPort === undefined) continue;
      if (parseInt(localPort, 16) !== clientPort || parseInt(remPort, 16) !== serverPort) continue;
      if (!loopbackHex(localAddr)) continue;
      const uid = Number(f[7]);
      return Number.isSafeInteger(uid) ? uid : undefined;
    }
  }
  return undefined;
}

function readTables(): string[] {
  const out: string[] = [];
  for (const path of TABLES) {
    try {
      out.push(readFileSync(path, 'latin1'));
    } catch {
      // No such table (not Linux, or no IPv6): the address alone then.
    }
  }
  return out;
}
