/**
 * The native listener's options: where it listens, its TLS certificate, and
 * whether passwords may cross a public address without TLS.
 */
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/constants.js';
import type { OptionSpec } from './option-spec.js';

/** Where the native port listens. */
export const LISTENER_OPTIONS = [
  { key: 'host', description: 'address to listen on', default: DEFAULT_HOST, kind: 'string' },
  {
    key: 'port',
    description: 'TCP port to listen on (0 picks a free one)',
    default: DEFAULT_PORT,
    kind: 'int',
    min: 0,
    max: 65535,
  },
] as const satisfies readonly OptionSpec[];

/** Its certificate: with both, the port speaks TLS only. */
export const TLS_OPTIONS = [
  {
    key: 'tlsCert',
    description: 'PEM certificate (chain): with --tls-key, the port speaks TLS only',
    default: undefined,
    kind: 'string',
    path: true,
    live: true,
  },
  {
    key: 'tlsKey',
    description: 'PEM private key for --tls-cert (SIGHUP reloads both)',
    default: undefined,
    kind: 'string',
    path: true,
    live: true,
  },
] as const satisfies readonly OptionSpec[];

/** The escape from the TLS rule of --require-account on a public address. */
export const PLAINTEXT_OPTIONS = [
  {
    key: 'allowPlaintextPasswords',
    description: 'let --require-account run on a public address without TLS',
    default: false,
    kind: 'bool',
  },
] as const satisfies readonly OptionSpec[];
