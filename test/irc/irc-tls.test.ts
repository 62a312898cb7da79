/** The IRC port speaks TLS when the server has a certificate (docs/protocol.md "IRC"). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import split2 from 'split2';
import { parseIrcLine } from '../../src/protocol/irc-message.js';
import { serve } from '../helpers/fixtures.js';
import { ircPort } from '../helpers/irc.js';

test('with --tls-cert the IRC port speaks TLS, and a client registers over it', async (t) => {
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0) {
    if (process.env.CI) throw new Error('openssl is not installed, and CI must run this test');
    return t.skip('openssl is not installed');
  }
  const dir = mkdtempSync(join(tmpdir(), 'chat-irc-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync(
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
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  assert.equal(made.status, 0);
  const server = await serve(t, { ircPort: 0, serverName: 'irc.test', tlsCert: cert, tlsKey: key });
  const socket = connect({ host: '127.0.0.1', port: ircPort(server), ca: readFileSync(cert) });
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  assert.ok(socket.authorized);
  const lines: string[] = [];
  const welcomed = new Promise<void>((resolve, reject) => {
    socket.pipe(split2()).on('data', (l: string) => {
      lines.push(l);
      if (parseIrcLine(l).command === '366') resolve();
    });
    socket.once('close', () => reject(new Error(`closed; lines: ${lines.join('\n')}`)));
  });
  socket.write('NICK tls\r\nUSER tls 0 * :TLS user\r\n');
  await welcomed;
  assert.ok(lines.some((l) => parseIrcLine(l).command === '001'));
});
