/**
 * Helpers of the security tests: accounts created straight in a test
 * server's store (as `chat-server accounts add` does), and the two-step
 * text-mode login of a registered alias (docs/protocol.md §2).
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { hashPassword } from '../../src/core/passwords.js';
import { foldKey } from '../../src/protocol/names.js';
import { raw } from './fixtures.js';
import type { LineClient } from './line-client.js';
import type { TestServer } from './server.js';

/** Create an account in the server's store (what the accounts CLI does on the same database). */
export async function createAccount(
  server: TestServer,
  name: string,
  password: string,
  operator = false,
): Promise<void> {
  const created = await server.app.store.createAccount({
    key: foldKey(name),
    name,
    hash: await hashPassword(password),
    operator,
    createdAt: Date.now(),
  });
  assert.ok(created, `account ${name} created`);
}

export const BANNER = /^\* chat-server .*: type your alias and press Enter$/u;

/** The line the server sends after a registered alias in text mode. */
export function passwordPrompt(alias: string): string {
  return `* ${alias} is registered: send the password as the next line`;
}

/** Text mode: send the alias, expect the password prompt; returns the connection. */
export async function textAlias(t: TestContext, port: number, alias: string): Promise<LineClient> {
  const c = await raw(t, port);
  assert.match(await c.next(), BANNER);
  c.send(alias);
  assert.equal(await c.next(), passwordPrompt(alias));
  return c;
}

/** Text mode: the whole login of a registered alias, up to its welcome line. */
export async function textLogin(
  t: TestContext,
  port: number,
  alias: string,
  password: string,
): Promise<LineClient> {
  const c = await textAlias(t, port, alias);
  c.send(password);
  assert.match(
    await c.waitFor((l) => l.startsWith('* Welcome') || l.startsWith('! ')),
    /^\* Welcome/u,
  );
  return c;
}

/** JSON mode: hello with a password, up to welcome and the lobby history. */
export async function jsonLogin(
  t: TestContext,
  port: number,
  name: string,
  password: string,
): Promise<LineClient> {
  const c = await raw(t, port);
  c.sendJson({ type: 'hello', version: 1, name, password, history: 0 });
  const o = await c.waitForJson((x) => x.type === 'welcome' || x.type === 'error');
  assert.equal(o.type, 'welcome', JSON.stringify(o));
  await c.waitForJson((x) => x.type === 'history');
  return c;
}
