/** Real in-process servers on port 0 for integration tests. */
import pino from 'pino';
import type { Clock } from '../../src/core/clock.js';
import { createApp, type App } from '../../src/server/app.js';
import { loadConfig, type ServerConfig } from '../../src/server/config.js';

export interface TestServer {
  app: App;
  port: number;
  config: Readonly<ServerConfig>;
  /** Graceful stop; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Start a server on 127.0.0.1 and a free port, with in-memory history unless
 * told otherwise; `clock` runs its timers (the process's own by default).
 */
export async function startServer(
  overrides: Partial<Record<keyof ServerConfig, string | number>> = {},
  clock?: Clock,
): Promise<TestServer> {
  const config = loadConfig(
    { host: '127.0.0.1', port: 0, db: ':memory:', shutdownGrace: 1, ...overrides },
    {},
  );
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const app = await createApp(config, log, clock);
  const addr = await app.start();
  return { app, port: addr.port, config, close: () => app.stop() };
}
