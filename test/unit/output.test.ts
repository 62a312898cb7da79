/**
 * A turn's output to one socket (output.ts): whatever mix of Buffers and
 * pieces was queued arrives once, whole and in order; small output is one
 * copied Buffer, large output goes out as its pieces in one writev.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { Outbox } from '../../src/server/output.js';

/** A connected pair on loopback: the server side's socket, and what the client side reads. */
async function pair(t: TestContext): Promise<{ socket: net.Socket; received: () => Buffer }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  const [socket] = (await once(server, 'connection')) as [net.Socket];
  const got: Buffer[] = [];
  client.on('data', (d: Buffer) => got.push(d));
  t.after(() => {
    client.destroy();
    socket.destroy();
    server.close();
  });
  return { socket, received: () => Buffer.concat(got) };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setImmediate(resolve));
}

for (const size of [10, 100_000]) {
  test(`a turn's Buffers and pieces arrive whole and in order (${size}-byte pieces)`, async (t) => {
    const { socket, received } = await pair(t);
    // The stream's writev hook (net.Socket's own, not in its typings).
    const writev = t.mock.method(socket as unknown as { _writev: () => void }, '_writev');
    const box = new Outbox(socket);
    const shared = Buffer.alloc(size * 3, 'abc');
    const expected: Buffer[] = [];
    const push = (b: Buffer | Buffer[]): void => {
      const pieces = [b].flat();
      // What it queued, for chat_bytes_out_total.
      assert.equal(box.push(b), Buffer.concat(pieces).length);
      expected.push(...pieces);
    };
    push(Buffer.from('first\n'));
    push([shared.subarray(0, size), Buffer.from('[ack]'), shared.subarray(size * 2)]);
    push(Buffer.from('last\n'));
    const want = Buffer.concat(expected);
    await until(() => received().length >= want.length);
    assert.deepEqual(received(), want);
    // Small: copied into one Buffer, one plain write. Large: the pieces in one writev.
    assert.equal(writev.mock.callCount(), size < 1000 ? 0 : 1);
  });
}

test('nothing queued, nothing written; a destroyed socket is not written to', async (t) => {
  const { socket } = await pair(t);
  const write = t.mock.method(socket, 'write');
  const box = new Outbox(socket);
  box.flush();
  assert.equal(write.mock.callCount(), 0);
  box.push([Buffer.from('x')]);
  socket.destroy();
  box.flush();
  assert.equal(write.mock.callCount(), 0);
});
