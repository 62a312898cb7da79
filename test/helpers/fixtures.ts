/**
 * Per-test fixtures over startServer and LineClient: everything a test opens
 * is closed by `t.after`, and the protocol's "prove nothing else arrived"
 * idiom (send a request, the next line must be its reply) is one call.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Clock } from '../../src/core/clock.js';
import { LineClient } from './line-client.js';
import { startServer, type TestServer } from './server.js';

type Overrides = Parameters<typeof startServer>[0];

/**
 * Flood control (docs/protocol.md §6) is not what most tests are about; they run
 * with a generous budget so a test that sends a few dozen requests is never
 * delayed.
 */
const GENEROUS_RATE: Overrides = { rateBurst: 10_000, ratePerSecond: 100_000, rateQueue: 10_000 };

/** A server on port 0, stopped when the test ends. */
export async function serve(
  t: TestContext,
  overrides: Overrides = {},
  clock?: Clock,
): Promise<TestServer> {
  const server = await startServer({ ...GENEROUS_RATE, ...overrides }, clock);
  t.after(() => server.close());
  return server;
}

/** A raw connection (nothing sent yet), closed when the test ends. */
export async function raw(t: TestContext, port: number): Promise<LineClient> {
  const c = await LineClient.connect(port);
  t.after(() => c.close());
  return c;
}

/** A text-mode client past its welcome line, closed when the test ends. */
export async function textUser(t: TestContext, port: number, alias: string): Promise<LineClient> {
  const c = await LineClient.text(port, alias);
  t.after(() => c.close());
  return c;
}

/** Three text users in #lobby who have seen each other join. */
export async function trio(t: TestContext): Promise<{
  port: number;
  alice: LineClient;
  bob: LineClient;
  carol: LineClient;
}> {
  const { port } = await serve(t);
  const alice = await textUser(t, port, 'Alice');
  const bob = await textUser(t, port, 'Bob');
  const carol = await textUser(t, port, 'Carol');
  await alice.waitFor((l) => l === '* Carol joined #lobby');
  await bob.waitFor((l) => l === '* Carol joined #lobby');
  return { port, alice, bob, carol };
}

/** A JSON-mode client past welcome and its lobby history, closed when the test ends. */
export async function jsonUser(
  t: TestContext,
  port: number,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<LineClient> {
  const c = await LineClient.json(port, name, extra);
  await c.waitForJson((o) => o.type === 'history');
  t.after(() => c.close());
  return c;
}

/** The `[code]` at the end of a text-mode `! ` error line, if it is one. */
export function textErrorCode(line: string): string | undefined {
  return /^! .*\[([a-z_]+)\]$/u.exec(line)?.[1];
}

/** The next line must be a text-mode error with this code; returns it. */
export async function expectTextError(c: LineClient, code: string): Promise<string> {
  const line = await c.next();
  assert.equal(textErrorCode(line), code, `expected a ! … [${code}] line, got: ${line}`);
  return line;
}

/** The next JSON object must be an error with this code (and id, when given). */
export async function expectJsonError(
  c: LineClient,
  code: string,
  id?: string,
): Promise<Record<string, unknown>> {
  const o = await c.nextJson();
  assert.equal(o.type, 'error', `expected an error, got ${JSON.stringify(o)}`);
  assert.equal(o.code, code, JSON.stringify(o));
  if (id !== undefined) assert.equal(o.id, id, JSON.stringify(o));
  return o;
}

const WHO_REPLY = /^\* \d+ users? (in #\S+|online): /u;

/**
 * Prove a text client received nothing unexpected: ask `/who` and require
 * that the very next line is its reply.
 */
export async function textFence(c: LineClient): Promise<void> {
  c.send('/who');
  const line = await c.next();
  assert.match(line, WHO_REPLY, `expected the /who reply first; unread: ${c.unread().join(' | ')}`);
}

let fences = 0;

/** The same for a JSON client: a `ping` with a fresh id must be answered by the next object. */
export async function jsonFence(c: LineClient): Promise<void> {
  const id = `fence-${++fences}`;
  c.sendJson({ type: 'ping', id });
  const o = await c.nextJson();
  assert.deepEqual(o, { type: 'pong', id }, `expected the pong first, got ${JSON.stringify(o)}`);
}

/** `[HH:MM] ` as text mode prefixes messages. */
export const CLOCK = String.raw`\[\d\d:\d\d\] `;

/** A regexp for a whole text-mode line: CLOCK followed by `rest` taken literally. */
export function stamped(rest: string): RegExp {
  return new RegExp(`^${CLOCK}${rest.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}$`, 'u');
}

/** Stop reading a client's socket, so the server's output to it piles up. */
export function stopReading(c: LineClient): void {
  c.socket.unpipe();
  c.socket.pause();
}
