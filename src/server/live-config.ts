/**
 * What of the configuration is live: the chat's settings derived from it (at
 * start and again on every reload), and a reload's plan, which options apply
 * at once and which wait for a restart (docs/operations.md "Live reload").
 */
import type { ChatOptions } from '../core/chat-options.js';
import type { ThrottleOptions } from '../core/login-throttle.js';
import type { ServerConfig } from './config.js';
import { SERVER_OPTIONS, flagName } from './options.js';

/** What a SIGHUP reload did. */
export interface Reloaded {
  /** Options applied live (flag names). */
  applied: string[];
  /** Options that changed in the file but take a restart (flag names). */
  needRestart: string[];
}

/** The chat's settings a reload may change (Chat.reconfigure). */
export type LiveChatSettings = Pick<
  ChatOptions,
  'limits' | 'historyOnJoin' | 'announceLimit' | 'requireAccount' | 'heartbeatSeconds' | 'login'
>;

/** The `--login-*` options as the core's throttle takes them (docs/security.md "Login limits"). */
function loginLimits(config: Readonly<ServerConfig>): Partial<ThrottleOptions> {
  return {
    freeFailures: config.loginFreeFailures,
    accountFailures: config.loginAccountFailures,
    addressFailures: config.loginAddressFailures,
    windowMs: config.loginWindow * 60_000,
    lockoutMs: config.loginLockout * 60_000,
  };
}

/** The chat's live settings from a configuration: the same mapping at start and on reload. */
export function chatSettings(config: Readonly<ServerConfig>): LiveChatSettings {
  return {
    limits: {
      maxLineBytes: config.maxLineBytes,
      maxMessageLines: config.maxMessageLines,
      rateBurst: config.rateBurst,
      ratePerSecond: config.ratePerSecond,
      rateQueue: config.rateQueue,
      // Not live, but the welcome must keep announcing it after a reload.
      maxFileBytes: config.maxFileBytes,
      maxTopicBytes: config.maxTopicBytes,
      maxRoomsPerUser: config.maxRoomsPerUser,
    },
    historyOnJoin: config.historyOnJoin,
    announceLimit: config.announceLimit,
    requireAccount: config.requireAccount,
    heartbeatSeconds: config.heartbeat,
    login: loginLimits(config),
  };
}

/**
 * Compare a reloaded configuration with the one in force: the options that
 * apply live (those marked `live` in options.ts; TLS files only while TLS is
 * on), those that take a restart, and the configuration to run with, which
 * keeps the old value of every option that takes a restart.
 */
export function planReload(
  current: Readonly<ServerConfig>,
  next: Readonly<ServerConfig>,
  tlsOn: boolean,
): Reloaded & { config: Readonly<ServerConfig> } {
  const applied: string[] = [];
  const needRestart: string[] = [];
  for (const spec of SERVER_OPTIONS) {
    if (spec.key === 'config') continue;
    const before = JSON.stringify(current[spec.key]);
    if (before === JSON.stringify(next[spec.key])) continue;
    const live = 'live' in spec && spec.live && (spec.key.startsWith('tls') ? tlsOn : true);
    (live ? applied : needRestart).push(flagName(spec.key));
  }
  // Turning TLS on or off changes what the port speaks: that takes a restart.
  if ((next.tlsCert !== undefined) !== tlsOn && !needRestart.includes('tls-cert'))
    needRestart.push('tls-cert');
  const kept = { ...next } as Record<string, unknown>;
  for (const name of needRestart) {
    const spec = SERVER_OPTIONS.find((s) => flagName(s.key) === name)!;
    kept[spec.key] = current[spec.key];
  }
  return { applied, needRestart, config: Object.freeze(kept as unknown as ServerConfig) };
}
