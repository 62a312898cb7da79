/**
 * chat-client against a TLS server and with registered aliases (issue 5):
 * certificate verification by default, --ca for a private CA, --insecure
 * with its warning; a password from CHAT_PASSWORD or typed without echo.
 * Certificates are made at test time by openssl in a temporary directory.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addAccount } from '../helpers/accounts.js';
import { tempDir, type Cleanup } from '../helpers/env.js';
import { startServerProcess } from '../helpers/process.js';
import { makeTlsFiles, type TlsFiles } from '../helpers/tls.js';
import { startClient, startTtyClient, textUser } from './processes.js';

const STAMP = String.raw`\[\d\d:\d\d\]`;
const line = (body: string): RegExp => new RegExp(`^${STAMP} ${body}$`, 'u');

/** A TLS server with a certificate from a fresh private CA, for `names` (default: this host). */
async function tlsServer(
  t: Cleanup,
  names?: string,
): Promise<{ port: number; files: TlsFiles; ca: Buffer }> {
  const files = await makeTlsFiles(tempDir(t), names);
  const { port } = await startServerProcess(t, ['--tls-cert', files.cert, '--tls-key', files.key]);
  return { port, files, ca: await readFile(files.ca) };
}

describe('chat-client over TLS', () => {
  it('--tls --ca: verifies the server against the private CA and chats', async (t) => {
    const { port, files, ca } = await tlsServer(t);
    const bob = await textUser(t, port, 'Bob', ca);
    const client = startClient(t, [
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--name',
      'Alice',
      '--tls',
      '--ca',
      files.ca,
    ]);
    client.proc.stdin?.end('hello over TLS\n');
    assert.equal(await client.exitCode(), 0, client.seen());
    assert.equal(client.stderr, '');
    await bob.reader.find((l) => line('<Alice> hello over TLS').test(l), "Alice's message");
  });

  it('--tls without --ca: refuses the unknown certificate in one line, exit code 3', async (t) => {
    const { port } = await tlsServer(t);
    const client = startClient(t, ['--port', String(port), '--name', 'Alice', '--tls']);
    client.proc.stdin?.end('never sent\n');
    assert.equal(await client.exitCode(), 3, client.seen());
    assert.match(
      client.stderr,
      /^chat-client: certificate verify failed: [^\n]+; use --ca FILE or --insecure\n$/u,
    );
  });

  it('--tls --ca: refuses a certificate made out to another host name, exit code 3', async (t) => {
    const { port, files } = await tlsServer(t, 'DNS:chat.example');
    const client = startClient(t, ['--port', String(port), '--name', 'Alice', '--ca', files.ca]);
    client.proc.stdin?.end('never sent\n');
    assert.equal(await client.exitCode(), 3, client.seen());
    assert.match(
      client.stderr,
      /^chat-client: certificate verify failed: [^\n]*127\.0\.0\.1[^\n]*; connect by the name in the certificate or --insecure\n$/u,
    );
  });

  it('--insecure: connects without verifying, after a warning', async (t) => {
    const { port, ca } = await tlsServer(t);
    const bob = await textUser(t, port, 'Bob', ca);
    const client = startClient(t, ['--port', String(port), '--name', 'Alice', '--insecure']);
    client.proc.stdin?.end('hello, unverified\n');
    assert.equal(await client.exitCode(), 0, client.seen());
    assert.match(client.stderr, /^chat-client: warning: --insecure: [^\n]+\n$/u);
    await bob.reader.find((l) => line('<Alice> hello, unverified').test(l), "Alice's message");
  });

  it('without --tls to a TLS server: the server says it speaks TLS only, exit code 3', async (t) => {
    const { port } = await tlsServer(t);
    const client = startClient(t, ['--port', String(port), '--name', 'Alice']);
    client.proc.stdin?.end('never sent\n');
    // A failed TLS handshake (README exit codes), not a lost connection.
    assert.equal(await client.exitCode(), 3, client.seen());
    assert.match(
      client.stderr,
      /^chat-client: This port speaks TLS only: connect with chat-client --tls/u,
    );
  });

  it('a port that takes the connection and closes it unheard (a proxy whose server is down): says so, exit code 3', async (t) => {
    const silent = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => silent.close());
    const port = (silent.address() as net.AddressInfo).port;
    const client = startClient(t, ['--port', String(port), '--name', 'Alice']);
    client.proc.stdin?.end('never sent\n');
    assert.equal(await client.exitCode(), 3, client.seen());
    assert.match(
      client.stderr,
      /^chat-client: 127\.0\.0\.1:\d+ took the connection and closed it without a word \(a TLS port does that: add --tls; so does a proxy in front of a server that is down\)\n$/u,
    );
  });

  it('--tls to a plain server: says the TLS handshake failed, exit code 3', async (t) => {
    const { port } = await startServerProcess(t);
    const client = startClient(t, ['--port', String(port), '--name', 'Alice', '--tls']);
    client.proc.stdin?.end('never sent\n');
    assert.equal(await client.exitCode(), 3, client.seen());
    assert.match(client.stderr, /^chat-client: TLS handshake with [^\n]+ failed[^\n]*\n$/u);
  });
});

