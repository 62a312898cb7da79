/** The IRC listener's options (docs/protocol.md "IRC"): off unless --irc-port is given. */
import type { OptionSpec } from './option-spec.js';

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
  },
] as const satisfies readonly OptionSpec[];
