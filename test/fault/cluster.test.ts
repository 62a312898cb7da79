/**
 * Cluster mode under failure (issue 12): real chat-server processes on a
 * redis-server each test starts on a free port. A node killed with -9, two
 * nodes racing for one alias, a node cut off from Redis, a node paused with
 * SIGSTOP and resumed, and Redis restarted with and without its append-only
 * file.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis-store.js';
import { LineClient } from '../helpers/line-client.js';
import { RedisServer, redisMissing } from '../helpers/redis.js';
import { tempDir } from '../helpers/env.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';

type Obj = Record<string, unknown>;

const LEASE_SECONDS = 2;

async function redis(t: TestContext, aof = true): Promise<RedisServer> {
  const r = await RedisServer.start({ aof });
  t.after(() => r.destroy());
  return r;
}

function node(t: TestContext, url: string, extra: string[] = []): Promise<ServerProcess> {
  return spawnServer(t, {
    db: join(tempDir(t), 'unused.db'),
    args: ['--redis', url, '--lease-seconds', String(LEASE_SECONDS), ...extra],
  });
}

/** Connect as `name` in JSON mode; resolves with the client and its welcome, or the refusal. */
async function hello(
  port: number,
  name: string,
  extra: Obj = {},
  waitMs?: number,
): Promise<{ client: LineClient; first: Obj }> {
  const client = await LineClient.connect(port);
  client.sendJson({ type: 'hello', version: 1, name, ...extra });
  const first = await client.waitForJson((o) => o.type === 'welcome' || o.type === 'error', waitMs);
  return { client, first };
}

/** Say something and wait for its ack; returns the seq. */
async function say(c: LineClient, text: string, id: string): Promise<number> {
  c.sendJson({ type: 'say', room: '#lobby', text, id });
  const ack = await c.waitForJson((o) => (o.type === 'ack' || o.type === 'error') && o.id === id);
  assert.equal(ack.type, 'ack', `say ${id}: ${JSON.stringify(ack)}`);
  return ack.seq as number;
}

/** The system events a client was sent about `users`, as `event user` strings, in order. */
function toldAbout(c: LineClient, users: string[]): string[] {
  return c.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Obj)
    .filter((o) => o.type === 'system' && users.includes(String(o.user)))
    .map((o) => `${String(o.event)} ${String(o.user)}`);
}

/**
 * Two nodes on a fresh Redis: carol on B watching, alice and dave on A
 * (their welcomes too), once carol has seen both join.
 */
async function watchedPair(t: TestContext) {
  const r = await redis(t);
  const a = await node(t, r.url);
  const b = await node(t, r.url);
  const { client: carol } = await hello(b.port, 'carol');
  const { client: alice, first: aw } = await hello(a.port, 'alice');
  const { client: dave, first: dw } = await hello(a.port, 'dave');
  t.after(() => [carol, alice, dave].forEach((c) => c.socket.destroy()));
  await carol.waitForJson((o) => o.event === 'join' && o.user === 'dave');
  return { a, b, carol, aw, dw };
}

/** Every room message a client has been sent so far (live or replayed), by seq, in arrival order. */
function seenSeqs(c: LineClient): number[] {
  const out: number[] = [];
  for (const line of c.lines) {
    if (!line.startsWith('{')) continue;
    const o = JSON.parse(line) as Obj;
    if (o.type === 'message' && o.room === '#lobby') out.push(o.seq as number);
    if (o.type === 'history' && o.room === '#lobby')
      for (const m of o.messages as Obj[]) out.push(m.seq as number);
  }
  return out;
}

