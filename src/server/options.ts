/**
 * Every server option as data, in one table: the flag, its CHAT_* environment
 * variable, its default and how to parse it. The CLI, the config file,
 * `--help`, `chat-server config` and the README's table all come from here.
 * The options are written by group (options-*.ts); the table keeps the order
 * they have always been listed in, so some groups enter it in two places.
 */
import { IRC_OPTIONS } from './options-irc.js';
import { LIMIT_OPTIONS } from './options-limits.js';
import { LISTENER_OPTIONS, PLAINTEXT_OPTIONS, TLS_OPTIONS } from './options-listeners.js';
import { CONFIG_OPTIONS, LOG_LEVEL_OPTIONS, OPERATION_OPTIONS } from './options-operations.js';
import { STORAGE_OPTIONS } from './options-storage.js';
import type { ListenAddress, LogLevel, OptionSpec } from './option-spec.js';

export {
  envName,
  flagName,
  LOG_LEVELS,
  type ListenAddress,
  type LogLevel,
  type OptionSpec,
} from './option-spec.js';

export const SERVER_OPTIONS = [
  ...LISTENER_OPTIONS,
  ...IRC_OPTIONS,
  ...TLS_OPTIONS,
  ...STORAGE_OPTIONS,
  ...LOG_LEVEL_OPTIONS,
  ...LIMIT_OPTIONS,
  ...OPERATION_OPTIONS,
  ...PLAINTEXT_OPTIONS,
  ...CONFIG_OPTIONS,
] as const satisfies readonly OptionSpec[];

type ValueOf<K extends OptionSpec['kind']> = K extends 'int'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends 'level'
      ? LogLevel
      : K extends 'address'
        ? ListenAddress
        : string;

/** The validated server configuration: one field per option, typed from the table. */
export type ServerConfig = {
  readonly [O in (typeof SERVER_OPTIONS)[number] as O['key']]: O['default'] extends undefined
    ? ValueOf<O['kind']> | undefined
    : ValueOf<O['kind']>;
};
