/**
 * What a server option is: its spec (flag, CHAT_* variable, default, how to
 * parse it) and how its key becomes a flag and an environment variable. The
 * options themselves are in options.ts and its groups.
 */

export interface OptionSpec {
  /** Config key, camelCase; the flag is its kebab-case, the env var CHAT_ + SNAKE_CASE. */
  key: string;
  description: string;
  default: string | number | boolean | undefined;
  /**
   * `choice`: one of `choices`; `address`: `HOST:PORT`, or a bare port meaning
   * loopback (for listeners that must not be public by accident).
   */
  kind: 'string' | 'int' | 'bool' | 'level' | 'choice' | 'address';
  /** Smallest accepted value for ints. */
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** For strings: the form a value must have, and the words the error uses for it. */
  match?: { pattern: RegExp; means: string };
  /** A file path: relative paths in a config file resolve against the file's folder. */
  path?: boolean;
  /** Masked by `chat-server config` (passwords, URLs with credentials). */
  secret?: boolean;
  /**
   * Applied on SIGHUP without a restart. Options without it are named in a
   * warning when a reload finds them changed.
   */
  live?: boolean;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where an extra listener binds (`--metrics`). */
export interface ListenAddress {
  host: string;
  port: number;
}

/** `maxLineBytes` → `max-line-bytes`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/gu, (c) => '-' + c.toLowerCase());
}

/** `maxLineBytes` → `CHAT_MAX_LINE_BYTES`. */
export function envName(key: string): string {
  return 'CHAT_' + key.replace(/[A-Z]/gu, (c) => '_' + c).toUpperCase();
}