describe('chat-client with a registered alias', () => {
  /** A server on a database where Alice is registered with password123. */
  async function accountServer(t: Cleanup): Promise<number> {
    const db = path.join(tempDir(t), 'chat.db');
    await addAccount(db, 'Alice', 'password123');
    return (await startServerProcess(t, ['--db', db])).port;
  }

  it('CHAT_PASSWORD: logs in when the server asks, and chats', async (t) => {
    const port = await accountServer(t);
    const bob = await textUser(t, port, 'Bob');
    const client = startClient(t, ['--port', String(port), '--name', 'Alice'], {
      CHAT_PASSWORD: 'password123',
    });
    client.proc.stdin?.end('signed in\n');
    assert.equal(await client.exitCode(), 0, client.seen());
    assert.equal(client.stderr, '');
    await bob.reader.find((l) => line('<Alice> signed in').test(l), "Alice's message");
  });

  it('CHAT_PASSWORD for an alias that is not an account here: said, then chats as a guest', async (t) => {
    const port = await accountServer(t);
    const bob = await textUser(t, port, 'Bob');
    // A typo in --name (or another server's database) must not pass for a sign-in.
    const client = startClient(t, ['--port', String(port), '--name', 'Alicee'], {
      CHAT_PASSWORD: 'password123',
    });
    client.proc.stdin?.end('signed in?\n');
    assert.equal(await client.exitCode(), 0, client.seen());
    assert.match(
      client.stderr,
      /^chat-client: Alicee is not a registered account on this server: you are signed in as a guest and the password was not used \(check --name and --host; \/register makes this alias yours\)\n$/u,
    );
    await bob.reader.find((l) => line('<Alicee> signed in\\?').test(l), "Alicee's message");
  });

  it('piped without CHAT_PASSWORD: exit code 4 and how to give the password', async (t) => {
    const port = await accountServer(t);
    const client = startClient(t, ['--port', String(port), '--name', 'Alice']);
    client.proc.stdin?.end('never sent\n');
    assert.equal(await client.exitCode(), 4, client.seen());
    assert.match(
      client.stderr,
      /^chat-client: the server refused Alice: [^\n]*; set CHAT_PASSWORD, or run chat-client in a terminal to be asked for it \[auth_required\]\n$/u,
    );
  });

  it('--require-account, an alias with no account, piped: auth_required (account_required), no word of CHAT_PASSWORD', async (t) => {
    const { port } = await startServerProcess(t, ['--require-account']);
    const client = startClient(t, ['--port', String(port), '--name', 'Stranger']);
    client.proc.stdin?.end('never sent\n');
    assert.equal(await client.exitCode(), 4, client.seen());
    // A password cannot help an alias that is not an account (issue 9.10).
    assert.match(
      client.stderr,
      /^chat-client: the server refused Stranger: This server admits registered accounts only, and Stranger is not one; ask an operator to create it[^\n]*\n$/u,
    );
    assert.doesNotMatch(client.stderr, /CHAT_PASSWORD|password/u);
  });

  it('a wrong CHAT_PASSWORD: exit code 4 with auth_failed, and no retry', async (t) => {
    const port = await accountServer(t);
    const client = startClient(t, ['--port', String(port), '--name', 'Alice'], {
      CHAT_PASSWORD: 'guess',
    });
    client.proc.stdin?.end('never sent\n');
    assert.equal(await client.exitCode(), 4, client.seen());
    assert.match(
      client.stderr,
      /^chat-client: the server refused Alice: [^\n]*\[auth_failed\]\n$/u,
    );
    assert.doesNotMatch(client.stdout + client.stderr, /guess/u);
  });

  it('in a terminal: asks without echo, again after a wrong one', async (t) => {
    const port = await accountServer(t);
    const bob = await textUser(t, port, 'Bob');
    const alice = startTtyClient(t, ['--port', String(port), '--name', 'Alice']);
    await alice.output(/Password for Alice: $/u, 'the password prompt');
    alice.proc.stdin?.write('not-it\r');
    await alice.output(/Wrong password\. Password for Alice: $/u, 'the prompt again');
    alice.proc.stdin?.write('password123\r');
    await alice.output(/#lobby> $/u, 'the chat prompt');
    alice.proc.stdin?.write('typed in\r');
    await bob.reader.find((l) => line('<Alice> typed in').test(l), "Alice's message");
    assert.doesNotMatch(alice.stdout, /password123|not-it/u, 'the password was not echoed');
    alice.proc.stdin?.write('exit\r');
    assert.equal(await alice.exitCode(), 0, alice.seen());
  });
});
