import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ChatClient, type ClientIO } from '../../src/client/app.js';
import { FakeServer, welcome, within, type FakePeer } from './helpers.js';

process.env.TZ = 'UTC';
const TS = '2026-11-25T14:02:03.120Z';

/** Streams for a ChatClient; `tty` makes stdin look like a terminal (interactive mode). */
function streams(
  tty: boolean,
): ClientIO & { stdin: PassThrough; stdout: PassThrough; out: () => string; err: () => string } {
  const stdin = Object.assign(new PassThrough(), { isTTY: tty });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdin, stdout, stderr, color: false, out: () => out, err: () => err };
}

/**
 * Play the server: welcome, then answer each request (refusing dms to Zed),
 * record what was asked, and hang up on quit.
 */
async function serve(peer: FakePeer, asked: Array<Record<string, unknown>>): Promise<void> {
  await peer.next();
  peer.send(welcome());
  for (;;) {
    const req = await peer.next();
    asked.push(req);
    if (req.type === 'quit') {
      peer.socket.end();
      return;
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
      });
    }
  }
}

async function start(t: { after: (fn: () => Promise<void>) => void }, tty: boolean) {
  const server = new FakeServer();
  const port = await server.listen();
  t.after(() => server.close());
  const io = streams(tty);
  const client = new ChatClient(
    { host: '127.0.0.1', port, name: 'Alice', quitTimeoutMs: 2000 },
    io,
  );
  const asked: Array<Record<string, unknown>> = [];
  const running = client.run();
  const served = serve(await server.peer(0), asked);
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

  it('piped: refusals are reported per line and end the run as line_refused', async (t) => {
    const { io, running } = await start(t, false);
    io.stdin.end('/msg Zed hi\n/bogus\nfine\n');
    assert.deepEqual(await within(running, 5000, 'the run to end', io.err), {
      kind: 'line_refused',
    });
    assert.equal(
      io.err(),
      'chat-client: line 2 refused: Unknown command: /bogus. Type /help for the list\n' +
        'chat-client: line 1 refused: Unknown user: Zed [not_found]\n',
    );
  });

  it("interactive: shows the user's own line once acked and leaves at the end of input", async (t) => {
    const { io, asked, running } = await start(t, true);
    io.stdin.write('hello\n');
    await within(
      (async () => {
        while (!io.out().includes('[14:02] <Alice> hello\n')) await once(io.stdout, 'data');
      })(),
      5000,
      'her line',
      io.out,
    );
    io.stdin.end();
    assert.deepEqual(await within(running, 5000, 'the run to end', io.out), { kind: 'ok' });
    assert.deepEqual(
      asked.map((r) => r.type),
      ['say', 'quit'],
    );
    assert.match(io.out(), /^\* Connected to fake 0 as Alice\./u);
  });
});
