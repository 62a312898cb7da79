import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ChatClient, type ClientIO, type ClientSettings } from '../../src/client/app.js';
import { within } from '../helpers/line-reader.js';
import { FakeServer, welcome, type FakePeer } from './helpers.js';

process.env.TZ = 'UTC';
const TS = '2026-11-25T14:02:03.120Z';

/**
 * Streams for a ChatClient; `tty` makes stdin look like a terminal
 * (interactive mode), `screen` stdout too (line editing, pastes, the bell).
 */
function streams(
  tty: boolean,
  screen = false,
): ClientIO & { stdin: PassThrough; stdout: PassThrough; out: () => string; err: () => string } {
  const stdin = Object.assign(new PassThrough(), { isTTY: tty });
  const stdout = screen
    ? Object.assign(new PassThrough(), { isTTY: true, columns: 80 })
    : new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdin, stdout, stderr, color: false, out: () => out, err: () => err };
}

/** Resolves once the client's stdout holds `text`. */
function untilOut(io: ReturnType<typeof streams>, text: string): Promise<void> {
  return within(
    (async () => {
      while (!io.out().includes(text)) await once(io.stdout, 'data');
    })(),
    5000,
    JSON.stringify(text),
    io.out,
  );
}

/**
 * Play the server: welcome, then answer each request (refusing dms to Zed),
 * record what was asked, and hang up on quit.
 */
async function serve(
  peer: FakePeer,
  asked: Array<Record<string, unknown>>,
  greet: Array<Record<string, unknown>> = [],
): Promise<void> {
  await peer.next();
  peer.send(welcome());
  for (const event of greet) peer.send(event);
  for (;;) {
    const req = await peer.next();
    asked.push(req);
    if (req.type === 'quit') {
      peer.socket.end();
      return;
    }
    // The first time only: the store is back when it comes again.
    if (
      req.type === 'say' &&
      req.text === 'in the outage' &&
      asked.filter((r) => r.id === req.id).length === 1
    ) {
      peer.send({
        type: 'error',
        id: req.id,
        code: 'internal',
        detail: 'unavailable',
        message: 'The server cannot reach its shared store right now; try again shortly',
        retryAfterMs: 500,
      });
      continue;
    }
    if (req.type === 'dm' && req.to === 'Zed') {
      peer.send({ type: 'error', id: req.id, code: 'not_found', message: 'Unknown user: Zed' });
    } else if (req.type === 'who') {
      peer.send({ type: 'who', id: req.id, room: req.room, users: [{ name: 'Alice' }] });
    } else {
      peer.send({
        type: 'ack',
        id: req.id,
        op: req.type,
        ts: TS,
        ...(req.room ? { room: req.room } : {}),
        // Stored before a message the client has already seen (seq 11).
        ...(req.text === 'stored before Bob' ? { seq: 10 } : {}),
      });
    }
  }
}

async function start(
  t: { after: (fn: () => Promise<void>) => void },
  tty: boolean,
  settings: Partial<ClientSettings> = {},
  screen = false,
  greet: Array<Record<string, unknown>> = [],
) {
  const server = new FakeServer();
  const port = await server.listen();
  t.after(() => server.close());
  const io = streams(tty, screen);
  const client = new ChatClient(
    { host: '127.0.0.1', port, name: 'Alice', quitTimeoutMs: 2000, ...settings },
    io,
  );
  const asked: Array<Record<string, unknown>> = [];
  const running = client.run();
  const served = serve(await server.peer(0), asked, greet);
  return { io, asked, running, served };
}

