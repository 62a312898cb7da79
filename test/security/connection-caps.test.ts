/**
 * Issue 5 item 4, docs/protocol.md §6 "Connections": --max-connections
 * (`server_full`), --max-connections-per-address (`server_full`) and
 * --accepts-per-second (`rate_limited`, with retryAfterMs). A refusal is said
 * in the client's own mode: a `! … [code]` line to a text client, a JSON
 * `error` to a client whose first line is a JSON hello, and a text line to
 * one that says nothing (after 2 s); then the connection closes. No banner
 * precedes a refusal. Other addresses are not affected by one address's caps.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { jsonUser, raw, serve, textErrorCode, textUser } from '../helpers/fixtures.js';
import { attackerAddress, clientFrom } from '../helpers/hostile.js';
import type { LineClient } from '../helpers/line-client.js';

/** A text client whose alias line is refused with `code`: the first line it gets is the error. */
async function refusedText(c: LineClient, code: string, alias = 'Late'): Promise<string> {
  c.send(alias);
  const line = await c.next();
  assert.equal(textErrorCode(line), code, `expected a ! … [${code}] line first, got: ${line}`);
  await c.waitClosed();
  return line;
}

async function refusedJson(c: LineClient, code: string): Promise<Record<string, unknown>> {
  c.sendJson({ type: 'hello', version: 1, name: 'LateJson' });
  const line = await c.next();
  const o = JSON.parse(line) as Record<string, unknown>;
  assert.equal(o.type, 'error', line);
  assert.equal(o.code, code, line);
  await c.waitClosed();
  return o;
}

/** Connect until one gets past the banner (places are released as closes are processed). */
async function admitted(t: TestContext, port: number, alias: string): Promise<LineClient> {
  for (let attempt = 1; ; attempt++) {
    const c = await raw(t, port);
    c.send(alias);
    const line = await c.next();
    if (textErrorCode(line) === 'server_full' && attempt < 50) {
      c.close();
      continue;
    }
    assert.match(line, /^\* chat-server /u, 'the banner');
    await c.waitFor((l) => l.startsWith('* Welcome'));
    return c;
  }
}

test('--max-connections: beyond the cap, server_full in text, in JSON, and to the silent', async (t) => {
  const { port } = await serve(t, { maxConnections: 2 });
  const a = await textUser(t, port, 'Ann');
  await jsonUser(t, port, 'Bea');
  const line = await refusedText(await raw(t, port), 'server_full');
  assert.match(line, /full/u);
  await refusedJson(await raw(t, port), 'server_full');
  const silent = await raw(t, port);
  const started = Date.now();
  assert.equal(textErrorCode(await silent.next()), 'server_full');
  assert.ok(Date.now() - started >= 1500, 'told after waiting for a first line');
  await silent.waitClosed();

  // A place comes back when someone leaves.
  a.send('/quit');
  await a.waitClosed();
  const c = await admitted(t, port, 'Cid');
  c.send('/who');
  assert.equal(await c.waitFor((l) => l.startsWith('* 2 users')), '* 2 users in #lobby: Bea, Cid');
});

test('--max-connections-per-address: the third from one address is refused, others get in', async (t) => {
  const { port } = await serve(t, { maxConnectionsPerAddress: 2 });
  const from = attackerAddress(0);
  await clientFrom(t, port, from);
  await clientFrom(t, port, from);
  const line = await refusedText(await clientFrom(t, port, from), 'server_full');
  assert.match(line, /your address/u);
  await refusedJson(await clientFrom(t, port, from), 'server_full');
  await textUser(t, port, 'Local');
  await refusedNot(await clientFrom(t, port, attackerAddress(1)));
});

/** The connection is admitted: its first line is the banner. */
async function refusedNot(c: LineClient): Promise<void> {
  assert.match(await c.next(), /^\* chat-server /u);
}

test('--accepts-per-second: a burst beyond twice the rate is rate_limited with retryAfterMs', async (t) => {
  const { port } = await serve(t, { acceptsPerSecond: 1 });
  const from = attackerAddress(2);
  // Bursts of twice the rate pass.
  await refusedNot(await clientFrom(t, port, from));
  await refusedNot(await clientFrom(t, port, from));
  const o = await refusedJson(await clientFrom(t, port, from), 'rate_limited');
  assert.equal(typeof o.retryAfterMs, 'number');
  assert.ok((o.retryAfterMs as number) > 0);
  await refusedText(await clientFrom(t, port, from), 'rate_limited');
  // Another address has its own budget.
  await refusedNot(await clientFrom(t, port, attackerAddress(3)));
  await refusedNot(await clientFrom(t, port, attackerAddress(3)));
});
