import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startServerProcess } from '../helpers/process.js';
import { plainText, startClient, startTtyClient, textUser } from './processes.js';

const STAMP = String.raw`\[\d\d:\d\d\]`;
const line = (body: string): RegExp => new RegExp(`^${STAMP} ${body}$`, 'u');

describe('chat-client end to end', () => {
  it('piped stdin: sends every line, waits for the acks, exits 0', async (t) => {
    const { port } = await startServerProcess(t);
    const bob = await textUser(t, port, 'Bob');
    const client = startClient(t, [
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--name',
      'Alice',
    ]);
    client.proc.stdin?.end('hello from a pipe\n/me waves\n/msg Bob psst\n');
    assert.equal(await client.exitCode(), 0, client.seen());
    assert.equal(client.stderr, '');
    await bob.reader.find((l) => line('<Alice> hello from a pipe').test(l), 'the message', 0);
    await bob.reader.find((l) => line(String.raw`\* Alice waves`).test(l), 'the action', 0);
    await bob.reader.find(
      (l) => line(String.raw`\*Alice\* psst`).test(l),
      'the private message',
      0,
    );
    await bob.reader.find((l) => l.startsWith('* Alice quit'), 'Alice leaving');
  });

  it('piped stdin left open: SIGTERM leaves (quit) and exits 0 without waiting for stdin to close', async (t) => {
    const { port } = await startServerProcess(t);
    const bob = await textUser(t, port, 'Bob');
    const client = startClient(t, ['--port', String(port), '--name', 'Alice']);
    client.proc.stdin?.write('still here\n');
    await bob.reader.find((l) => line('<Alice> still here').test(l), 'the message');
    client.proc.kill('SIGTERM');
    await bob.reader.find((l) => l.startsWith('* Alice quit'), 'Alice leaving');
    // stdin stays open: before, the process lived on until its parent closed it.
    assert.equal(await client.exitCode(5000), 0, client.seen());
  });

  it('piped with --room: joins first, every line goes to that room, none to #lobby', async (t) => {
    const { port } = await startServerProcess(t);
    const lobby = await textUser(t, port, 'Lobbyist');
    const builds = await textUser(t, port, 'Watcher');
    builds.say('/join #builds');
    await builds.reader.find((l) => l === '* You are now in #builds', 'Watcher in #builds');
    const client = startClient(t, ['--port', String(port), '--name', 'ci', '--room', 'builds']);
    client.proc.stdin?.end('build 1234 is green\n/me deploys\n');
    assert.equal(await client.exitCode(), 0, client.seen());
    assert.equal(client.stderr, '');
    await builds.reader.find((l) => line('<ci> build 1234 is green').test(l), 'in #builds', 0);
    await builds.reader.find((l) => line(String.raw`\* ci deploys`).test(l), 'the action', 0);
    // #lobby saw ci come and go, never its lines.
    await lobby.reader.find((l) => l.startsWith('* ci quit'), 'ci leaving');
    assert.deepEqual(
      lobby.reader.lines.filter((l) => l.includes('<ci>') || l.includes('* ci deploys')),
      [],
    );
  });

  it('piped stdin: a refused line gives a one-line reason and exit code 6', async (t) => {
    const { port } = await startServerProcess(t);
    const client = startClient(t, ['--port', String(port), '--name', 'Alice']);
    client.proc.stdin?.end('fine\n/msg Nobody hi\nalso fine\n');
    assert.equal(await client.exitCode(), 6, client.seen());
    assert.match(client.stderr, /^chat-client: line 2 refused: [^\n]+\[not_found\]\n$/u);
  });

  it('interactive in a terminal: typing, incoming lines that keep the draft, exit', async (t) => {
    const { port } = await startServerProcess(t);
    const bob = await textUser(t, port, 'Bob');
    const alice = startTtyClient(t, [
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--name',
      'Alice',
    ]);
    await alice.output(/You are in #lobby with Bob/u, 'the welcome');
    await alice.output(/#lobby> $/u, 'the prompt');

    alice.proc.stdin?.write('hello from a tty\r');
    await bob.reader.find((l) => line('<Alice> hello from a tty').test(l), "Alice's line");
    await alice.output(
      new RegExp(`${STAMP} <Alice> hello from a tty\n`, 'u'),
      'her own line, once acked',
    );

    bob.say('hi there');
    await alice.output(/\] <Bob> hi there\n#lobby> $/u, "Bob's message above a fresh prompt");

    // A half-typed line survives an incoming message: printed above, draft redrawn.
    alice.proc.stdin?.write('half typed');
    await alice.output(/#lobby> half typed$/u, 'the draft');
    bob.say('interrupting');
    await alice.output(
      /\] <Bob> interrupting\n#lobby> half typed$/u,
      'the message, then the draft again',
    );
    alice.proc.stdin?.write(' and finished\r');
    await bob.reader.find(
      (l) => line('<Alice> half typed and finished').test(l),
      'the finished draft',
    );

    alice.proc.stdin?.write('exit\r');
    assert.equal(await alice.exitCode(), 0, alice.seen());
    await bob.reader.find((l) => l.startsWith('* Alice quit'), 'Alice leaving');
  });

  for (const [key, name] of [
    ['\x04', 'Ctrl-D'],
    ['\x03', 'Ctrl-C'],
    ['/quit\r', '/quit'],
  ] as const) {
    it(`interactive: ${name} leaves cleanly with exit code 0`, async (t) => {
      const { port } = await startServerProcess(t);
      const bob = await textUser(t, port, 'Bob');
      const alice = startTtyClient(t, ['--port', String(port), '--name', 'Alice']);
      await alice.output(/#lobby> $/u, 'the prompt');
      alice.proc.stdin?.write(key);
      assert.equal(await alice.exitCode(), 0, alice.seen());
      await bob.reader.find((l) => l.startsWith('* Alice quit'), 'Alice leaving');
    });
  }

  it('unreachable server: one line on stderr and exit code 3', async (t) => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = startClient(t, ['--port', String(port), '--name', 'Alice']);
    assert.equal(await client.exitCode(), 3, client.seen());
    assert.match(
      client.stderr,
      /^chat-client: cannot connect to 127\.0\.0\.1:\d+: connection refused[^\n]*\n$/u,
    );
  });

  it('alias refused: the reason and exit code 4', async (t) => {
    const { port } = await startServerProcess(t);
    await textUser(t, port, 'Bob');
    const client = startClient(t, ['--port', String(port), '--name', 'bob']);
    assert.equal(await client.exitCode(), 4, client.seen());
    assert.match(client.stderr, /^chat-client: the server refused bob: [^\n]+\[alias_taken\]\n$/u);
  });

  it('connection lost with --no-reconnect: the reason and exit code 5', async (t) => {
    const { child: server, port } = await startServerProcess(t);
    const bob = await textUser(t, port, 'Bob');
    const client = startClient(t, ['--port', String(port), '--name', 'Alice', '--no-reconnect']);
    await bob.reader.find((l) => l === '* Alice joined #lobby', 'Alice joining');
    server.proc.kill('SIGTERM');
    assert.equal(await client.exitCode(), 5, client.seen());
    assert.equal(client.stderr, 'chat-client: connection lost: the server shut down\n');
  });

  it('no alias: usage error, exit code 2', async (t) => {
    const client = startClient(t, ['--port', '1']);
    assert.equal(await client.exitCode(), 2, client.seen());
    assert.match(client.stderr, /^chat-client: no alias given[^\n]*\n$/u);
  });

  it('reconnects after a server restart: status lines, nothing lost, nothing twice', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chat-client-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const db = path.join(dir, 'chat.db');
    const first = await startServerProcess(t, ['--db', db]);
    const port = first.port;
    const bob = await textUser(t, port, 'Bob');
    const alice = startTtyClient(t, ['--port', String(port), '--name', 'Alice']);
    await alice.output(/#lobby> $/u, 'the prompt');
    alice.proc.stdin?.write('before restart\r');
    await bob.reader.find((l) => line('<Alice> before restart').test(l), "Alice's first line");
    await alice.output(/<Alice> before restart\n/u, 'her line acked');

    first.child.proc.kill('SIGTERM');
    assert.equal((await first.child.waitExit(10_000)).code, 0, first.child.stderr.join('\n'));
    await alice.output(/reconnecting… attempt \d+, next in \d+ s/u, 'the reconnecting status');

    await startServerProcess(t, ['--port', String(port), '--db', db]);
    const bob2 = await textUser(t, port, 'Bob');
    bob2.say('while you were away');
    await alice.output(/\* Reconnected to 127\.0\.0\.1:\d+\n/u, 'the reconnected status', 15_000);
    await alice.output(/<Bob> while you were away\n/u, "Bob's message, live or replayed");
    alice.proc.stdin?.write('after restart\r');
    await bob2.reader.find(
      (l) => line('<Alice> after restart').test(l),
      "Alice's line after the restart",
    );
    await alice.output(/<Alice> after restart\n/u, 'her line acked again');

    const shown = plainText(alice.stdout);
    assert.equal(shown.match(/<Bob> while you were away/gu)?.length, 1, shown);
    assert.equal(shown.match(/<Alice> before restart/gu)?.length, 1, shown);
    alice.proc.stdin?.write('exit\r');
    assert.equal(await alice.exitCode(), 0, alice.seen());
  });
});