describe('ChatClient', () => {
  it('piped: a /join changes the room of the lines after it, and all are acked', async (t) => {
    const { io, asked, running, served } = await start(t, false);
    io.stdin.end('/join #dev\nhello dev\n/who\n');
    assert.deepEqual(await within(running, 5000, 'the run to end', io.out), { kind: 'ok' });
    await served;
    assert.deepEqual(
      asked.map(({ id: _id, ...rest }) => rest),
      [
        { type: 'join', room: '#dev' },
        { type: 'say', room: '#dev', text: 'hello dev' },
        { type: 'who', room: '#dev' },
        { type: 'quit' },
      ],
    );
    assert.equal(io.out(), '* 1 user in #dev:\n    Alice\n');
  });

  it("piped: stdout holds the room's traffic and the answers to the script's lines, not the greeting", async (t) => {
    const greet = [
      { type: 'system', event: 'motd', ts: TS, text: 'Welcome to CS101 chat' },
      {
        type: 'message',
        room: '#lobby',
        seq: 1,
        ts: TS,
        from: 'Bob',
        text: 'hi all',
        action: false,
      },
    ];
    const { io, running } = await start(t, false, {}, false, greet);
    io.stdin.end('build is green\n/who\n');
    assert.deepEqual(await within(running, 5000, 'the run to end', io.out), { kind: 'ok' });
    assert.equal(io.out(), '[14:02] <Bob> hi all\n* 1 user in #lobby:\n    Alice\n');
  });

  it('piped: refusals are reported per line and end the run as line_refused', async (t) => {
    const { io, running } = await start(t, false);
    io.stdin.end('/msg Zed hi\n/bogus\nfine\n');
    assert.deepEqual(await within(running, 5000, 'the run to end', io.err), {
      kind: 'line_refused',
    });
    assert.equal(
      io.err(),
      'chat-client: line 2 refused: Unknown command: /bogus. Type /help for the list [bad_request]\n' +
        'chat-client: line 1 refused: Unknown user: Zed [not_found]\n',
    );
  });

  it("interactive: shows the user's own line once acked and leaves at the end of input", async (t) => {
    const { io, asked, running } = await start(t, true);
    io.stdin.write('hello\n');
    await untilOut(io, '[14:02] <Alice> hello\n');
    io.stdin.end();
    assert.deepEqual(await within(running, 5000, 'the run to end', io.out), { kind: 'ok' });
    assert.deepEqual(
      asked.map((r) => r.type),
      ['say', 'quit'],
    );
    assert.match(io.out(), /^\* Connected to fake 0 as Alice\./u);
  });

  it('interactive: a line the server could not store is kept, said so once, and shown once stored', async (t) => {
    const { io, asked, running } = await start(t, true);
    io.stdin.write('in the outage\n');
    await untilOut(io, '<Alice> in the outage');
    io.stdin.end();
    await within(running, 5000, 'the run to end', io.out);
    assert.match(
      io.out(),
      /! The server cannot reach its shared store right now: your lines are kept and sent again every 1 s for up to 30 s\n/u,
    );
    assert.deepEqual(
      asked.map((r) => r.type),
      ['say', 'say', 'quit'],
    );
    assert.equal(asked[0]!.id, asked[1]!.id, 'sent again with its id');
  });

  it('interactive: own lines in the order stored, even when their ack and later lines come in one read; a replayed one once', async (t) => {
    const server = new FakeServer();
    const port = await server.listen();
    t.after(() => server.close());
    const io = streams(true);
    const client = new ChatClient(
      {
        host: '127.0.0.1',
        port,
        name: 'Alice',
        reconnect: true,
        backoffBaseMs: 10,
        backoffMaxMs: 20,
      },
      io,
    );
    const running = client.run();
    const peer = await server.peer(0);
    await peer.next();
    peer.send(welcome());
    const waitOut = (text: string): Promise<void> => untilOut(io, text);
    await waitOut('Connected');
    io.stdin.write('first\n');
    const say = await peer.next();
    const bob = { type: 'message', room: '#lobby', ts: TS, from: 'Bob', action: false };
    // One write: the ack of seq 5, then Bob's seq 6.
    peer.send(
      JSON.stringify({ type: 'ack', id: say.id, op: 'say', ts: TS, seq: 5, room: '#lobby' }) +
        '\n' +
        JSON.stringify({ ...bob, seq: 6, text: 'second' }),
    );
    await waitOut('<Bob> second');
    await waitOut('<Alice> first');
    assert.ok(
      io.out().indexOf('<Alice> first') < io.out().indexOf('<Bob> second'),
      `own line after a later one:\n${io.out()}`,
    );

    // Stored, but the ack is lost with the connection: the replay shows it,
    // and the ack of the same say sent again does not show it twice.
    io.stdin.write('third\n');
    const lost = await peer.next();
    peer.socket.destroy();
    const again = await server.peer(1);
    await again.next();
    again.send(welcome());
    again.send({
      type: 'history',
      room: '#lobby',
      epoch: 'e1',
      more: false,
      gap: false,
      messages: [{ ...bob, from: 'Alice', seq: 7, text: 'third' }],
    });
    assert.deepEqual(await again.next(), lost, 'sent again with its id');
    again.send({ type: 'ack', id: lost.id, op: 'say', ts: TS, seq: 7, room: '#lobby' });
    again.send({ ...bob, seq: 8, text: 'fourth' });
    await waitOut('<Bob> fourth');
    assert.equal(io.out().split('<Alice> third').length - 1, 1, io.out());
    io.stdin.end();
    await within(running, 5000, 'the run to end', io.out);
  });

  it('interactive: an own line acked after a later message (stored, then retried) is still shown', async (t) => {
    const { io, running } = await start(t, true, {}, false, [
      {
        type: 'message',
        room: '#lobby',
        seq: 11,
        ts: TS,
        from: 'Bob',
        text: 'later',
        action: false,
      },
    ]);
    await untilOut(io, '<Bob> later');
    io.stdin.write('stored before Bob\n');
    await untilOut(io, '<Alice> stored before Bob');
    io.stdin.end();
    await within(running, 5000, 'the run to end', io.out);
  });

  it('interactive terminal: a paste is one say once Enter is pressed, /reply answers, a mention rings', async (t) => {
    const server = new FakeServer();
    const port = await server.listen();
    t.after(() => server.close());
    const io = streams(true, true);
    const client = new ChatClient({ host: '127.0.0.1', port, name: 'Alice', quiet: false }, io);
    const running = client.run();
    const peer = await server.peer(0);
    await peer.next();
    peer.send(welcome());
    const waitOut = (text: string): Promise<void> => untilOut(io, text);
    await waitOut('#lobby> ');

    io.stdin.write('\x1b[200~one\rtwo\rthree\x1b[201~');
    await waitOut('Enter sends it');
    io.stdin.write('\r');
    const say = await peer.next();
    assert.deepEqual(
      { ...say, id: undefined },
      {
        type: 'say',
        room: '#lobby',
        text: 'one\ntwo\nthree',
        id: undefined,
      },
    );
    peer.send({ type: 'ack', id: say.id, op: 'say', ts: TS, seq: 1, room: '#lobby' });
    await waitOut('<Alice> three');

    const before = io.out().split('\x07').length;
    peer.send({ type: 'private', from: 'Bob', to: 'Alice', ts: TS, text: 'psst', action: false });
    await waitOut('*Bob* psst');
    assert.equal(io.out().split('\x07').length, before + 1, 'one bell for the private message');
    io.stdin.write('/reply got it\r');
    const dm = await peer.next();
    assert.equal(dm.type, 'dm');
    assert.equal(dm.to, 'Bob');
    assert.equal(dm.text, 'got it');
    peer.send({ type: 'ack', id: dm.id, op: 'dm', ts: TS });

    peer.send({
      type: 'message',
      room: '#lobby',
      seq: 2,
      ts: TS,
      from: 'Bob',
      text: 'hey alice',
      action: false,
    });
    await waitOut('» <Bob> hey alice');
    assert.equal(io.out().split('\x07').length, before + 2, 'one bell for the mention');

    io.stdin.write('exit\r');
    const quit = await peer.next();
    assert.equal(quit.type, 'quit');
    peer.socket.end();
    assert.deepEqual(await within(running, 5000, 'the run to end', io.out), { kind: 'ok' });
  });

  it('piped: a registered alias without CHAT_PASSWORD is refused, saying how to give it', async (t) => {
    const server = new FakeServer();
    const port = await server.listen();
    t.after(() => server.close());
    const io = streams(false);
    const client = new ChatClient({ host: '127.0.0.1', port, name: 'Alice' }, io);
    const running = client.run();
    const peer = await server.peer(0);
    await peer.next();
    peer.send({ type: 'error', code: 'auth_required', message: 'Alice is registered' });
    const end = await within(running, 5000, 'the run to end');
    assert.equal(end.kind, 'refused');
    assert.match(
      end.kind === 'refused' ? end.message : '',
      /Alice is registered; set CHAT_PASSWORD, or run chat-client in a terminal to be asked for it \[auth_required\]$/mu,
    );
  });

  it('sends CHAT_PASSWORD in the first hello (no auth_required round trip), and a wrong one once', async (t) => {
    const server = new FakeServer();
    const port = await server.listen();
    t.after(() => server.close());
    const io = streams(false);
    const client = new ChatClient({ host: '127.0.0.1', port, name: 'Alice', password: 'pw' }, io);
    const running = client.run();
    const first = await server.peer(0);
    assert.equal((await first.next()).password, 'pw');
    first.send({ type: 'error', code: 'auth_failed', message: 'Wrong password for Alice' });
    const end = await within(running, 5000, 'the run to end');
    assert.deepEqual(end, {
      kind: 'refused',
      message: 'the server refused Alice: Wrong password for Alice [auth_failed]',
    });
  });

  it('interactive: asks for the password without echo, again when wrong', async (t) => {
    const server = new FakeServer();
    const port = await server.listen();
    t.after(() => server.close());
    const prompts: string[] = [];
    const answers = ['nope', 'right'];
    const io = {
      ...streams(true),
      readSecret: (prompt: string) => {
        prompts.push(prompt);
        return Promise.resolve(answers.shift() ?? '');
      },
    };
    const client = new ChatClient({ host: '127.0.0.1', port, name: 'Alice' }, io);
    const running = client.run();
    (await server.peer(0)).send({ type: 'error', code: 'auth_required', message: 'registered' });
    (await server.peer(1)).send({ type: 'error', code: 'auth_failed', message: 'wrong' });
    const third = await server.peer(2);
    let hello = await third.next();
    while (hello.type !== 'hello') hello = await third.next();
    assert.equal(hello.password, 'right');
    third.send(welcome());
    assert.deepEqual(prompts, ['Password for Alice: ', 'Wrong password. Password for Alice: ']);
    io.stdin.end();
    const quit = await third.next();
    assert.equal(quit.type, 'quit');
    third.socket.end();
    assert.deepEqual(await within(running, 5000, 'the run to end', io.out), { kind: 'ok' });
    assert.ok(!io.out().includes('right') && !io.err().includes('right'));
  });
});
