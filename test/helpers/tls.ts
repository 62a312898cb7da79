/**
 * TLS for end-to-end tests: certificates made at test time with openssl (a
 * self-signed one, or a private CA and a server certificate it signed) in a
 * temp directory, and a client socket that trusts them.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import type { Cleanup } from './env.js';

/**
 * Why a TLS test cannot run here (openssl missing), or undefined. In CI a
 * missing openssl is a failure, since .ci/run installs it.
 */
export function opensslMissing(): string | undefined {
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0) return undefined;
  const msg = 'openssl is not installed (apt-get install -y openssl)';
  if (process.env.CI) throw new Error(`${msg}, and CI must run this test`);
  return msg;
}

/** A self-signed certificate with CN `name` for localhost and 127.0.0.1, written into `dir`. */
export function makeCert(dir: string, name = 'localhost'): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
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
  return { cert, key };
}

/**
 * A TLS connection to 127.0.0.1:port that trusts `ca` (a PEM file), destroyed
 * when the test ends; resolves once the TLS handshake is done.
 */
export async function tlsConnect(t: Cleanup, port: number, ca: string): Promise<TLSSocket> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    ca: readFileSync(ca),
    servername: 'localhost',
  });
  t.after(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

const run = promisify(execFile);

/** PEM files of a private CA and a server certificate it signed. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/**
 * Make a private CA and a server certificate for `names` (subjectAltName
 * syntax) with openssl, in `dir` (a temporary directory: keys are never kept).
 */
export async function makeTlsFiles(
  dir: string,
  names = 'DNS:localhost,IP:127.0.0.1',
): Promise<TlsFiles> {
  const file = (name: string): string => path.join(dir, name);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=chat-client test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req',
    ...ecKey,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  await writeFile(
    file('server.ext'),
    `subjectAltName=${names}\n` +
      'basicConstraints=CA:FALSE\n' +
      'keyUsage=critical,digitalSignature\n' +
      'extendedKeyUsage=serverAuth\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '1',
    '-extfile',
    file('server.ext'),
  ]);
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}
