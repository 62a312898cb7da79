import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, it } from 'node:test';
import {
  ConnectError,
  Connection,
  RequestError,
  parseServerLine,
  type ConnectionOptions,
} from '../../src/client/connection.js';
import type { ServerEvent } from '../../src/protocol/messages.js';
import { within } from '../helpers/line-reader.js';
import { FakeServer, welcome } from './helpers.js';

const TS = '2026-11-25T14:02:03.120Z';

/** Reconnecting within milliseconds, so a test waits on events, not on a backoff. */
const FAST_RECONNECT = { reconnect: true, backoffBaseMs: 10, backoffMaxMs: 20 };

async function setup(
  t: { after: (fn: () => Promise<void> | void) => void },
  options: Partial<ConnectionOptions> = {},
): Promise<{ server: FakeServer; conn: Connection; port: number }> {
  const server = new FakeServer();
  const port = await server.listen();
  const conn = new Connection({ host: '127.0.0.1', port, name: 'Alice', ...options });
  t.after(async () => {
    conn.destroy();
    await server.close();
  });
  return { server, conn, port };
}

/** Connect `conn` against the fake server's first peer, which answers with a welcome. */
async function handshake(
  server: FakeServer,
  conn: Connection,
  extra: Record<string, unknown> = {},
) {
  const connected = conn.connect();
  const peer = await server.peer(0);
  const hello = await peer.next();
  peer.send(welcome(extra));
  await within(connected, 5000, 'welcome');
  return { peer, hello };
}

function nextEvent(conn: Connection): Promise<ServerEvent> {
  return within(
    once(conn, 'event').then(([e]) => e as ServerEvent),
    5000,
    'an event',
  );
}

describe('parseServerLine', () => {
  it('ignores banner lines and anything that is not a typed JSON object', () => {
    assert.equal(parseServerLine('* chat-server 0.1.0: type your alias'), undefined);
    assert.equal(parseServerLine('{not json'), undefined);
    assert.equal(parseServerLine('{"no":"type"}'), undefined);
    assert.deepEqual(parseServerLine('{"type":"ping"}'), { type: 'ping' });
  });
});

