/**
 * The server's logger: pino JSON lines when the output is a file or a pipe
 * (for machines), pretty lines on a terminal (for people), `--log-format` to
 * choose. `--log-file` writes to a file that SIGUSR1 reopens, so logrotate can
 * move it away: writes are synchronous, so every line lands whole in the old
 * file or the new one, never split or lost.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { ServerConfig } from './config.js';

/** pino-pretty only for pretty logs, not at every start (70 ms of it); it is CommonJS. */
const requirePretty = (): typeof PinoPretty =>
  createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

export interface ServerLog {
  log: Logger;
  /** Reopen --log-file (after logrotate moved it); a no-op for stdout. */
  reopen(): void;
  /** Flush what is buffered (before exit). */
  flush(): void;
}

export function makeLogger(config: Readonly<ServerConfig>): ServerLog {
  const options = { level: config.logLevel, base: { pid: process.pid } };
  const dest = pino.destination({
    dest: config.logFile ?? 1,
    sync: true,
    ...(config.logFile !== undefined && { mkdir: true }),
  });
  const toTerminal = config.logFile === undefined && process.stdout.isTTY === true;
  const format = config.logFormat ?? (toTerminal ? 'pretty' : 'json');
  // pino-pretty in-process (not as a transport thread): lines stay synchronous
  // and in order with the rest of the output, and the file can be reopened.
  const stream: DestinationStream =
    format === 'pretty'
      ? requirePretty()({
          translateTime: 'HH:MM:ss',
          colorize: toTerminal,
          destination: dest,
          sync: true,
        })
      : dest;
  return {
    log: pino(options, stream),
    reopen: () => {
      if (config.logFile !== undefined) dest.reopen();
    },
    flush: () => dest.flushSync(),
  };
}