/** Resolve once nobody holds the alias `key` in this Redis (its lease lapsed or was released). */
async function aliasFree(url: string, key: string, timeoutMs: number): Promise<void> {
  // The servers' own view of the lease (app.ts uses the default key prefix).
  const store = new RedisStore({ client: new Redis(url), publish: () => undefined });
  try {
    const deadline = Date.now() + timeoutMs;
    while ((await store.holder(key)) !== undefined) {
      assert.ok(Date.now() < deadline, `alias ${key} still held`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await store.close();
  }
}

/**
 * A TCP relay to Redis that can be cut and restored: the node behind it is
 * partitioned from Redis while the other nodes are not.
 */
class Cuttable {
  private readonly sockets = new Set<Socket>();
  private cut = false;
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(t: TestContext, target: number): Promise<Cuttable> {
    const box: { self?: Cuttable } = {};
    const server = createServer((down) => {
      const self = box.self;
      if (!self || self.cut) {
        down.destroy();
        return;
      }
      const up = connect(target, '127.0.0.1');
      self.sockets.add(down).add(up);
      const end = (): void => {
        down.destroy();
        up.destroy();
        self.sockets.delete(down);
        self.sockets.delete(up);
      };
      down.on('error', end).on('close', end);
      up.on('error', end).on('close', end);
      down.pipe(up).pipe(down);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address && typeof address === 'object');
    const self = new Cuttable(server, address.port);
    box.self = self;
    t.after(() => {
      self.sever();
      server.close();
    });
    return self;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  sever(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.cut = false;
  }
}

const missing = redisMissing();
if (missing) {
  test('cluster failures', { skip: missing }, () => undefined);
} else {
  describe('cluster mode under failure', () => {
    test('a node killed with -9: its alias frees within the lease time, its client resumes on the other node with nothing lost or doubled', async (t) => {
      const r = await redis(t);
      const a = await node(t, r.url);
      const b = await node(t, r.url);
      const { client: alice, first: aw } = await hello(a.port, 'alice');
      assert.equal(aw.type, 'welcome');
      const { client: bob } = await hello(b.port, 'bob');
      t.after(() => {
        alice.socket.destroy();
        bob.socket.destroy();
      });
      const epoch = (aw.epochs as Record<string, string>)['#lobby'];
      let last = 0;
      for (let i = 0; i < 5; i++) last = await say(alice, `before ${i}`, `a${i}`);
      // Alice saw bob's messages too: what she saw last is her resume point.
      const fromBob = await say(bob, 'seen by alice', 'b0');
      await alice.waitForJson((o) => o.type === 'message' && o.seq === fromBob);
      last = fromBob;

      await a.stop('SIGKILL');
      const killedAt = Date.now();
      // While alice is away, bob goes on talking on node B.
      const during: number[] = [];
      for (let i = 0; i < 5; i++) during.push(await say(bob, `during ${i}`, `d${i}`));

      // Her client reconnects to B: refused while the dead node's lease holds, then admitted.
      let back: { client: LineClient; first: Obj };
      let refusals = 0;
      for (;;) {
        back = await hello(b.port, 'alice', { resume: { '#lobby': { seq: last, epoch } } });
        if (back.first.type === 'welcome') break;
        assert.equal(back.first.code, 'alias_taken');
        refusals++;
        back.client.socket.destroy();
        assert.ok(Date.now() - killedAt < (LEASE_SECONDS + 3) * 1000, 'alias never freed');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      t.after(() => back.client.socket.destroy());
      assert.ok(Date.now() - killedAt <= (LEASE_SECONDS + 1) * 1000, 'freed within the lease time');
      assert.ok(refusals >= 0);
      const history = await back.client.waitForJson((o) => o.type === 'history');
      const seqs = (history.messages as Obj[]).map((m) => m.seq as number);
      assert.deepEqual(seqs, during, 'exactly what was said while away, once each, in order');
      // And live again: nothing doubled after the replay.
      const after = await say(bob, 'after', 'x1');
      const live = await back.client.waitForJson((o) => o.type === 'message');
      assert.equal(live.seq, after);
    });

    test('a node killed with -9: the others see no flicker; back in time it continues unannounced, too late one quit then one join', async (t) => {
      const { a, b, carol, aw, dw } = await watchedPair(t);
      const lobby = (w: Obj): Obj => ({
        '#lobby': { seq: 0, epoch: (w.epochs as Record<string, string>)['#lobby'] },
      });
      await a.stop('SIGKILL');
      const killedAt = Date.now();

      // Alice's client comes back at once through B with her session token,
      // as chat-client does: refused with a time to come back while the dead
      // node's lease holds (never held open: an abandoned login must not join).
      let back: { client: LineClient; first: Obj };
      for (;;) {
        const started = Date.now();
        back = await hello(b.port, 'alice', { session: aw.session, resume: lobby(aw) });
        if (back.first.type === 'welcome') break;
        assert.equal(back.first.code, 'alias_taken', JSON.stringify(back.first));
        assert.ok(Date.now() - started < 5000, 'the refusal came without waiting out the lease');
        const wait = back.first.retryAfterMs as number;
        assert.ok(wait > 0 && wait <= LEASE_SECONDS * 1000, `retryAfterMs ${wait}`);
        back.client.socket.destroy();
        assert.ok(Date.now() - killedAt < (LEASE_SECONDS + 5) * 1000, 'alias never freed');
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      t.after(() => back.client.socket.destroy());
      const said = await say(back.client, 'still here', 'a-back');

      // Dave does not come back in time: his quit is said once, by one node.
      const quit = await carol.waitForJson(
        (o) => o.type === 'system' && o.user === 'dave' && o.event !== 'join',
        (LEASE_SECONDS * 3 + 10) * 1000,
      );
      assert.equal(quit.event, 'quit');
      assert.match(String(quit.reason), /lost connection/);
      const { client: late, first: lw } = await hello(b.port, 'dave', {
        session: dw.session,
        resume: lobby(dw),
      });
      t.after(() => late.socket.destroy());
      assert.equal(lw.type, 'welcome', JSON.stringify(lw));
      await carol.waitForJson((o) => o.event === 'join' && o.user === 'dave' && o !== quit);
      // A marker after everything: all carol was told about alice and dave is now in.
      // (its ack comes after every earlier event of the room, §4 "Order").
      await say(carol, 'marker', 'c-marker');
      assert.deepEqual(toldAbout(carol, ['alice', 'dave']), [
        'join alice',
        'join dave',
        'quit dave',
        'join dave',
      ]);
      const heard = carol.lines.filter((l) => l.includes('still here'));
      assert.equal(heard.length, 1);
      assert.ok(said > 0);
    });

    test('a node stopped with SIGTERM: as after a crash, the others see no quit and no join for a user back through another node; one quit for a user who is not', async (t) => {
      const { a, b, carol, aw } = await watchedPair(t);
      assert.equal((await a.stop('SIGTERM')).code, 0);
      // Her alias was given back as the node stopped: no wait for a lease.
      const { client: back, first } = await hello(b.port, 'alice', {
        session: aw.session,
        resume: { '#lobby': { seq: 0, epoch: (aw.epochs as Record<string, string>)['#lobby'] } },
      });
      t.after(() => back.socket.destroy());
      assert.equal(first.type, 'welcome', JSON.stringify(first));
      await say(back, 'after the restart', 'a-back');
      const quit = await carol.waitForJson(
        (o) => o.type === 'system' && o.user === 'dave' && o.event !== 'join',
        (LEASE_SECONDS * 3 + 10) * 1000,
      );
      assert.equal(quit.event, 'quit');
      await say(carol, 'marker', 'c-marker');
      assert.deepEqual(toldAbout(carol, ['alice', 'dave']), [
        'join alice',
        'join dave',
        'quit dave',
      ]);
    });

    test('a node killed with -9: a user back in some of its rooms parts the others; a guest who registered comes back unannounced', async (t) => {
      const r = await redis(t);
      const a = await node(t, r.url);
      const b = await node(t, r.url);
      const { client: carol } = await hello(b.port, 'carol');
      const { client: erin, first: ew } = await hello(a.port, 'erin');
      const { client: xena } = await hello(a.port, 'xena');
      const clients = [carol, erin, xena];
      t.after(() => clients.forEach((c) => c.socket.destroy()));
      for (const [c, id] of [
        [carol, 'cj'],
        [erin, 'ej'],
      ] as const) {
        c.sendJson({ type: 'join', room: '#side', id });
        assert.equal((await c.waitForJson((o) => o.id === id)).type, 'ack');
      }
      xena.sendJson({ type: 'register', password: 'xena password', id: 'xr' });
      assert.equal((await xena.waitForJson((o) => o.id === 'xr')).type, 'ack');
      await carol.waitForJson((o) => o.event === 'join' && o.user === 'erin' && o.room === '#side');
      // The other node names her an account at once (her lease says so), not a guest.
      carol.sendJson({ type: 'whois', name: 'xena', id: 'cw' });
      assert.equal((await carol.waitForJson((o) => o.id === 'cw')).account, true);
      await a.stop('SIGKILL');

      // Back through B once the dead node's lease lets them (the wait it names).
      const backIn = async (name: string, extra: Obj): Promise<void> => {
        for (let i = 0; ; i++) {
          const back = await hello(b.port, name, extra);
          clients.push(back.client);
          if (back.first.type === 'welcome') return;
          assert.equal(back.first.code, 'alias_taken', JSON.stringify(back.first));
          assert.ok(i < 10, `${name} never admitted`);
          await new Promise((resolve) => setTimeout(resolve, back.first.retryAfterMs as number));
        }
      };
      await backIn('erin', { session: ew.session, resume: { '#side': 0 } });
      await backIn('xena', { password: 'xena password' });
      // Past the time a remaining node would announce a lost user's quit by itself.
      await new Promise((resolve) => setTimeout(resolve, (LEASE_SECONDS * 2 + 2) * 1000));
      await say(carol, 'marker', 'c-marker');
      const told = carol.lines
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Obj)
        .filter((o) => o.type === 'system' && (o.user === 'erin' || o.user === 'xena'))
        .map((o) => `${String(o.event)} ${String(o.user)} ${String(o.room)}`);
      // Erin is still in #side: a part of #lobby, not a quit (which has no room).
      assert.deepEqual(told, [
        'join erin #lobby',
        'join xena #lobby',
        'join erin #side',
        'part erin #lobby',
      ]);
    });

    test("a node killed with -9: someone else taking a lost user's alias (login or /nick) comes after its quit, never a second join", async (t) => {
      const r = await redis(t);
      const a = await node(t, r.url);
      const b = await node(t, r.url);
      const { client: carol } = await hello(b.port, 'carol');
      const { client: bob } = await hello(b.port, 'bob');
      const { client: vic } = await hello(a.port, 'Vic');
      const { client: wes } = await hello(a.port, 'wes');
      const clients = [carol, bob, vic, wes];
      t.after(() => clients.forEach((c) => c.socket.destroy()));
      await carol.waitForJson((o) => o.event === 'join' && o.user === 'wes');
      await a.stop('SIGKILL');
      const killedAt = Date.now();

      // Another guest (no session token: another identity) asks for Vic on B
      // until the dead node's lease lapses.
      let stranger: { client: LineClient; first: Obj };
      for (;;) {
        stranger = await hello(b.port, 'Vic');
        clients.push(stranger.client);
        if (stranger.first.type === 'welcome') break;
        assert.equal(stranger.first.code, 'alias_taken', JSON.stringify(stranger.first));
        assert.ok(Date.now() - killedAt < (LEASE_SECONDS + 5) * 1000, 'alias never freed');
        await new Promise((resolve) => setTimeout(resolve, stranger.first.retryAfterMs as number));
      }
      // Bob renames to the other lost user's alias.
      // (wes's lease was renewed with Vic's, so it lapses within moments too.)
      for (let i = 0; ; i++) {
        bob.sendJson({ type: 'nick', name: 'wes', id: `n${i}` });
        const renamed = await bob.waitForJson((o) => o.id === `n${i}`);
        if (renamed.type === 'ack') break;
        assert.equal(renamed.code, 'alias_taken', JSON.stringify(renamed));
        assert.ok(i < 50, 'wes never freed');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Past the time a remaining node would announce the lost users' quit by
      // itself (the lease, then one more): what carol was told is then final.
      await new Promise((resolve) => setTimeout(resolve, (LEASE_SECONDS * 2 + 2) * 1000));
      await say(carol, 'marker', 'c-marker');
      const told = carol.lines
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Obj)
        .filter((o) => o.type === 'system' && o.event !== 'presence')
        .map((o) => [o.event, o.user, o.name, o.reason].filter((x) => x !== undefined).join(' '));
      assert.deepEqual(told, [
        'join bob',
        'join Vic',
        'join wes',
        'quit Vic lost connection to its server',
        'join Vic',
        'quit wes lost connection to its server',
        'nick bob wes',
      ]);
    });

    test('two nodes racing for one alias: exactly one wins, every time', async (t) => {
      const r = await redis(t);
      const a = await node(t, r.url);
      const b = await node(t, r.url);
      for (let i = 0; i < 10; i++) {
        const name = `racer${i}`;
        const [x, y] = await Promise.all([hello(a.port, name), hello(b.port, name)]);
        const types = [x.first.type, y.first.type].sort();
        assert.deepEqual(types, ['error', 'welcome'], `round ${i}`);
        const loser = x.first.type === 'error' ? x.first : y.first;
        assert.equal(loser.code, 'alias_taken');
        x.client.socket.destroy();
        y.client.socket.destroy();
      }
      // Case and Unicode folding apply across nodes too.
      const { client: c1, first: f1 } = await hello(a.port, 'Zoë');
      const { client: c2, first: f2 } = await hello(b.port, 'ZOË');
      t.after(() => {
        c1.socket.destroy();
        c2.socket.destroy();
      });
      assert.equal(f1.type, 'welcome');
      assert.equal(f2.code, 'alias_taken');
    });

    test('a node cut off from Redis refuses messages with unavailable, drops its sessions, and recovers', async (t) => {
      const r = await redis(t);
      const relay = await Cuttable.start(t, r.port);
      const a = await node(t, relay.url);
      const b = await node(t, r.url);
      const { client: alice } = await hello(a.port, 'alice');
      const { client: bob } = await hello(b.port, 'bob');
      t.after(() => {
        alice.socket.destroy();
        bob.socket.destroy();
      });
      await say(alice, 'before the cut', 'a0');

      relay.sever();
      alice.sendJson({ type: 'say', room: '#lobby', text: 'into the void', id: 'a1' });
      // The say is refused once the store call gives up; its leases can no
      // longer be renewed either, so the session ends rather than diverge.
      // When the last renewal was nearly two thirds of a lease before the cut,
      // that end can come first, and then the say is never answered.
      const first = await alice.waitForJson(
        (o) => o.type === 'error' && (o.id === 'a1' || o.id === undefined),
        (LEASE_SECONDS + 5) * 1000,
      );
      assert.deepEqual(
        [first.code, first.detail],
        ['internal', 'unavailable'],
        JSON.stringify(first),
      );
      const dropped =
        first.id === undefined
          ? first
          : await alice.waitForJson(
              (o) => o.type === 'error' && o.id === undefined && o.detail === 'unavailable',
              (LEASE_SECONDS + 5) * 1000,
            );
      assert.match(String(dropped.message), /reconnect/);
      await alice.waitClosed();
      assert.ok(!alice.lines.some((l) => l.includes('"ack"') && l.includes('"a1"')), 'a1 acked');
      // A login meanwhile: `unavailable`, come back later, not an internal error,
      // within the login's 5 s on the store (core/login-deadline.ts); the
      // wait is generous for a loaded machine.
      const { client: late, first: refusal } = await hello(a.port, 'dora', {}, 30_000);
      t.after(() => late.socket.destroy());
      assert.deepEqual(
        [refusal.type, refusal.code, refusal.detail],
        ['error', 'internal', 'unavailable'],
        JSON.stringify(refusal),
      );
      assert.equal(typeof refusal.retryAfterMs, 'number', JSON.stringify(refusal));
      // Node B never noticed anything but alice's quit; the void message was never stored.
      const seq = await say(bob, 'B carries on', 'b0');
      const { client: carol } = await hello(b.port, 'carol', { history: 10 });
      t.after(() => carol.socket.destroy());
      const history = await carol.waitForJson((o) => o.type === 'history');
      const texts = (history.messages as Obj[]).map((m) => m.text);
      assert.ok(!texts.includes('into the void'));
      assert.equal(texts.at(-1), 'B carries on');

      relay.restore();
      // Back: alice can sign in to A again (her lease lapsed) and talk to bob.
      let again: { client: LineClient; first: Obj } | undefined;
      const deadline = Date.now() + (LEASE_SECONDS + 20) * 1000;
      const tries: string[] = [];
      for (;;) {
        try {
          again = await hello(a.port, 'alice');
          if (again.first.type === 'welcome') break;
          tries.push(JSON.stringify(again.first));
          again.client.socket.destroy();
        } catch (err) {
          // While it reconnects to Redis the node may end a login early; try again.
          tries.push(String(err));
        }
        assert.ok(
          Date.now() < deadline,
          `never admitted again: ${tries.slice(-3).join('\n')}\nnode log:\n${a.log.slice(-20).join('\n')}\nnode stderr:\n${a.stderr.join('\n')}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const back = again.client;
      t.after(() => back.socket.destroy());
      const s2 = await say(back, 'I am back', 'a2');
      assert.equal(s2, seq + 1);
      const got = await bob.waitForJson((o) => o.type === 'message' && o.text === 'I am back');
      assert.equal(got.from, 'alice');
    });

    test('a node paused with SIGSTOP, then resumed within its lease: its client gets every message once, in order', async (t) => {
      const r = await redis(t);
      // A long lease: the pause must not outlast it, even on a slow machine.
      const a = await node(t, r.url, ['--lease-seconds', '60']);
      const b = await node(t, r.url, ['--lease-seconds', '60']);
      const { client: alice } = await hello(a.port, 'alice');
      const { client: bob } = await hello(b.port, 'bob');
      t.after(() => {
        alice.socket.destroy();
        bob.socket.destroy();
      });
      const before = await say(bob, 'before', 'b0');
      await alice.waitForJson((o) => o.type === 'message' && o.seq === before);

      process.kill(a.pid, 'SIGSTOP');
      let resumed = false;
      t.after(() => {
        if (!resumed) process.kill(a.pid, 'SIGCONT');
      });
      // Node B and Redis go on while A sleeps: every one of these is acknowledged.
      const during: number[] = [];
      for (let i = 0; i < 30; i++) during.push(await say(bob, `during ${i}`, `d${i}`));
      process.kill(a.pid, 'SIGCONT');
      resumed = true;

      const after = await say(bob, 'after', 'x0');
      await alice.waitForJson((o) => o.type === 'message' && o.seq === after);
      // Alice never left: what she got since `before` is exactly what was said, once, in order.
      const seen = seenSeqs(alice);
      assert.deepEqual(seen.slice(seen.indexOf(before)), [before, ...during, after]);
      assert.equal(new Set(seen).size, seen.length, 'nothing doubled');
      // And she still talks to the chat.
      const mine = await say(alice, 'awake', 'a0');
      const heard = await bob.waitForJson((o) => o.type === 'message' && o.text === 'awake');
      assert.equal(heard.seq, mine);
    });

    test('a node paused with SIGSTOP past its lease: on resume it drops its sessions, and the client resumes with every message once, in order', async (t) => {
      const r = await redis(t);
      const a = await node(t, r.url);
      const b = await node(t, r.url);
      const { client: alice, first } = await hello(a.port, 'alice');
      const { client: bob } = await hello(b.port, 'bob');
      t.after(() => {
        alice.socket.destroy();
        bob.socket.destroy();
      });
      const epoch = (first.epochs as Record<string, string>)['#lobby'];
      const before = await say(bob, 'before', 'b0');
      await alice.waitForJson((o) => o.type === 'message' && o.seq === before);

      process.kill(a.pid, 'SIGSTOP');
      let resumed = false;
      t.after(() => {
        if (!resumed) process.kill(a.pid, 'SIGCONT');
      });
      const during: number[] = [];
      for (let i = 0; i < 10; i++) during.push(await say(bob, `during ${i}`, `d${i}`));
      // The sleeping node's leases lapse: its alias is free for anyone now.
      await aliasFree(r.url, 'alice', (LEASE_SECONDS + 10) * 1000);
      for (let i = 10; i < 20; i++) during.push(await say(bob, `during ${i}`, `d${i}`));
      process.kill(a.pid, 'SIGCONT');
      resumed = true;

      // Awake, A finds its leases unconfirmed for too long and ends the session
      // rather than keep an alias another node may hold; it may first hand on
      // some of what Redis kept for it.
      const dropped = await alice.waitForJson(
        (o) => o.type === 'error' && o.id === undefined,
        (LEASE_SECONDS + 10) * 1000,
      );
      assert.ok(
        dropped.detail === 'unavailable' || dropped.code === 'alias_taken',
        JSON.stringify(dropped),
      );
      await alice.waitClosed();
      const live = seenSeqs(alice);
      const last = live.at(-1)!;

      // Her client reconnects (here to B) and resumes from the last seq it saw.
      const { client: back, first: bw } = await hello(b.port, 'alice', {
        resume: { '#lobby': { seq: last, epoch } },
      });
      t.after(() => back.socket.destroy());
      assert.equal(bw.type, 'welcome', JSON.stringify(bw));
      await back.waitForJson((o) => o.type === 'history');
      const after = await say(bob, 'after', 'x0');
      await back.waitForJson((o) => o.type === 'message' && o.seq === after);
      const all = [...live, ...seenSeqs(back)];
      assert.deepEqual(all.slice(all.indexOf(before)), [before, ...during, after]);
    });

    test('Redis restarted with AOF (even killed -9) loses nothing acknowledged; the epoch holds', async (t) => {
      const r = await redis(t, true);
      const a = await node(t, r.url);
      const { client: alice, first } = await hello(a.port, 'alice');
      t.after(() => alice.socket.destroy());
      const epoch = (first.epochs as Record<string, string>)['#lobby'];
      const acked: number[] = [];
      for (let i = 0; i < 20; i++) acked.push(await say(alice, `m${i}`, `m${i}`));
      await r.restart('SIGKILL');
      const { client: ben, first: bw } = await hello(a.port, 'ben', {
        resume: { '#lobby': { seq: 0, epoch } },
      });
      t.after(() => ben.socket.destroy());
      assert.equal(bw.type, 'welcome', JSON.stringify(bw));
      assert.equal((bw.epochs as Record<string, string>)['#lobby'], epoch);
      const history = await ben.waitForJson((o) => o.type === 'history');
      const seqs = (history.messages as Obj[]).map((m) => m.seq as number);
      for (const s of acked) assert.ok(seqs.includes(s), `acked seq ${s} kept`);
    });

    test('Redis restarted without AOF: a visible reset, never silent loss', async (t) => {
      const r = await redis(t, false);
      const a = await node(t, r.url, ['--redis-unsafe']);
      const { client: alice, first } = await hello(a.port, 'alice');
      t.after(() => alice.socket.destroy());
      const epoch = (first.epochs as Record<string, string>)['#lobby'];
      let last = 0;
      for (let i = 0; i < 5; i++) last = await say(alice, `m${i}`, `m${i}`);
      await r.restart('SIGKILL');
      const { client: ben, first: bw } = await hello(a.port, 'ben', {
        resume: { '#lobby': { seq: last, epoch } },
      });
      t.after(() => ben.socket.destroy());
      assert.equal(bw.type, 'welcome', JSON.stringify(bw));
      assert.notEqual((bw.epochs as Record<string, string>)['#lobby'], epoch, 'a new epoch');
      const reset = await ben.waitForJson((o) => o.type === 'system' && o.event === 'reset');
      assert.equal(reset.room, '#lobby');
      // Alice's session outlives it: the node claims her lease again (nobody
      // else holds it) instead of ending her as "signed in from elsewhere".
      await assert.rejects(
        alice.waitForJson((o) => o.type === 'error', 2 * LEASE_SECONDS * 1000),
        /timed out/u,
      );
      await say(alice, 'still here', 'after');
    });
  });
}
