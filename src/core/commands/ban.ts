import type { RequestOf } from '../../protocol/commands.js';
import { ChatError } from '../../protocol/errors.js';
import { foldKey, parseAlias } from '../../protocol/names.js';
import { isLoopback, parseAddressBan, plainAddress } from '../../store/ban-match.js';
import type { BanRecord } from '../../store/store.js';
import { banDuration, leadingDuration, parseDuration, splitWord } from '../duration.js';
import { defineCommand } from './command.js';
import { inOrder } from './in-order.js';
import { ack } from './reply.js';

/**
 * The parts of a ban request. Text mode gives `/ban [-addr] TARGET [DURATION]
 * [reason…]` as `name` and `reason`; JSON may name `addr` and `duration`, or
 * give an address or block as `address` instead of `name` (§4).
 */
function banArgs(req: RequestOf<'ban'>): {
  addr: boolean;
  target: string;
  ms: number | undefined;
  reason: string | undefined;
} {
  if (req.name === undefined && req.address === undefined)
    throw new ChatError(
      'bad_request',
      'Name whom to ban: name (an account or alias) or address (an address or CIDR block)',
    );
  let addr = req.addr ?? false;
  let target = (req.name ?? '').trim();
  if (req.address !== undefined) {
    if (req.name !== undefined)
      throw new ChatError('bad_request', 'Give either name or address, not both');
    addr = true;
    target = req.address.trim();
    // `address` is one (§4 ban); a nick's address is banned with `name` and `addr`.
    if (parseAddressBan(target) === undefined) throw notAnAddress(target);
  }
  let rest = req.reason?.trim() ?? '';
  if (target === '-addr') {
    addr = true;
    [target = '', rest = ''] = splitWord(rest);
  }
  let ms = req.duration === undefined ? undefined : parseDuration(req.duration);
  if (req.duration !== undefined && ms === undefined)
    throw new ChatError('bad_request', `Not a duration: ${req.duration} (use 30m, 1h, 7d…)`);
  if (req.duration === undefined) ({ ms, rest } = leadingDuration(rest));
  if (target === '')
    throw new ChatError('bad_request', 'Usage: /ban [-addr] nick|address [duration] [reason]');
  return { addr, target, ms: banDuration(ms), reason: rest || undefined };
}

function notAnAddress(target: string): ChatError {
  return new ChatError(
    'bad_request',
    `Not an address or CIDR block: ${target.slice(0, 60)} (e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::/32)`,
  );
}

/**
 * Operators only (§3; checked by the table): ban what was named: an account,
 * or a guest's alias, online or not; an address or CIDR block only with
 * `-addr`, and loopback only when typed out. Disconnects whoever the ban
 * covers; survives restarts.
 */
export const ban = defineCommand('ban', (ctx, user, req) =>
  inOrder(ctx, async () => {
    const { addr, target, ms, reason } = banArgs(req);
    const now = ctx.nowMs();
    const common = {
      by: user.name.display,
      at: now,
      ...(reason && { reason }),
      ...(ms !== undefined && { expires: now + ms }),
    };
    let record: BanRecord;
    if (addr) {
      let value = parseAddressBan(target);
      let nameKey = value ?? '';
      if (value === undefined) {
        // Digits and dots, or a `:` or `/`, that no one online is called: a mistyped address.
        if (!ctx.users.has(foldKey(target)) && /^[\d.]+$|[:/]/u.test(target)) {
          throw notAnAddress(target);
        }
        if (!ctx.users.has(foldKey(target)) && (await ctx.remoteUser(target))) {
          // Its address is known only to the server it is on.
          throw new ChatError(
            'bad_request',
            `${target} is connected to another server; ban the address itself: /ban -addr ADDRESS`,
          );
        }
        const online = ctx.findUser(target);
        if (isLoopback(online.peer.address)) {
          throw new ChatError(
            'bad_request',
            `${online.name.display} connects from loopback (${online.peer.address}): an address ban would shut out every local user. To ban it anyway: /ban -addr ${plainAddress(online.peer.address)}`,
          );
        }
        const address = plainAddress(online.peer.address);
        // A classroom behind one NAT: banning one student's address bans them all.
        const others = [...ctx.users.values()].filter(
          (u) => u !== online && plainAddress(u.peer.address) === address,
        );
        if (others.length > 0) {
          const named = others.slice(0, 3).map((u) => u.name.display);
          const more = others.length > 3 ? ` and ${others.length - 3} more` : '';
          throw new ChatError(
            'bad_request',
            `${online.name.display} shares ${address} with ${others.length} other user${others.length > 1 ? 's' : ''} online (${named.join(', ')}${more}): an address ban would shut them all out. Ban the name instead (/ban ${online.name.display}), or to ban the address anyway: /ban -addr ${address}`,
          );
        }
        value = address;
        nameKey = online.name.key;
      }
      record = { kind: 'address', value, nameKey, name: value, ...common };
    } else {
      const name = parseAlias(target);
      // Someone online under this alias is banned as who they are: a
      // registered user who took another alias (`/nick` keeps the account) is
      // banned as the account, not as the alias they happen to use.
      const online = ctx.users.get(name.key);
      const accountKey =
        online?.account?.key ?? (online ? undefined : (await ctx.remoteUser(target))?.accountKey);
      const account = await ctx.store.getAccount(accountKey ?? name.key);
      if (account?.operator) throw new ChatError('forbidden', 'Operators cannot be banned');
      record = account
        ? {
            kind: 'account',
            value: account.key,
            // The alias typed, so `/unban` of it finds the ban too (the renamed user is gone by then).
            nameKey: name.key,
            name: account.name,
            ...common,
          }
        : { kind: 'alias', value: name.key, nameKey: name.key, name: name.display, ...common };
    }
    await ctx.store.addBan(record);
    ctx.audit({
      action: 'ban',
      actor: user.name.display,
      target: `${record.kind} ${record.name}`,
      ...(reason && { reason }),
    });
    // Everyone online the new ban covers goes now (operators excepted), on every node.
    ctx.applyBan(record, user);
    // Until when, as a mute's ack says: a typo in the duration shows at once.
    const until =
      record.expires === undefined ? {} : { text: new Date(record.expires).toISOString() };
    ack(ctx, user, req, { name: record.name, kind: record.kind, ...until });
  }),
);
