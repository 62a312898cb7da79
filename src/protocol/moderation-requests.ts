/**
 * The operator-only requests (docs/protocol.md §3 moderation): kick, ban,
 * mute, unmute, bans and unban, their JSON fields and typed commands. The
 * command table (commands.ts) refuses them to anyone not an operator before
 * a handler runs.
 */
import { z } from 'zod';
import { name, optText, request, rest, word } from './request-builder.js';

/** In `/help` order, after the requests everyone may send. */
export const MODERATION_REQUESTS = [
  request(
    'kick',
    { name, reason: optText },
    [
      {
        name: 'kick',
        usage: '/kick nick [reason]',
        summary: 'disconnect a user (operators only)',
        args: [word('name'), rest('reason', true)],
      },
    ],
    true,
  ),
  request(
    'ban',
    {
      /** Whom: an account or alias; with `addr`, an address, a CIDR block or an online nick. */
      name: name.optional(),
      /** An address or CIDR block to ban: the same as `name` with `addr: true` (PROTOCOL §4). */
      address: name.optional(),
      reason: optText,
      /** Ban an address or CIDR block (`name` is one, or an online nick whose address is taken). */
      addr: z.boolean().optional(),
      /** How long: `30m`, `1h`, `7d`, `2w`; permanent when absent. */
      duration: z.string().max(16).optional(),
    },
    [
      {
        name: 'ban',
        usage: '/ban nick [duration] [reason]',
        summary:
          'ban an account or guest alias (/ban -addr nick|address[/bits] …: an address) (operators only)',
        args: [word('name'), rest('reason', true)],
      },
    ],
    true,
  ),
  request(
    'mute',
    {
      name,
      reason: optText,
      /** How long: `30m`, `1h`, `7d`, `2w`; until /unmute (or a restart) when absent. */
      duration: z.string().max(16).optional(),
    },
    [
      {
        name: 'mute',
        usage: '/mute nick [duration] [reason]',
        summary:
          'stop a user speaking in rooms; they still read and get private messages (operators only)',
        args: [word('name'), rest('reason', true)],
      },
    ],
    true,
  ),
  request(
    'unmute',
    { name },
    [
      {
        name: 'unmute',
        usage: '/unmute nick',
        summary: 'let a muted user speak again (operators only)',
        args: [word('name')],
      },
    ],
    true,
  ),
  request(
    'bans',
    {},
    [
      {
        name: 'bans',
        usage: '/bans',
        summary: 'list bans: who set them, when, why, until when (operators only)',
        args: [],
      },
    ],
    true,
  ),
  request(
    'unban',
    {
      /** What `/bans` shows: an account, alias, address or block. */
      name: name.optional(),
      /** An address or block: the same as `name` (PROTOCOL §4, beside `ban`'s `address`). */
      address: name.optional(),
    },
    [
      {
        name: 'unban',
        usage: '/unban name',
        summary: 'lift a ban, named as /bans shows it (operators only)',
        args: [word('name')],
      },
    ],
    true,
  ),
] as const;
