/** Which bans apply to a login: shared by every backend so they all agree. */
import { BlockList, isIP } from 'node:net';
import type { BanQuery, BanRecord } from './store.js';

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) as `1.2.3.4`. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * An address or CIDR block as the ban stores it, or undefined when it is
 * neither. One spelling per ban, so `/unban` finds it however it was typed:
 * a block by its network address (`10.0.0.5/24` is `10.0.0.0/24`), a block
 * of one address as that address (`/32`, `/128`), IPv6 in its canonical
 * lower-case, compressed form.
 */
export function parseAddressBan(raw: string): string | undefined {
  const [typed = '', bits, ...rest] = raw.trim().split('/');
  const ip = plainAddress(typed);
  const family = isIP(ip);
  if (family === 0 || rest.length > 0) return undefined;
  const width = family === 4 ? 32 : 128;
  const n = bits === undefined ? width : Number(bits);
  if ((bits !== undefined && !/^\d{1,3}$/u.test(bits)) || n > width) return undefined;
  const groups = family === 4 ? ip.split('.').map(Number) : ipv6Groups(ip);
  const size = family === 4 ? 8 : 16;
  const masked = groups.map((g, i) => {
    const keep = Math.min(size, Math.max(0, n - i * size));
    return keep === 0 ? 0 : g & ((((1 << size) - 1) >> (size - keep)) << (size - keep));
  });
  const net = family === 4 ? masked.join('.') : canonicalIpv6(masked);
  return n === width ? net : `${net}/${n}`;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail as two groups). */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/u.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16));
}

/**
 * Groups as RFC 5952 writes them (lower case, the longest run of zero
 * groups as `::`): the WHATWG URL parser's serializer does exactly that.
 */
function canonicalIpv6(groups: number[]): string {
  return new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]`).hostname.slice(1, -1);
}

/** Whether an address ban's value (an address or a CIDR block) covers `address`. */
export function addressMatches(value: string, address: string): boolean {
  const ip = plainAddress(address);
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  const [net = '', bits] = value.split('/');
  const list = new BlockList();
  try {
    const type = isIP(net) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(net, type);
    else list.addSubnet(net, Number(bits), type);
    return list.check(ip, family);
  } catch {
    return false; // a stored value this build cannot parse bans nobody
  }
}

/** 127.0.0.0/8 and ::1: an address ban of these shuts out every local user. */
export function isLoopback(address: string): boolean {
  const ip = plainAddress(address);
  return ip === '::1' || (isIP(ip) === 4 && ip.startsWith('127.'));
}

export function inForce(ban: BanRecord, now: number): boolean {
  return ban.expires === undefined || ban.expires > now;
}

/** Whether `ban` (in force) applies to the login described by `q`. */
export function banApplies(ban: BanRecord, q: BanQuery): boolean {
  if (!inForce(ban, q.now)) return false;
  switch (ban.kind) {
    case 'account':
      return ban.value === q.accountKey;
    case 'alias':
      // A guest alias: the name itself, whoever connects with it without an account.
      return q.accountKey === undefined && ban.value === q.aliasKey;
    case 'address':
      return addressMatches(ban.value, q.address);
  }
}
