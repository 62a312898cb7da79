/**
 * Where the built programs are, the environment they run in, and temporary
 * directories: the ground every test that spawns a process stands on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built server binary: dist/test/helpers → dist/src/bin. */
export const SERVER_BIN = fileURLToPath(new URL('../../src/bin/chat-server.js', import.meta.url));
/** The built client binary, next to the server's. */
export const CLIENT_BIN = fileURLToPath(new URL('../../src/bin/chat-client.js', import.meta.url));

/** Anything that can register cleanup, like node:test's TestContext. */
export interface Cleanup {
  after(fn: () => Promise<void> | void): void;
}

/**
 * The environment without CHAT_* variables, so the developer's settings do not
 * leak in, and with NO_COLOR so output is plain text to compare.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CHAT_')) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

/** A temporary directory, removed when the test ends. */
export function tempDir(t: Cleanup, prefix = 'chat-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
