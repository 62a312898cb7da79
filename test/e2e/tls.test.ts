/**
 * TLS on the server (docs/protocol.md §1, §7): certificates made at test time with
 * openssl, `openssl s_client` as a real third-party TLS client, and SIGHUP
 * reloading the certificate without dropping open connections.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import split2 from 'split2';
import { Child, startServerProcess } from '../helpers/process.js';

function opensslMissing(): string | undefined {
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0) return undefined;
  const msg = 'openssl is not installed (apt-get install -y openssl)';
  if (process.env.CI) throw new Error(msg);
  return msg;
}

/** A self-signed certificate for localhost and 127.0.0.1, in a temp dir removed after the test. */
function makeCert(t: TestContext, dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  assert.equal(r.status, 0, `openssl req failed: ${r.stderr?.toString()}`);
  t.diagnostic(`made ${cert}`);
  return { cert, key };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'chat-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A TLS line client that trusts `ca`; resolves once the TLS handshake is done. */
async function tlsClient(
  t: TestContext,
  port: number,
  ca: string,
): Promise<{ socket: TLSSocket; lines: AsyncIterator<string> }> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    ca: readFileSync(ca),
    servername: 'localhost',
  });
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const lines = socket.pipe(split2())[Symbol.asyncIterator]() as AsyncIterator<string>;
  return { socket, lines };
}

async function nextMatching(
  lines: AsyncIterator<string>,
  pred: (l: string) => boolean,
): Promise<string> {
  const seen: string[] = [];
  for (;;) {
    const r = await lines.next();
    if (r.done) throw new Error(`stream ended; saw:\n${seen.join('\n')}`);
    const line = String(r.value);
    seen.push(line);
    if (pred(line)) return line;
  }
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
  const dir = tempDir(t);
  const { cert, key } = makeCert(t, dir, 'one');
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
  await nextMatching(bob.lines, (l) => l.startsWith('* Welcome, Bob'));

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
    await nextMatching(bob.lines, (l) => l.includes('hello over tls')),
    /<Sam> hello over tls$/u,
  );
  bob.socket.write('hi Sam\n');
  await sc.waitStdout((l) => l.endsWith('<Bob> hi Sam'));
  sc.proc.stdin!.end('/quit\n');
  await nextMatching(bob.lines, (l) => l.startsWith('* Sam quit'));
});

test('a plain TCP client on the TLS port does not disturb the server', async (t) => {
  const server = await tlsServer(t);
  if (!server) return;
  const { cert, port } = server;
  const { connect: tcp } = await import('node:net');
  const plain = tcp({ host: '127.0.0.1', port });
  plain.on('error', () => undefined);
  plain.write('Mallory\n');
  await new Promise<void>((resolve) => plain.once('close', () => resolve()));
  const ok = await tlsClient(t, port, cert);
  ok.socket.write('Alice\n');
  await nextMatching(ok.lines, (l) => l.startsWith('* Welcome, Alice'));
});

test('SIGHUP reloads the certificate: open connections stay, new ones get the new one', async (t) => {
  const server = await tlsServer(t);
  if (!server) return;
  const { dir, port, child } = server;
  const first = { cert: server.cert, key: server.key };
  const old = await tlsClient(t, port, first.cert);
  old.socket.write('Old\n');
  await nextMatching(old.lines, (l) => l.startsWith('* Welcome, Old'));

  // Replace the files in place, as certbot renewals do, then signal.
  const second = makeCert(t, dir, 'two');
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
  await nextMatching(fresh.lines, (l) => l.startsWith('* Welcome, New'));
  // The connection made before the reload still works both ways.
  old.socket.write('still here\n');
  assert.match(
    await nextMatching(fresh.lines, (l) => l.includes('still here')),
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
