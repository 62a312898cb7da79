/** Which bans apply to a login: shared by every backend so they all agree. */
import { BlockList, isIP } from 'node:net';
import type { BanQuery, BanRecord } from './store.js';

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) as `1.2.3.4`. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** An address or CIDR block as the ban stores it, or undefined when it is neither. */
export function parseAddressBan(raw: string): string | undefined {
  const [ip = '', bits, ...rest] = raw.trim().split('/');
  const family = isIP(plainAddress(ip));
  if (family === 0 || rest.length > 0) return undefined;
  if (bits === undefined) return plainAddress(ip);
  const n = Number(bits);
  if (!/^\d{1,3}$/u.test(bits) || n > (family === 4 ? 32 : 128)) return undefined;
  return `${plainAddress(ip)}/${n}`;
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
