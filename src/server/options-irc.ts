/** The IRC listener's options (docs/protocol.md "IRC"): off unless --irc-port is given. */
import type { OptionSpec } from './option-spec.js';

/**
 * A server name as RFC 2812 §2.3.1 has it (a host name, at most 63
 * characters), '_' allowed as real host names have it. It prefixes every
 * reply (`:name 001 …`): a space or ':' would cut the line in the wrong place.
 */
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/u;

/** The IRC port, its address and the name it gives itself. */
export const IRC_OPTIONS = [
  {
    key: 'ircPort',
    description: 'also speak IRC on this TCP port (0 picks a free one; unset: no IRC)',
    default: undefined,
    kind: 'int',
    min: 0,
    max: 65535,
  },
  {
    key: 'ircHost',
    description: 'address for the IRC port (default: --host)',
    default: undefined,
    kind: 'string',
  },
  {
    key: 'serverName',
    description: 'name the IRC port gives itself in replies (default: the host name)',
    default: undefined,
    kind: 'string',
    match: {
      pattern: SERVER_NAME,
      means:
        "letters, digits, '.', '-' and '_', starting with a letter or digit, at most 63 characters (it prefixes every IRC reply)",
    },
  },
] as const satisfies readonly OptionSpec[];

/** The name the IRC port uses: --server-name, else the host name when it is a valid one. */
export function ircServerName(configured: string | undefined, host: string): string {
  return configured ?? (SERVER_NAME.test(host) ? host : 'chat-server');
}
