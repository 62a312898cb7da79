/**
 * Several servers as one chat (cluster mode, first step): two real
 * chat-server processes on one Redis, or on a 3-master Redis Cluster; a
 * message from a user on node A reaches a user on node B, both through the
 * Redis doorbell.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { hashPassword } from '../../src/core/passwords.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { LineClient } from '../helpers/line-client.js';
import { RedisCluster, RedisServer, redisMissing } from '../helpers/redis.js';
import { freePort, spawnServer } from '../helpers/server-process.js';
import type { IrcMessage } from '../../src/protocol/irc-message.js';
import { IrcClient } from '../helpers/irc.js';
import { tempDir } from '../helpers/env.js';

type Obj = Record<string, unknown>;

/**
 * Wait until `receiver`'s node delivers what `sender` says: the core
 * subscribes a room without waiting for its subscription to go live, so
 * probes are sent until one comes through (each is acked first: stored).
 */
async function untilLive(sender: LineClient, receiver: LineClient): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const text = `probe ${i}`;
    sender.sendJson({ type: 'say', room: '#lobby', text, id: `p${i}` });
    await sender.waitForJson((o: Obj) => o.type === 'ack' && o.id === `p${i}`);
    try {
      await receiver.waitForJson((o: Obj) => o.type === 'message' && o.text === text, 200);
      return;
    } catch {
      // Not subscribed yet on the receiver's node: probe again.
    }
  }
  throw new Error('the receiving node never went live');
}

