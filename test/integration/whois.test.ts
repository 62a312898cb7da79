/**
 * docs/protocol.md §3/§4 /whois: account or guest, rooms in common, online
 * since, idle, away; the address only for operators. Text and JSON users ask
 * the same question and get the same facts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword } from '../../src/core/passwords.js';
import {
  expectJsonError,
  expectTextError,
  jsonUser,
  serve,
  textUser,
} from '../helpers/fixtures.js';
import { LineClient } from '../helpers/line-client.js';

test('/whois in text and JSON: guest or account, shared rooms, since, idle, away; address for operators only', async (t) => {
  const server = await serve(t);
  const { port } = server;
  await server.app.store.createAccount({
    key: 'op',
    name: 'Op',
    hash: await hashPassword('operator password'),
    operator: true,
    createdAt: Date.now(),
  });
  const ann = await textUser(t, port, 'Ann');
  const bob = await jsonUser(t, port, 'Bob');
  const before = Date.now();

  // Bob shares #lobby and #dev with Ann, and is away.
  bob.sendJson({ type: 'join', id: 'j', room: '#dev' });
  await bob.waitForJson((o) => o.type === 'history');
  ann.send('/join #dev');
  await ann.waitFor((l) => l === '* You are now in #dev');
  bob.sendJson({ type: 'away', id: 'a', text: 'lunch' });
  await bob.waitForJson((o) => o.id === 'a');
  await ann.waitFor((l) => l === '* Bob is away: lunch');

  ann.send('/whois bob');
  assert.equal(await ann.next(), '* Bob is a guest');
  assert.equal(await ann.next(), '* Rooms in common: #dev, #lobby');
  assert.match(await ann.next(), /^\* Online since \d\d:\d\d, idle \d+s$/u);
  assert.equal(await ann.next(), '* Away: lunch');
  ann.send('/whois nobody');
  await expectTextError(ann, 'not_found');

  bob.sendJson({ type: 'whois', id: 'w1', name: 'ANN' });
  const w = await bob.waitForJson((o) => o.id === 'w1');
  assert.equal(w.type, 'whois');
  assert.equal(w.name, 'Ann');
  assert.equal(w.account, false);
  assert.equal(w.operator, false);
  assert.deepEqual(w.rooms, ['#dev', '#lobby']);
  assert.equal(typeof w.idle, 'number');
  assert.ok((w.idle as number) >= 0 && (w.idle as number) < 60, String(w.idle));
  assert.ok(Date.parse(w.since as string) <= before, String(w.since));
  assert.equal('away' in w, false);
  assert.equal('address' in w, false, 'only operators see addresses');
  bob.sendJson({ type: 'whois', id: 'w2' });
  await expectJsonError(bob, 'bad_request', 'w2');

  // An operator sees the address too, and is shown as an operator to others.
  const op = await LineClient.json(port, 'Op', { password: 'operator password' });
  t.after(() => op.close());
  await op.waitForJson((o) => o.type === 'history');
  op.sendJson({ type: 'whois', id: 'w3', name: 'Bob' });
  const seen = await op.waitForJson((o) => o.id === 'w3');
  assert.equal(seen.address, '127.0.0.1');
  assert.equal(seen.away, 'lunch');
  assert.deepEqual(seen.rooms, ['#lobby']);
  ann.send('/whois Op');
  assert.equal(await ann.waitFor((l) => l.includes(' is ')), '* Op is an operator');
  assert.equal(await ann.next(), '* Rooms in common: #lobby');
});
