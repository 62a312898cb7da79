/**
 * Events after which the server closes this connection (docs/protocol.md §2,
 * §5), and whether coming back afterwards would be wrong. Pure.
 */
import type { ServerEvent } from '../protocol/messages.js';

/** Why the coming drop happens; `final` means do not reconnect. */
export interface Farewell {
  reason: string;
  final: boolean;
  /** Set when another login of this account took the session (§2 takeover). */
  code?: 'displaced';
}

/** The farewell `event` announces for the user `self`, if it announces one. */
export function farewellFor(event: ServerEvent, self: string): Farewell | undefined {
  if (event.type === 'system' && event.event === 'shutdown') {
    return { reason: 'the server shut down', final: false };
  }
  // Coming back after a kick would defeat it: that drop is final.
  if (event.type === 'system' && event.event === 'kick' && event.user === self) {
    const by = event.by ? ` by ${event.by}` : '';
    return {
      reason: `you were kicked${by}${event.reason ? ` (${event.reason})` : ''}`,
      final: true,
    };
  }
  // Takeover: another login of this account, after which the server closes
  // us. Reconnecting would take the session back from it, and it would take
  // it back again, for ever: stop, and say how to take it back on purpose.
  if (event.type === 'error' && event.code === 'alias_taken' && event.id === undefined) {
    // The server names who: the account, when this session had another alias of it.
    const who = /^(.+) signed in from another connection/u.exec(event.message)?.[1] ?? self;
    return {
      reason:
        `${who} signed in from another connection, so this one stopped ` +
        '(it does not reconnect, or the two would take turns). ' +
        'To take the session back, start chat-client again: that signs the other one out',
      final: true,
      code: 'displaced',
    };
  }
  // Signed out by an administrator (a password reset, a removed account):
  // coming back with the old password would only fail and say so instead.
  if (event.type === 'error' && event.code === 'auth_required' && event.id === undefined) {
    return { reason: event.message.replace(/^Signed out: /u, 'signed out: '), final: true };
  }
  return undefined;
}
