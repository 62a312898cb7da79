/**
 * TLS on the server (docs/protocol.md §1, §7): certificates made at test time with
 * openssl, `openssl s_client` as a real third-party TLS client, and SIGHUP
 * reloading the certificate without dropping open connections.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { tempDir } from '../helpers/env.js';
import { LineReader } from '../helpers/line-reader.js';
import { Child, startServerProcess } from '../helpers/process.js';
import { makeCert, opensslMissing, tlsConnect } from '../helpers/tls.js';

/** A TLS line client that trusts `ca`; resolves once the TLS handshake is done. */
async function tlsClient(
  t: TestContext,
  port: number,
  ca: string,
): Promise<{ socket: TLSSocket; reader: LineReader }> {
  const socket = await tlsConnect(t, port, ca);
  return { socket, reader: new LineReader(socket) };
}

/**
 * A TLS chat-server on a certificate for localhost made in a temp dir; resolves
 * undefined (and skips the test) when openssl is missing outside CI.
 */
async function tlsServer(
  t: TestContext,
): Promise<{ dir: string; cert: string; key: string; port: number; child: Child } | undefined> {
  const skip = opensslMissing();
  if (skip) {
    t.skip(skip);
    return undefined;
  }
  const dir = tempDir(t, 'chat-tls-');
  const { cert, key } = makeCert(dir, 'one');
  const { port, child } = await startServerProcess(t, ['--tls-cert', cert, '--tls-key', key]);
  return { dir, cert, key, port, child };
}

test('openssl s_client and a node TLS client chat through a TLS server', async (t) => {
  const server = await tlsServer(t);
  if (!server) return;
  const { cert, port, child } = server;
  assert.match(child.stdout.find((l) => l.includes('"listening"')) ?? '', /"tls":true/u);

  const bob = await tlsClient(t, port, cert);
  bob.socket.write('Bob\n');
  await bob.reader.find((l) => l.startsWith('* Welcome, Bob'), '* Welcome, Bob');

  const sc = new Child(
    spawn(
      'openssl',
      [
        's_client',
        '-quiet',
        '-verify_return_error',
        '-CAfile',
        cert,
        '-connect',
        `127.0.0.1:${port}`,
      ],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    ),
  );
  t.after(() => {
    if (!sc.exit) sc.proc.kill('SIGKILL');
  });
  sc.proc.stdin!.write('Sam\n');
  await sc.waitStdout((l) => l.startsWith('* Welcome, Sam'));
  sc.proc.stdin!.write('hello over tls\n');
  assert.match(
    await bob.reader.find((l) => l.includes('hello over tls'), 'hello over tls'),
    /<Sam> hello over tls$/u,
  );
  bob.socket.write('hi Sam\n');
  await sc.waitStdout((l) => l.endsWith('<Bob> hi Sam'));
  sc.proc.stdin!.end('/quit\n');
  await bob.reader.find((l) => l.startsWith('* Sam quit'), '* Sam quit');
});

test('a plain TCP client on the TLS port is told to use TLS, in its mode, and does not disturb the server', async (t) => {
  const server = await tlsServer(t);
  if (!server) return;
  const { cert, port } = server;
  const { connect: tcp } = await import('node:net');
  const said = async (first: string): Promise<string> => {
    const plain = tcp({ host: '127.0.0.1', port });
    plain.on('error', () => undefined);
    let heard = '';
    plain.on('data', (d: Buffer) => (heard += d.toString()));
    plain.write(first);
    await new Promise<void>((resolve) => plain.once('close', () => resolve()));
    return heard;
  };
  assert.match(
    await said('Mallory\n'),
    /^! This port speaks TLS only: .*--tls.* \[bad_request\]\n$/u,
  );
  const json = JSON.parse(await said('{"type":"hello","id":"h1","version":1,"name":"bot"}\n')) as {
    type: string;
    id?: string;
    code: string;
    message: string;
  };
  assert.equal(json.type, 'error');
  assert.equal(json.code, 'bad_request');
  assert.equal(json.id, 'h1', "the hello's id comes back on its refusal");
  assert.match(json.message, /^This port speaks TLS only/u);
  const ok = await tlsClient(t, port, cert);
  ok.socket.write('Alice\n');
  await ok.reader.find((l) => l.startsWith('* Welcome, Alice'), '* Welcome, Alice');
});

test('a client that rejects the certificate is let go at once; SIGTERM stops a server with a handshake pending', async (t) => {
  const server = await tlsServer(t);
  if (!server) return;
  const { port, child } = server;
  const { connect: tlsDial } = await import('node:tls');
  const { connect: tcp } = await import('node:net');
  // Default verification: the self-signed certificate is refused and the client hangs up.
  const refused = tlsDial({ host: '127.0.0.1', port, servername: 'localhost' });
  const failed = new Promise<Error>((resolve) => refused.once('error', resolve));
  assert.match((await failed).message, /self[- ]signed/u);
  // A TCP client that never starts its handshake: the shutdown must not wait for it.
  const silent = tcp({ host: '127.0.0.1', port });
  silent.on('error', () => undefined);
  const silentClosed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
  await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
  child.proc.kill('SIGTERM');
  const exit = await child.exited;
  assert.equal(exit.code, 0, JSON.stringify(exit));
  await silentClosed;
});

test('SIGHUP reloads the certificate: open connections stay, new ones get the new one', async (t) => {
  const server = await tlsServer(t);
  if (!server) return;
  const { dir, port, child } = server;
  const first = { cert: server.cert, key: server.key };
  const old = await tlsClient(t, port, first.cert);
  old.socket.write('Old\n');
  await old.reader.find((l) => l.startsWith('* Welcome, Old'), '* Welcome, Old');

  // Replace the files in place, as certbot renewals do, then signal.
  const second = makeCert(dir, 'two');
  rmSync(first.cert);
  rmSync(first.key);
  spawnSync('cp', [second.cert, first.cert]);
  spawnSync('cp', [second.key, first.key]);
  const mark = child.stdout.length;
  child.proc.kill('SIGHUP');
  await child.waitStdout((l) => l.includes('TLS certificate reloaded'), mark);

  const fresh = await tlsClient(t, port, second.cert);
  assert.equal(fresh.socket.getPeerCertificate().subject.CN, 'two');
  fresh.socket.write('New\n');
  await fresh.reader.find((l) => l.startsWith('* Welcome, New'), '* Welcome, New');
  // The connection made before the reload still works both ways.
  old.socket.write('still here\n');
  assert.match(
    await fresh.reader.find((l) => l.includes('still here'), 'still here'),
    /<Old> still here$/u,
  );
});

test('a bad certificate file on SIGHUP is reported and the old one kept', async (t) => {
  const server = await tlsServer(t);
  if (!server) return;
  const { port, child } = server;
  const first = { cert: server.cert, key: server.key };
  rmSync(first.key);
  const mark = child.stdout.length;
  child.proc.kill('SIGHUP');
  await child.waitStdout((l) => l.includes('TLS reload failed'), mark);
  const c = await tlsClient(t, port, first.cert);
  assert.equal(c.socket.getPeerCertificate().subject.CN, 'one');
});
