/**
 * Issue 16 item 7, docs/protocol.md §6 "Paging" and "Flood control": `/rooms`
 * and `/who *` answer one page (100 by default) with a cursor for the next,
 * so a small request cannot buy a reply of megabytes; and the rooms one
 * `hello.resume` joins cost flood-control tokens like the joins they are.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonUser, raw, serve, textUser } from '../helpers/fixtures.js';
import type { Json } from '../helpers/hostile.js';
import { LineClient } from '../helpers/line-client.js';

const ROOMS = 250;

test('/rooms is paged: 100 by default, a cursor walks every room once, in order', async (t) => {
  const { port } = await serve(t, { maxRoomsPerUser: ROOMS + 1 });
  const c = await jsonUser(t, port, 'Builder', { history: 0 });
  for (let i = 0; i < ROOMS; i++)
    c.sendJson({ type: 'join', room: `#r${String(i).padStart(3, '0')}` });
  c.sendJson({ type: 'rooms', id: 'p1' });
  const first = await c.waitForJson((o) => o.id === 'p1', 20_000);
  const rooms = (o: Json): string[] => (o.rooms as Array<{ name: string }>).map((r) => r.name);
  assert.equal(rooms(first).length, 100);
  assert.equal(first.total, ROOMS + 1);
  assert.equal(typeof first.next, 'string');

  const seen = [...rooms(first)];
  let next = first.next as string | undefined;
  let pages = 1;
  while (next !== undefined) {
    c.sendJson({ type: 'rooms', id: `p${++pages}`, cursor: next, limit: 100 });
    const o = await c.waitForJson((x) => x.id === `p${pages}`);
    seen.push(...rooms(o));
    next = o.next as string | undefined;
  }
  assert.equal(pages, 3);
  assert.equal(seen.length, ROOMS + 1, 'every room once');
  assert.deepEqual(seen, [...seen].sort(), 'in order');
  assert.equal(new Set(seen).size, seen.length);

  c.sendJson({ type: 'rooms', id: 'small', limit: 7 });
  const small = await c.waitForJson((o) => o.id === 'small');
  assert.equal(rooms(small).length, 7);
  c.sendJson({ type: 'rooms', id: 'big', limit: 501 });
  assert.equal((await c.waitForJson((o) => o.id === 'big')).code, 'bad_request');

  // Text mode: the page, then where the next one starts.
  const txt = await textUser(t, port, 'Reader');
  txt.send('/rooms');
  assert.equal(await txt.waitFor((l) => l.includes('rooms')), `* ${ROOMS + 1} rooms (100 shown):`);
  const more = await txt.waitFor((l) => l.startsWith('* More:'));
  const cursor = /^\* More: \/rooms (\S+)$/u.exec(more)?.[1];
  assert.ok(cursor, more);
  txt.send(`/rooms ${cursor}`);
  assert.equal(
    await txt.waitFor((l) => l.includes('rooms (')),
    `* ${ROOMS + 1} rooms (100 shown):`,
  );
  assert.match(await txt.next(), /^\* {3}#r\d{3} \(1\)$/u);
});

test('/who * is paged with limit and cursor', async (t) => {
  const { port } = await serve(t);
  const names = Array.from({ length: 12 }, (_, i) => `User${String(i).padStart(2, '0')}`);
  const clients: LineClient[] = [];
  for (const n of names) clients.push(await LineClient.json(port, n, { history: 0 }));
  t.after(() => clients.forEach((c) => c.close()));
  const c = clients[0]!;
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    c.sendJson({ type: 'who', id: `w${++pages}`, room: '*', limit: 5, ...(cursor && { cursor }) });
    const o = await c.waitForJson((x) => x.id === `w${pages}`);
    assert.equal(o.total, 12);
    seen.push(...(o.users as Array<{ name: string }>).map((u) => u.name));
    cursor = o.next as string | undefined;
  } while (cursor !== undefined);
  assert.equal(pages, 3);
  assert.deepEqual(seen, names);

  const txt = await raw(t, port);
  txt.send('Texter');
  await txt.waitFor((l) => l.startsWith('* Welcome'));
  txt.send('/who *');
  assert.match(await txt.waitFor((l) => l.includes('online')), /^\* 13 users online: /u);
});

test('the rooms a hello.resume joins are charged to flood control like joins', async (t) => {
  // 1 message a second, no queue: the 30 resumed rooms are a debt of 19 s.
  const { port } = await serve(t, {
    rateBurst: 10,
    ratePerSecond: 1,
    rateQueue: 0,
    maxRoomsPerUser: 50,
  });
  const resume: Record<string, number> = {};
  for (let i = 0; i < 30; i++) resume[`#q${i}`] = 0;
  const r = await raw(t, port);
  r.sendJson({ type: 'hello', version: 1, name: 'Resumer', resume, history: 0 });
  const welcome = await r.waitForJson((o) => o.type === 'welcome');
  assert.equal((welcome.rooms as string[]).length, 30);
  r.sendJson({ type: 'join', id: 'j', room: '#one-more' });
  const answer = await r.waitForJson((o) => o.id === 'j');
  assert.equal(answer.code, 'rate_limited', JSON.stringify(answer));

  // A hello without resume leaves the whole burst.
  const fresh = await raw(t, port);
  fresh.sendJson({ type: 'hello', version: 1, name: 'Fresh', history: 0 });
  await fresh.waitForJson((o) => o.type === 'welcome');
  for (let i = 0; i < 10; i++) fresh.sendJson({ type: 'join', id: `f${i}`, room: `#f${i}` });
  const last = await fresh.waitForJson((o) => o.id === 'f9');
  assert.equal(last.type, 'ack', JSON.stringify(last));
});
