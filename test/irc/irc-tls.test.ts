/** The IRC port speaks TLS when the server has a certificate (docs/protocol.md "IRC"). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIrcLine } from '../../src/protocol/irc-message.js';
import { tempDir } from '../helpers/env.js';
import { serve } from '../helpers/fixtures.js';
import { ircPort } from '../helpers/irc.js';
import { LineReader } from '../helpers/line-reader.js';
import { makeCert, opensslMissing, tlsConnect } from '../helpers/tls.js';

test('with --tls-cert the IRC port speaks TLS, and a client registers over it', async (t) => {
  const skip = opensslMissing();
  if (skip) return t.skip(skip);
  const { cert, key } = makeCert(tempDir(t, 'chat-irc-tls-'));
  const server = await serve(t, { ircPort: 0, serverName: 'irc.test', tlsCert: cert, tlsKey: key });
  const socket = await tlsConnect(t, ircPort(server), cert);
  assert.ok(socket.authorized);
  const reader = new LineReader(socket);
  socket.write('NICK tls\r\nUSER tls 0 * :TLS user\r\n');
  await reader.find((l) => parseIrcLine(l).command === '366', 'the end of NAMES after registering');
  assert.ok(reader.lines.some((l) => parseIrcLine(l).command === '001'));
});

test('an IRC client without TLS on the TLS port is told so in an ERROR line', async (t) => {
  const skip = opensslMissing();
  if (skip) return t.skip(skip);
  const { cert, key } = makeCert(tempDir(t, 'chat-irc-tls-'));
  const server = await serve(t, { ircPort: 0, serverName: 'irc.test', tlsCert: cert, tlsKey: key });
  const { connect } = await import('node:net');
  const plain = connect({ host: '127.0.0.1', port: ircPort(server) });
  t.after(() => plain.destroy());
  const reader = new LineReader(plain);
  const closed = new Promise<void>((resolve) => plain.once('close', () => resolve()));
  plain.write('NICK plain\r\nUSER plain 0 * :no TLS\r\n');
  const error = parseIrcLine(await reader.find((l) => l.startsWith('ERROR'), 'an ERROR line'));
  assert.match(error.params[0]!, /This port speaks TLS only: turn on TLS/u);
  await closed;
});