describe('Connection', () => {
  it('says hello with the protocol version and alias, skipping the banner', async (t) => {
    const { server, conn } = await setup(t);
    const connected = conn.connect();
    const peer = await server.peer(0);
    peer.send('* fake server: type your alias');
    const hello = await peer.next();
    assert.match(String(hello.instance), /^[A-Za-z0-9_-]{16}$/u, 'the program id');
    assert.deepEqual(
      { ...hello, instance: undefined },
      { type: 'hello', version: 1, name: 'Alice', instance: undefined },
    );
    peer.send(welcome());
    const w = await within(connected, 5000, 'welcome');
    assert.equal(w.name, 'Alice');
    assert.deepEqual(conn.rooms, ['#lobby']);
  });

  it('asks for the password when the alias is registered, and says hello again with it', async (t) => {
    const asked: Array<[string, boolean]> = [];
    const answers = ['wrong', 'right'];
    const { server, conn } = await setup(t, {
      askPassword: (alias, wrong) => {
        asked.push([alias, wrong]);
        return Promise.resolve(answers.shift());
      },
    });
    const connected = conn.connect();
    const first = await server.peer(0);
    assert.equal((await first.next()).password, undefined);
    first.send({ type: 'error', code: 'auth_required', message: 'Alice is registered' });
    const second = await server.peer(1);
    assert.equal((await second.next()).password, 'wrong');
    second.send({ type: 'error', code: 'auth_failed', message: 'Wrong password for Alice' });
    const third = await server.peer(2);
    assert.equal((await third.next()).password, 'right');
    third.send(welcome());
    await within(connected, 5000, 'welcome');
    assert.deepEqual(asked, [
      ['Alice', false],
      ['Alice', true],
    ]);
  });

  it('gives up with the refusal when no password is to be had', async (t) => {
    const { server, conn } = await setup(t, { askPassword: () => Promise.resolve(undefined) });
    const connected = conn.connect();
    const peer = await server.peer(0);
    await peer.next();
    peer.send({ type: 'error', code: 'auth_required', message: 'Alice is registered' });
    await assert.rejects(
      within(connected, 5000, 'the refusal'),
      (err: unknown) =>
        err instanceof ConnectError && err.kind === 'refused' && err.code === 'auth_required',
    );
  });

  it('asks for no history when told so (scripts)', async (t) => {
    const { server, conn } = await setup(t, { history: 0 });
    const { hello } = await handshake(server, conn);
    assert.equal(hello.history, 0);
  });

  it('rejects with the server code when the alias is refused', async (t) => {
    const { server, conn } = await setup(t);
    const connected = conn.connect();
    const peer = await server.peer(0);
    await peer.next();
    peer.send({ type: 'error', code: 'alias_taken', message: 'Alice is already online' });
    await assert.rejects(connected, (err: unknown) => {
      assert.ok(err instanceof ConnectError);
      assert.equal(err.kind, 'refused');
      assert.equal(err.code, 'alias_taken');
      assert.equal(err.message, 'Alice is already online');
      return true;
    });
  });

  it('rejects as unreachable when nothing listens', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const conn = new Connection({ host: '127.0.0.1', port, name: 'Alice' });
    await assert.rejects(conn.connect(), (err: unknown) => {
      assert.ok(err instanceof ConnectError);
      assert.equal(err.kind, 'unreachable');
      assert.match(err.message, /connection refused/u);
      return true;
    });
  });

  it('matches replies to requests by id, in any order', async (t) => {
    const { server, conn } = await setup(t);
    const { peer } = await handshake(server, conn);
    const said = conn.request({ type: 'say', room: '#lobby', text: 'hi' });
    const who = conn.request({ type: 'who', room: '#lobby' });
    const dmRefused = assert.rejects(
      conn.request({ type: 'dm', to: 'Zed', text: 'x' }),
      (err: unknown) => err instanceof RequestError && err.code === 'not_found',
    );
    const [r1, r2, r3] = [await peer.next(), await peer.next(), await peer.next()];
    assert.equal(r1.type, 'say');
    assert.equal(typeof r1.id, 'string');
    assert.equal(new Set([r1.id, r2.id, r3.id]).size, 3, 'ids are unique');
    peer.send({ type: 'error', id: r3.id, code: 'not_found', message: 'Unknown user: Zed' });
    peer.send({ type: 'who', id: r2.id, room: '#lobby', users: [{ name: 'Alice' }] });
    peer.send({ type: 'ack', id: r1.id, op: 'say', ts: TS, seq: 4 });
    assert.equal((await said).seq, 4);
    assert.deepEqual((await who).users, [{ name: 'Alice' }]);
    await dmRefused;
  });

  it('answers the server ping with a pong carrying its id', async (t) => {
    const { server, conn } = await setup(t);
    const { peer } = await handshake(server, conn);
    peer.send({ type: 'ping', id: 'p1' });
    assert.deepEqual(await peer.next(), { type: 'pong', id: 'p1' });
  });

  it('emits unsolicited events once, dropping a replayed seq', async (t) => {
    const { server, conn } = await setup(t);
    const { peer } = await handshake(server, conn);
    const msg = {
      type: 'message',
      room: '#lobby',
      seq: 5,
      ts: TS,
      from: 'Bob',
      text: 'one',
      action: false,
    };
    const events: ServerEvent[] = [];
    conn.on('event', (e) => events.push(e));
    peer.send(msg);
    peer.send(msg);
    peer.send({ ...msg, seq: 6, text: 'two' });
    peer.send({ type: 'system', event: 'join', ts: TS, room: '#lobby', user: 'Carol' });
    await nextEvent(conn);
    while (events.length < 3) await nextEvent(conn);
    assert.deepEqual(
      events.map((e) => (e.type === 'message' ? e.text : e.type)),
      ['one', 'two', 'system'],
    );
  });

  it('ends with "closed" and fails unanswered requests when the server goes away', async (t) => {
    const { server, conn } = await setup(t);
    const { peer } = await handshake(server, conn);
    const said = conn.request({ type: 'say', room: '#lobby', text: 'hi' });
    await peer.next();
    const closed = within(once(conn, 'closed'), 5000, 'closed');
    peer.send({ type: 'system', event: 'shutdown', ts: TS });
    peer.socket.end();
    const [info] = (await closed) as [{ reason: string }];
    assert.equal(info.reason, 'the server shut down');
    await assert.rejects(
      said,
      (err: unknown) => err instanceof RequestError && err.code === 'closed',
    );
  });

  it('quits by sending quit and waiting for the server to hang up', async (t) => {
    const { server, conn } = await setup(t);
    const { peer } = await handshake(server, conn);
    const quitting = conn.quit('bye');
    const quit = await peer.next();
    assert.equal(quit.type, 'quit');
    assert.equal(quit.reason, 'bye');
    peer.socket.end();
    await within(quitting, 5000, 'quit to finish');
  });

  it('pings a silent server and drops it after two more intervals', async (t) => {
    const { server, conn } = await setup(t);
    const { peer } = await handshake(server, conn, { heartbeat: 0.05 });
    assert.deepEqual(await peer.next(), { type: 'ping' });
    const [info] = (await within(once(conn, 'closed'), 5000, 'closed')) as [{ reason: string }];
    assert.equal(info.reason, 'the server stopped answering');
  });

  it('reconnects, resumes after the last seq and re-sends unanswered requests with their ids', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    peer.send({
      type: 'message',
      room: '#lobby',
      seq: 41,
      ts: TS,
      from: 'Bob',
      text: 'hi',
      action: false,
    });
    await nextEvent(conn);
    const said = conn.request({ type: 'say', room: '#lobby', text: 'are you there?' });
    const sent = await peer.next();
    const reconnecting = within(once(conn, 'reconnecting'), 5000, 'reconnecting');
    peer.socket.destroy();
    await reconnecting;

    const again = await server.peer(1);
    const hello = await again.next();
    assert.deepEqual(hello.resume, { '#lobby': { seq: 41, epoch: 'e1' } });
    const reconnected = within(once(conn, 'reconnected'), 5000, 'reconnected');
    again.send(welcome());
    await reconnected;
    const resent = await again.next();
    assert.deepEqual(resent, sent, 'same request, same id');
    again.send({ type: 'ack', id: sent.id, op: 'say', ts: TS, seq: 42 });
    assert.equal((await said).seq, 42);
    // A request made while connected again goes straight out.
    // Left unanswered: the connection's teardown rejects it, which is expected.
    conn.request({ type: 'rooms' }).catch(() => undefined);
    assert.equal((await again.next()).type, 'rooms');
  });

  it('a request refused as shutting_down stays pending and is sent again, same id, after the reconnect', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    const said = conn.request({ type: 'say', room: '#lobby', text: 'held by flood control' });
    const sent = await peer.next();
    const reconnecting = within(once(conn, 'reconnecting'), 5000, 'reconnecting');
    peer.send({
      type: 'error',
      id: sent.id,
      code: 'shutting_down',
      message: 'The server is shutting down; not carried out: "held by flood control"',
    });
    peer.socket.destroy();
    await reconnecting;
    const again = await server.peer(1);
    await again.next();
    again.send(welcome());
    assert.deepEqual(await again.next(), sent, 'the same request again');
    again.send({ type: 'ack', id: sent.id, op: 'say', ts: TS, seq: 7 });
    assert.equal((await said).seq, 7);
  });

  it('a say the server could not store (unavailable) is held and sent again, same id, after retryAfterMs', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const said = conn.request({ type: 'say', room: '#lobby', text: 'during the outage' });
    const sent = await peer.next();
    const held = once(conn, 'held');
    peer.send({
      type: 'error',
      id: sent.id,
      code: 'internal',
      detail: 'unavailable',
      message: 'The server cannot reach its shared store right now; try again shortly',
      retryAfterMs: 800,
    });
    const [{ request, delayMs }] = await held;
    assert.equal(request.id, sent.id);
    assert.equal(delayMs, 800);
    t.mock.timers.tick(800);
    assert.deepEqual(await peer.next(), sent, 'the same request again');
    peer.send({ type: 'ack', id: sent.id, op: 'say', ts: TS, seq: 9 });
    assert.equal((await said).seq, 9);
  });

  it('a held say goes once after a reconnect, not again from its timer; other requests are refused', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const unavailable = { code: 'internal', detail: 'unavailable', message: 'down' };
    const joined = conn.request({ type: 'join', room: '#dev' });
    const join = await peer.next();
    peer.send({ type: 'error', id: join.id, ...unavailable });
    await assert.rejects(
      joined,
      (err: unknown) => err instanceof RequestError && err.code === 'internal',
    );
    const said = conn.request({ type: 'say', room: '#lobby', text: 'held' });
    const sent = await peer.next();
    const held = once(conn, 'held');
    peer.send({ type: 'error', id: sent.id, ...unavailable, retryAfterMs: 500 });
    await held;
    const reconnecting = once(conn, 'reconnecting');
    peer.socket.destroy();
    const [{ delayMs }] = await reconnecting;
    t.mock.timers.tick(delayMs);
    const again = await server.peer(1);
    await again.next();
    again.send(welcome());
    assert.deepEqual(await again.next(), sent, 'sent again after the reconnect');
    // Past the held say's own timer: had it been left, it would write the say now.
    t.mock.timers.tick(1000);
    again.send({ type: 'ping', id: 'p1' });
    assert.deepEqual(
      await again.next(),
      { type: 'pong', id: 'p1' },
      'the say was not sent a second time',
    );
    again.send({ type: 'ack', id: sent.id, op: 'say', ts: TS, seq: 3 });
    assert.equal((await said).seq, 3);
  });

  it('a say made while another is held waits for it (stored in the order typed); a held one gives up after 30 s', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
    const unavailable = {
      code: 'internal',
      detail: 'unavailable',
      message: 'down',
      retryAfterMs: 1000,
    };
    const one = conn.request({ type: 'say', room: '#lobby', text: 'one' });
    const first = await peer.next();
    const held = once(conn, 'held');
    peer.send({ type: 'error', id: first.id, ...unavailable });
    await held;
    const two = conn.request({ type: 'say', room: '#lobby', text: 'two' });
    t.mock.timers.tick(1000);
    assert.deepEqual(await peer.next(), first, '"one" again, before "two"');
    peer.send({ type: 'ack', id: first.id, op: 'say', ts: TS, seq: 1 });
    assert.equal((await one).seq, 1);
    const second = await peer.next();
    assert.equal(second.text, 'two', 'then "two", once "one" is stored');
    peer.send({ type: 'ack', id: second.id, op: 'say', ts: TS, seq: 2 });
    assert.equal((await two).seq, 2);

    // A store that stays down: the line is refused as the server said, 30 s on.
    const three = conn.request({ type: 'say', room: '#lobby', text: 'three' });
    const third = await peer.next();
    const refused = assert.rejects(
      three,
      (err: unknown) => err instanceof RequestError && err.code === 'internal',
    );
    for (let s = 0; s <= 30; s++) {
      peer.send({ type: 'error', id: third.id, ...unavailable });
      if (s === 30) break;
      await once(conn, 'held');
      t.mock.timers.tick(1000);
      assert.deepEqual(await peer.next(), third);
    }
    await refused;
  });

  it('a reconnect refused as displaced (taken over while away) stops, as a live takeover does', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer, hello } = await handshake(server, conn);
    const closed = once(conn, 'closed');
    peer.socket.destroy();
    const again = await server.peer(1);
    const second = await again.next();
    assert.equal(second.instance, hello.instance, 'the same program id in every hello');
    again.send({
      type: 'error',
      code: 'alias_taken',
      detail: 'displaced',
      message:
        'Alice signed in from another connection while this one was away; not taking it back',
    });
    const [{ code, reason }] = await within(closed, 5000, 'closed');
    assert.equal(code, 'displaced');
    assert.match(reason, /while this one was away/u);
  });

  it('having seen nothing, resumes from the tops its welcome gave, not from 0 (no old history shown as new)', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn, {
      epochs: { '#lobby': 'e1', '@': 'p1' },
      seqs: { '#lobby': 31, '@': 2 },
    });
    peer.socket.destroy();
    const again = await server.peer(1);
    const hello = await again.next();
    assert.deepEqual(hello.resume, {
      '#lobby': { seq: 31, epoch: 'e1' },
      '@': { seq: 2, epoch: 'p1' },
    });
    // The resumed login's tops are not where the next resume starts: its
    // replay (32..40) may not have arrived before another drop.
    again.send(welcome({ epochs: { '#lobby': 'e1', '@': 'p1' }, seqs: { '#lobby': 40, '@': 2 } }));
    await within(once(conn, 'reconnected'), 5000, 'reconnected');
    again.socket.destroy();
    const third = await server.peer(2);
    assert.deepEqual((await third.next()).resume, {
      '#lobby': { seq: 31, epoch: 'e1' },
      '@': { seq: 2, epoch: 'p1' },
    });
  });

  it('a guest alias registered while away: stops, saying to start again with the password', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    const closed = within(once(conn, 'closed'), 5000, 'closed');
    peer.socket.destroy();
    const again = await server.peer(1);
    await again.next();
    again.send({
      type: 'error',
      code: 'auth_required',
      message: 'Alice is registered: send its password',
    });
    const [{ reason, code }] = (await closed) as [{ reason: string; code: string }];
    assert.equal(code, 'auth_required');
    assert.match(reason, /registered while this client was away; start chat-client again/u);
  });

  it('retryNow while waiting to reconnect tries at once instead of after the backoff', async (t) => {
    const { server, conn } = await setup(t, {
      reconnect: true,
      backoffBaseMs: 60_000,
      backoffMaxMs: 60_000,
    });
    const { peer } = await handshake(server, conn);
    assert.equal(conn.retryNow(), false, 'nothing to retry while connected');
    const reconnecting = within(once(conn, 'reconnecting'), 5000, 'reconnecting');
    peer.socket.destroy();
    await reconnecting;
    // The backoff would wait a minute; the user pressed Enter.
    assert.equal(conn.retryNow(), true);
    const again = await within(server.peer(1), 5000, 'the second connection');
    assert.equal((await again.next()).type, 'hello');
    assert.equal(conn.retryNow(), false, 'already connecting');
  });

  it('a retryNow that fails leaves the backoff where it was: the next wait is no longer', async (t) => {
    const { server, conn } = await setup(t, {
      reconnect: true,
      backoffBaseMs: 60_000,
      backoffMaxMs: 600_000,
    });
    const { peer } = await handshake(server, conn);
    const attempts: number[] = [];
    conn.on('reconnecting', (r: { attempt: number }) => attempts.push(r.attempt));
    let reconnecting = within(once(conn, 'reconnecting'), 5000, 'reconnecting');
    peer.socket.destroy();
    await reconnecting;
    for (let i = 1; i <= 2; i++) {
      reconnecting = within(once(conn, 'reconnecting'), 5000, 'reconnecting again');
      assert.equal(conn.retryNow(), true);
      const again = await within(server.peer(i), 5000, 'the retry');
      await again.next();
      again.socket.destroy(); // still not back
      await reconnecting;
    }
    assert.deepEqual(attempts, [1, 1, 1]);
  });

  it('after a refusal with retryAfterMs (its alias held by a dead server), tries the same server after that long', async (t) => {
    const other = new FakeServer();
    const otherPort = await other.listen();
    t.after(() => other.close());
    const { server, conn } = await setup(t, {
      reconnect: true,
      backoffBaseMs: 10,
      backoffMaxMs: 20,
      failover: [{ host: '127.0.0.1', port: otherPort }],
    });
    const { peer } = await handshake(server, conn);
    const delays: number[] = [];
    conn.on('reconnecting', (r: { delayMs: number }) => delays.push(r.delayMs));
    // The first server drops us; the first retry goes to the other one (round robin).
    peer.socket.destroy();
    const b1 = await other.peer(0);
    await b1.next();
    b1.send({
      type: 'error',
      code: 'alias_taken',
      message: 'Alice is still held by a server that does not answer',
      retryAfterMs: 30,
    });
    // Back at the same server after 30 ms, not on to the next one in turn.
    const b2 = await other.peer(1);
    await b2.next();
    const reconnected = within(once(conn, 'reconnected'), 5000, 'reconnected');
    b2.send(welcome());
    await reconnected;
    assert.equal(delays[1], 30);
  });

  it('stops when someone else took the alias while it reconnected, and fails what was pending', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    let attempts = 0;
    conn.on('reconnecting', () => (attempts += 1));
    const closed = within(once(conn, 'closed'), 5000, 'closed');
    peer.socket.destroy();
    const said = conn.request({ type: 'say', room: '#lobby', text: 'still there?' });
    const again = await server.peer(1);
    await again.next();
    again.send({ type: 'error', code: 'alias_taken', message: 'Alice is already online' });
    const [info] = (await closed) as [{ reason: string; code?: string }];
    assert.equal(info.code, 'alias_taken');
    assert.match(info.reason, /taken by someone else.*another --name/u);
    // One attempt after the drop, none after the refusal.
    assert.equal(attempts, 1);
    await assert.rejects(said);
  });

  it('does not come back after being kicked', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    const closed = within(once(conn, 'closed'), 5000, 'closed');
    peer.send({ type: 'system', event: 'kick', ts: TS, user: 'Alice', by: 'Op', reason: 'spam' });
    peer.socket.end();
    const [info] = (await closed) as [{ reason: string }];
    // Who kicked and why, as the room reads it (docs/protocol.md §2).
    assert.equal(info.reason, 'you were kicked by Op (spam)');
  });

  it("keeps someone else's lower seq that arrives after our ack, and resumes after both", async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    const said = conn.request({ type: 'say', room: '#lobby', text: 'mine' });
    const sent = await peer.next();
    peer.send({ type: 'ack', id: sent.id, op: 'say', ts: TS, seq: 11 });
    await said;
    const theirs = nextEvent(conn);
    peer.send({
      type: 'message',
      room: '#lobby',
      seq: 10,
      ts: TS,
      from: 'Bob',
      text: 'crossed',
      action: false,
    });
    assert.equal(((await theirs) as { text: string }).text, 'crossed');

    peer.socket.destroy();
    const again = await server.peer(1);
    assert.deepEqual((await again.next()).resume, { '#lobby': { seq: 11, epoch: 'e1' } });
    again.send(welcome());
    // A replay of our own message is not shown as if it were new.
    const events: ServerEvent[] = [];
    conn.on('event', (e) => events.push(e));
    again.send({
      type: 'message',
      room: '#lobby',
      seq: 11,
      ts: TS,
      from: 'Alice',
      text: 'mine',
      action: false,
    });
    again.send({
      type: 'message',
      room: '#lobby',
      seq: 12,
      ts: TS,
      from: 'Bob',
      text: 'new',
      action: false,
    });
    while (events.length < 1) await nextEvent(conn);
    assert.deepEqual(
      events.map((e) => (e.type === 'message' ? e.text : e.type)),
      ['new'],
    );
  });

  it('an account that took another alias comes back as that account under that alias', async (t) => {
    const { server, conn } = await setup(t, { ...FAST_RECONNECT, password: 'alice pw' });
    const { peer, hello } = await handshake(server, conn);
    assert.equal(hello.account, undefined, 'its own name: no account field');
    const renamed = conn.request({ type: 'nick', name: 'Ally' });
    const sent = await peer.next();
    peer.send({ type: 'ack', id: sent.id, op: 'nick', ts: TS, name: 'Ally' });
    await renamed;
    peer.socket.destroy();
    const again = await server.peer(1);
    const second = await again.next();
    assert.deepEqual(
      { name: second.name, account: second.account, password: second.password },
      { name: 'Ally', account: 'Alice', password: 'alice pw' },
    );
    again.send(welcome({ name: 'Ally' }));
    // And still so at the next drop: the welcome under the alias keeps the account.
    await new Promise((resolve) => setImmediate(resolve));
    again.socket.destroy();
    const third = await (await server.peer(2)).next();
    assert.equal(third.account, 'Alice');
  });

  it('a guest that renames sends no password and no account', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn, { session: 'g'.repeat(22) });
    const renamed = conn.request({ type: 'nick', name: 'Ally' });
    const sent = await peer.next();
    peer.send({ type: 'ack', id: sent.id, op: 'nick', ts: TS, name: 'Ally' });
    await renamed;
    peer.socket.destroy();
    const second = await (await server.peer(1)).next();
    assert.equal(second.name, 'Ally');
    assert.equal(second.account, undefined);
    assert.equal(second.password, undefined);
  });

  it('logs in again after /register when it reconnects', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    const registered = conn.request({ type: 'register', password: 'hunter22' });
    const sent = await peer.next();
    peer.send({ type: 'ack', id: sent.id, op: 'register', ts: TS });
    await registered;
    peer.socket.destroy();
    const again = await server.peer(1);
    assert.equal((await again.next()).password, 'hunter22');
  });

  it('sets its away message again after a reconnect (the server forgets it with the connection)', async (t) => {
    const { server, conn } = await setup(t, FAST_RECONNECT);
    const { peer } = await handshake(server, conn);
    const away = conn.request({ type: 'away', text: 'in a meeting' });
    const sent = await peer.next();
    peer.send({ type: 'ack', id: sent.id, op: 'away', ts: TS });
    await away;
    peer.socket.destroy();
    const again = await server.peer(1);
    await again.next();
    again.send(welcome());
    assert.deepEqual(await again.next(), { type: 'away', text: 'in a meeting' });

    // Cleared: a later reconnect says nothing of it.
    const back = conn.request({ type: 'away' });
    const clear = await again.next();
    again.send({ type: 'ack', id: clear.id, op: 'away', ts: TS });
    await back;
    again.socket.destroy();
    const third = await server.peer(2);
    await third.next();
    third.send(welcome());
    conn.request({ type: 'rooms' }).catch(() => undefined);
    assert.equal((await third.next()).type, 'rooms', 'no away before the next request');
  });
});