const missing = redisMissing();
if (missing) {
  test('two nodes on one Redis', { skip: missing }, () => undefined);
} else {
  describe('two chat-server nodes as one chat', () => {
    const started: Array<{ destroy(): Promise<void> }> = [];
    after(() => Promise.all(started.map((s) => s.destroy())));

    /** Two nodes on a fresh Redis (with AOF, as the startup check asks). */
    async function twoNodes(t: TestContext) {
      const redis = await RedisServer.start({ aof: true });
      started.push(redis);
      const dir = tempDir(t);
      const args = ['--redis', redis.url];
      const a = await spawnServer(t, { db: join(dir, 'a.db'), args });
      const b = await spawnServer(t, { db: join(dir, 'b.db'), args });
      return { a, b };
    }

    /** Two nodes on a fresh Redis that holds an operator account Op ("operator password"). */
    async function nodesWithOperator(t: TestContext, argsB: string[] = []) {
      const redis = await RedisServer.start({ aof: true });
      started.push(redis);
      // Made where cluster nodes read accounts: in Redis.
      const store = new RedisStore({ client: new Redis(redis.url), publish: () => undefined });
      await store.createAccount({
        key: 'op',
        name: 'Op',
        hash: await hashPassword('operator password'),
        operator: true,
        createdAt: 1,
      });
      await store.close();
      const dir = tempDir(t);
      const args = ['--redis', redis.url];
      const a = await spawnServer(t, { db: join(dir, 'a.db'), args });
      const b = await spawnServer(t, { db: join(dir, 'b.db'), args: [...args, ...argsB] });
      return { a, b };
    }

    const setups: Array<[string, () => Promise<string[]>]> = [
      [
        'one Redis',
        async () => {
          const redis = await RedisServer.start({ aof: true });
          started.push(redis);
          return ['--redis', redis.url];
        },
      ],
      [
        'a 3-master Redis Cluster',
        async () => {
          const cluster = await RedisCluster.start();
          started.push(cluster);
          const seeds = cluster.addresses.map((a) => `${a.host}:${a.port}`).join(',');
          // The test cluster runs without AOF (speed); the check would refuse it.
          return ['--redis-cluster', seeds, '--redis-unsafe'];
        },
      ],
    ];

    for (const [name, start] of setups) {
      test(`on ${name}: a message from a user on node A reaches a user on node B`, async (t) => {
        const args = await start();
        const dir = tempDir(t);
        const a = await spawnServer(t, { db: join(dir, 'a.db'), args });
        const b = await spawnServer(t, { db: join(dir, 'b.db'), args });
        const bob = await LineClient.json(b.port, 'bob');
        const alice = await LineClient.json(a.port, 'alice');
        t.after(() => {
          alice.socket.destroy();
          bob.socket.destroy();
        });
        await untilLive(alice, bob);
        await untilLive(bob, alice);
        alice.sendJson({ type: 'say', room: '#lobby', text: 'hello from A', id: 'a1' });
        const ack = await alice.waitForJson((o: Obj) => o.type === 'ack' && o.id === 'a1');
        const got = await bob.waitForJson(
          (o: Obj) => o.type === 'message' && o.text === 'hello from A',
        );
        assert.equal(got.from, 'alice');
        assert.equal(got.seq, ack.seq);
        bob.sendJson({ type: 'say', room: '#lobby', text: 'and back from B', id: 'b1' });
        const back = await alice.waitForJson(
          (o: Obj) => o.type === 'message' && o.text === 'and back from B',
        );
        assert.equal(back.from, 'bob');
        assert.equal(back.seq, (ack.seq as number) + 1, 'one seq for the room across nodes');
        // History is shared: a newcomer on node A sees what was said on B.
        const carol = await LineClient.json(a.port, 'carol');
        t.after(() => carol.socket.destroy());
        const history = await carol.waitForJson((o: Obj) => o.type === 'history');
        const texts = (history.messages as Obj[]).map((m) => m.text);
        assert.deepEqual(texts.slice(-2), ['hello from A', 'and back from B']);
      });
    }

    test('presence, private messages, /whois and ghost takeover span the nodes', async (t) => {
      const { a, b } = await twoNodes(t);
      const alice = await LineClient.json(a.port, 'alice');
      const carol = await LineClient.json(a.port, 'carol');
      const bob = await LineClient.json(b.port, 'bob');
      t.after(() => [alice, carol, bob].forEach((c) => c.socket.destroy()));
      // Bob's greeting on node B names who is in the room on node A.
      const welcome = JSON.parse(bob.lines.find((l) => l.includes('"welcome"'))!) as Obj;
      assert.equal(welcome.memberCount, 3);
      assert.deepEqual([...(welcome.members as string[])].sort(), ['alice', 'bob', 'carol']);
      // One join line for bob on node A's users, not one per node.
      await alice.waitForJson(
        (o: Obj) => o.type === 'system' && o.event === 'join' && o.user === 'bob',
      );
      await carol.waitForJson(
        (o: Obj) => o.type === 'system' && o.event === 'join' && o.user === 'bob',
      );

      for (const room of [undefined, '*']) {
        alice.sendJson({ type: 'who', ...(room && { room }), id: `w${room ?? ''}` });
        const who = await alice.waitForJson(
          (o: Obj) => o.type === 'who' && o.id === `w${room ?? ''}`,
        );
        assert.deepEqual(
          (who.users as Obj[]).map((u) => u.name),
          ['alice', 'bob', 'carol'],
          `/who ${room ?? ''} lists both nodes`,
        );
      }
      alice.sendJson({ type: 'whois', name: 'BOB', id: 'wi' });
      const whois = await alice.waitForJson((o: Obj) => o.type === 'whois');
      assert.equal(whois.name, 'bob');
      assert.deepEqual(whois.rooms, ['#lobby']);
      assert.equal(whois.address, undefined, 'the address is for operators only');
      // Files are relayed within one server: the refusal says so, not "Unknown user".
      const sha256 = 'a'.repeat(64);
      alice.sendJson({ type: 'file-offer', id: 'f1', to: 'bob', name: 'x', size: 1, sha256 });
      const offer = await alice.waitForJson((o: Obj) => o.id === 'f1');
      assert.equal(offer.code, 'not_found');
      assert.match(String(offer.message), /bob is connected to another server/u);

      alice.sendJson({ type: 'dm', to: 'bob', text: 'psst, from A', id: 'd1' });
      const dmAck = await alice.waitForJson((o: Obj) => o.id === 'd1');
      assert.equal(dmAck.type, 'ack', JSON.stringify(dmAck));
      const got = await bob.waitForJson((o: Obj) => o.type === 'private');
      assert.equal(got.text, 'psst, from A');
      assert.equal(got.from, 'alice');

      // Uniqueness: bob's alias is taken on node A too.
      const dup = await LineClient.connect(a.port);
      t.after(() => dup.socket.destroy());
      dup.sendJson({ type: 'hello', version: 1, name: 'Bob' });
      const refused = await dup.waitForJson((o: Obj) => o.type === 'error');
      assert.equal(refused.code, 'alias_taken');

      // Ghost takeover across nodes: bob registers on B, then signs in on A.
      bob.sendJson({ type: 'register', password: 'correct horse', id: 'r1' });
      const reg = await bob.waitForJson((o: Obj) => o.id === 'r1');
      assert.equal(reg.type, 'ack', JSON.stringify(reg));
      const bob2 = await LineClient.json(a.port, 'bob', { password: 'correct horse' });
      t.after(() => bob2.socket.destroy());
      const told = await bob.waitForJson((o: Obj) => o.type === 'error');
      assert.equal(told.code, 'alias_taken');
      await bob.waitClosed();
      // Exactly one quit line for the old copy on node A's users.
      await carol.waitForJson(
        (o: Obj) => o.type === 'system' && o.event === 'quit' && o.user === 'bob',
      );
      alice.sendJson({ type: 'who', room: '*', id: 'w2' });
      const after = await alice.waitForJson((o: Obj) => o.type === 'who' && o.id === 'w2');
      assert.deepEqual(
        (after.users as Obj[]).map((u) => u.name),
        ['alice', 'bob', 'carol'],
      );
    });

    test('a client program taken over through one node is refused as displaced on every node', async (t) => {
      const { a, b } = await twoNodes(t);
      const password = 'kim password';
      const laptop = await LineClient.json(a.port, 'Kim', { instance: 'laptop-program' });
      t.after(() => laptop.socket.destroy());
      laptop.sendJson({ type: 'register', password, id: 'r1' });
      assert.equal((await laptop.waitForJson((o: Obj) => o.id === 'r1')).type, 'ack');

      // Kim signs in at a lab PC through node B: the laptop's session on A goes.
      const lab = await LineClient.json(b.port, 'Kim', { password, instance: 'lab-program' });
      t.after(() => lab.socket.destroy());
      assert.equal((await laptop.waitForJson((o: Obj) => o.type === 'error')).code, 'alias_taken');
      await laptop.waitClosed();

      // The laptop's client comes back, through either node: refused, the lab PC stays.
      for (const node of [a, b]) {
        const again = await LineClient.connect(node.port);
        t.after(() => again.socket.destroy());
        again.sendJson({
          type: 'hello',
          version: 1,
          name: 'Kim',
          password,
          instance: 'laptop-program',
        });
        const refused = await again.waitForJson((o: Obj) => o.type === 'error');
        assert.equal(refused.code, 'alias_taken', JSON.stringify(refused));
        assert.equal(refused.detail, 'displaced', JSON.stringify(refused));
      }
      lab.sendJson({ type: 'say', room: '#lobby', text: 'still here', id: 's1' });
      assert.equal((await lab.waitForJson((o: Obj) => o.id === 's1')).type, 'ack');

      // The lab PC's own reconnect through node A replaces its ghost on B.
      const labAgain = await LineClient.json(a.port, 'Kim', { password, instance: 'lab-program' });
      t.after(() => labAgain.socket.destroy());
      await lab.waitClosed();
      labAgain.sendJson({ type: 'say', room: '#lobby', text: 'moved', id: 's2' });
      assert.equal((await labAgain.waitForJson((o: Obj) => o.id === 's2')).type, 'ack');
    });

    test('mutes, topic locks, /rooms counts, /whois away and idle, and look-alikes span the nodes', async (t) => {
      const { a, b } = await nodesWithOperator(t);
      const op = await LineClient.json(a.port, 'Op', { password: 'operator password' });
      const bob = await LineClient.json(b.port, 'bob');
      t.after(() => [op, bob].forEach((c) => c.socket.destroy()));
      const ask = async (c: LineClient, req: Obj): Promise<Obj> => {
        const id = `q${Math.random()}`;
        c.sendJson({ ...req, id });
        return c.waitForJson((o: Obj) => o.id === id);
      };

      // /rooms on A counts bob (on B) in #lobby and lists #b-only, where only B has members.
      assert.equal((await ask(bob, { type: 'join', room: '#b-only' })).type, 'ack');
      assert.equal((await ask(bob, { type: 'away', text: 'at lunch' })).type, 'ack');
      await ask(bob, { type: 'who' }); // a request after the away: its presence follows
      const listed = async (): Promise<Obj[]> => (await ask(op, { type: 'rooms' })).rooms as Obj[];
      let rooms: Obj[] = [];
      // Presence carries rooms and away text as of bob's node's last write.
      for (let i = 0; i < 100; i++) {
        rooms = await listed();
        if (rooms.some((r) => r.name === '#b-only')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(
        rooms.map((r) => [r.name, r.members]),
        [
          ['#b-only', 1],
          ['#lobby', 2],
        ],
      );

      // /whois of a user on the other node: away text and idle time (within a renewal).
      let whois: Obj = {};
      for (let i = 0; i < 200; i++) {
        whois = await ask(op, { type: 'whois', name: 'bob' });
        if (whois.away !== undefined) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(whois.away, 'at lunch');
      assert.equal(typeof whois.idle, 'number');
      assert.deepEqual(whois.rooms, ['#lobby']);
      // The operator sees the address of a user on the other node too; a user does not.
      assert.equal(whois.address, '127.0.0.1');
      assert.equal((await ask(bob, { type: 'whois', name: 'Op' })).address, undefined);

      // A guest may not look like a user online on the other node.
      const fake = await LineClient.connect(a.port);
      t.after(() => fake.socket.destroy());
      fake.sendJson({ type: 'hello', version: 1, name: 'b0b' });
      const refused = await fake.waitForJson((o: Obj) => o.type === 'error');
      assert.equal(refused.code, 'alias_taken');
      assert.match(String(refused.message), /looks like bob/);

      // A mute made on A holds on B; a topic lock made on A holds on B.
      assert.equal((await ask(op, { type: 'mute', name: 'bob' })).type, 'ack');
      assert.equal((await ask(op, { type: 'topic', room: '#lobby', lock: true })).type, 'ack');
      let said: Obj = {};
      for (let i = 0; i < 100; i++) {
        said = await ask(bob, { type: 'say', room: '#lobby', text: 'can I?' });
        if (said.type === 'error') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(said.code, 'forbidden', JSON.stringify(said));
      assert.match(String(said.message), /muted by Op/);
      // Told at once on B, as on the operator's own node: not only at the next line.
      const told = bob.lines.filter((l) => l.includes('"event":"mute"'));
      assert.equal(told.length, 1, bob.lines.join('\n'));
      assert.equal(JSON.parse(told[0]!).by, 'Op');
      assert.equal((await ask(op, { type: 'unmute', name: 'bob' })).type, 'ack');
      const lifted = await bob.waitForJson((o: Obj) => o.type === 'system' && o.event === 'unmute');
      assert.equal(lifted.by, 'Op');
      let topic: Obj = {};
      for (let i = 0; i < 100; i++) {
        topic = await ask(bob, { type: 'topic', room: '#lobby', text: 'mine now' });
        if (topic.code === 'forbidden' && /locked/.test(String(topic.message))) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(topic.code, 'forbidden', JSON.stringify(topic));
      assert.match(String(topic.message), /locked/);
    });

    test('a topic set on either node is the topic on every node: join acks, queries, /rooms, topic locks', async (t) => {
      const { a, b } = await nodesWithOperator(t);
      const alice = await LineClient.json(a.port, 'alice');
      const op = await LineClient.json(a.port, 'Op', { password: 'operator password' });
      const bob = await LineClient.json(b.port, 'bob');
      const clients = [alice, op, bob];
      t.after(() => clients.forEach((c) => c.socket.destroy()));
      const ask = async (c: LineClient, req: Obj): Promise<Obj> => {
        const id = `q${Math.random()}`;
        c.sendJson({ ...req, id });
        return c.waitForJson((o: Obj) => o.id === id);
      };
      const topicSet = (c: LineClient, room: string, by: string, text: string): Promise<Obj> =>
        c.waitForJson(
          (o: Obj) => o.event === 'topic' && o.room === room && o.user === by && o.text === text,
        );

      // Node B has #t loaded (bob is in it) before alice sets its topic on A.
      assert.equal((await ask(bob, { type: 'join', room: '#t' })).type, 'ack');
      assert.equal((await ask(alice, { type: 'join', room: '#t' })).type, 'ack');
      assert.equal((await ask(alice, { type: 'join', room: '#a-only' })).type, 'ack');
      // #a-only: nobody on B is in it; B loads it only when someone joins.
      const setA = await ask(alice, { type: 'topic', room: '#a-only', text: 'only A was here' });
      assert.equal(setA.type, 'ack', JSON.stringify(setA));
      assert.equal((await ask(alice, { type: 'topic', room: '#t', text: 'from A' })).type, 'ack');
      // Bob has heard it: node B has had every notice A sent before it.
      await topicSet(bob, '#t', 'alice', 'from A');
      const queried = await ask(bob, { type: 'topic', room: '#t' });
      assert.equal(queried.text, 'from A', `topic query on B: ${JSON.stringify(queried)}`);
      const carol = await LineClient.json(b.port, 'carol');
      clients.push(carol);
      const carolJoin = await ask(carol, { type: 'join', room: '#t' });
      assert.equal((carolJoin.topic as Obj | undefined)?.text, 'from A', JSON.stringify(carolJoin));
      assert.equal((carolJoin.topic as Obj).by, 'alice');
      const onlyA = await ask(carol, { type: 'join', room: '#a-only' });
      assert.equal(
        (onlyA.topic as Obj | undefined)?.text,
        'only A was here',
        JSON.stringify(onlyA),
      );
      const listed = (await ask(bob, { type: 'rooms' })).rooms as Obj[];
      assert.deepEqual(
        listed.filter((r) => r.topic !== '').map((r) => [r.name, r.topic]),
        [
          ['#a-only', 'only A was here'],
          ['#t', 'from A'],
        ],
      );

      // Changed on B: A's members hear it, and A serves the new topic from then on.
      assert.equal((await ask(bob, { type: 'topic', room: '#t', text: 'from B' })).type, 'ack');
      await topicSet(alice, '#t', 'bob', 'from B');
      assert.equal((await ask(alice, { type: 'topic', room: '#t' })).text, 'from B');
      const erin = await LineClient.json(a.port, 'erin');
      clients.push(erin);
      const erinJoin = await ask(erin, { type: 'join', room: '#t' });
      assert.equal((erinJoin.topic as Obj | undefined)?.text, 'from B', JSON.stringify(erinJoin));
      assert.equal((erinJoin.topic as Obj).by, 'bob');
      // Cleared on A: B shows no topic.
      assert.equal((await ask(alice, { type: 'topic', room: '#t', text: '' })).type, 'ack');
      await topicSet(bob, '#t', 'alice', '');
      assert.equal((await ask(bob, { type: 'topic', room: '#t' })).text, '');

      // A lock made on A holds on B at once, and so does the unlock.
      assert.equal((await ask(op, { type: 'join', room: '#t' })).type, 'ack');
      assert.equal((await ask(op, { type: 'topic', room: '#t', lock: true })).type, 'ack');
      // The lock is read again from the store on B (a signal, then a read): poll.
      let locked: Obj = {};
      for (let i = 0; i < 100 && locked.locked !== true; i++) {
        locked = await ask(bob, { type: 'topic', room: '#t' });
        if (locked.locked !== true) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(locked.locked, true, JSON.stringify(locked));
      const refused = await ask(bob, { type: 'topic', room: '#t', text: 'mine now' });
      assert.equal(refused.code, 'forbidden', JSON.stringify(refused));
      assert.equal((await ask(op, { type: 'topic', room: '#t', lock: false })).type, 'ack');
      let unlocked: Obj = {};
      for (let i = 0; i < 100 && unlocked.type !== 'ack'; i++) {
        unlocked = await ask(bob, { type: 'topic', room: '#t', text: 'mine now' });
        if (unlocked.type !== 'ack') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(unlocked.type, 'ack', JSON.stringify(unlocked));
      await topicSet(op, '#t', 'bob', 'mine now');
      assert.equal((await ask(op, { type: 'topic', room: '#t' })).text, 'mine now');
    });

    test('an IRC client on node B lists the members on node A: NAMES on join and asked, WHO #chan, WHOIS', async (t) => {
      const redis = await RedisServer.start({ aof: true });
      started.push(redis);
      const dir = tempDir(t);
      const args = ['--redis', redis.url];
      const ircB = await freePort();
      const a = await spawnServer(t, { db: join(dir, 'a.db'), args });
      await spawnServer(t, {
        db: join(dir, 'b.db'),
        args: [...args, '--irc-port', String(ircB)],
      });
      const alice = await LineClient.json(a.port, 'alice');
      t.after(() => alice.socket.destroy());
      await alice.waitForJson((o: Obj) => o.type === 'history');
      alice.sendJson({ type: 'say', id: 'h1', text: 'said before you came' });
      assert.equal((await alice.waitForJson((o: Obj) => o.id === 'h1')).type, 'ack');
      const irc = await IrcClient.connect(t, ircB);
      irc.send('NICK ircbob');
      irc.send('USER ircbob 0 * :ircbob');
      // The join's NAMES already comes from the cluster's presence, right
      // after the JOIN: the history follows it, as clients expect.
      const untilEnd: IrcMessage[] = [];
      await irc.expect((m) => {
        untilEnd.push(m);
        return m.command === '366' && m.params[1] === '#lobby';
      });
      const commands = untilEnd.map((m) => m.command);
      const onJoin = untilEnd.find((m) => m.command === '353')!;
      assert.deepEqual(onJoin.params[3]!.split(' ').sort(), ['alice', 'ircbob']);
      assert.ok(commands.indexOf('JOIN') < commands.indexOf('353'), commands.join(' '));
      assert.ok(!commands.includes('PRIVMSG'), `history before NAMES: ${commands.join(' ')}`);
      await irc.expect((m) => m.command === 'PRIVMSG' && m.params[1] === 'said before you came');
      irc.send('NAMES #lobby');
      const asked = await irc.expect((m) => m.command === '353');
      assert.deepEqual(asked.params[3]!.split(' ').sort(), ['alice', 'ircbob']);
      await irc.numeric('366');
      irc.send('WHO #lobby');
      const who = [await irc.numeric('352'), await irc.numeric('352')].map((m) => m.params[5]);
      assert.deepEqual(who.sort(), ['alice', 'ircbob']);
      await irc.numeric('315');
      // WHOIS of a user on the other node: that node's answer, not 401.
      irc.send('WHOIS alice');
      assert.equal((await irc.numeric('311')).params[1], 'alice');
      assert.match((await irc.numeric('319')).params[2]!, /#lobby/u);
      await irc.numeric('317');
      await irc.numeric('318');
      irc.send('WHOIS ghost');
      assert.equal((await irc.numeric('401')).params[1], 'ghost');
      await irc.numeric('318');
      // A channel nobody is in: an empty list, no error.
      irc.send('NAMES #nowhere');
      const end = await irc.expect((m) => m.command === '366' || m.command === '353');
      assert.deepEqual([end.command, end.params[1]], ['366', '#nowhere']);
      await irc.fence();
    });

    test('an operator who joins on node A is shown as @ to an IRC client on node B: MODE +o after the JOIN', async (t) => {
      const ircB = await freePort();
      const { a } = await nodesWithOperator(t, ['--irc-port', String(ircB)]);
      const irc = await IrcClient.connect(t, ircB);
      irc.send('NICK ircbob');
      irc.send('USER ircbob 0 * :ircbob');
      await irc.expect((m) => m.command === '366' && m.params[1] === '#lobby');
      // A guest from node A first: no mode for it.
      const guest = await LineClient.json(a.port, 'zed');
      t.after(() => guest.socket.destroy());
      await irc.expect((m) => m.command === 'JOIN' && m.prefix?.startsWith('zed!') === true);
      const op = await LineClient.json(a.port, 'Op', { password: 'operator password' });
      t.after(() => op.socket.destroy());
      await irc.expect((m) => m.command === 'JOIN' && m.prefix?.startsWith('Op!') === true);
      const mode = await irc.expect((m) => m.command === 'MODE');
      assert.deepEqual(mode.params, ['#lobby', '+o', 'Op']);
      await irc.fence();
      assert.equal(
        irc.c.lines.filter((l) => / MODE #lobby /u.test(l)).length,
        1,
        irc.c.lines.join('\n'),
      );
    });

    test('a Redis without appendonly is refused at startup, naming what is at stake', async (t) => {
      const redis = await RedisServer.start({ aof: false });
      started.push(redis);
      const dir = tempDir(t);
      await assert.rejects(
        spawnServer(t, { db: join(dir, 'x.db'), args: ['--redis', redis.url] }),
        /restart loses every message/,
      );
    });
  });
}
