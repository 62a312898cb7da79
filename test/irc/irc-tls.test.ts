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
