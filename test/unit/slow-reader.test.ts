/**
 * §6 slow readers: output the kernel refused past --max-queued-bytes is
 * judged at the next write and, when nothing more is written (a quiet room
 * after ten big /history replies in one read), a grace period later (found
 * by a conformance audit: megabytes held for as long as the room was quiet).
 * A fake socket stands for the kernel: its writableLength is what it refused.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { systemClock } from '../../src/core/clock.js';
import type { ServerConfig } from '../../src/server/config.js';
import { Connection, SLOW_READER_GRACE_MS } from '../../src/server/connection.js';
import { Tally } from '../../src/server/tally.js';
import { mockTime, tick } from '../helpers/clock.js';

const MAX = 200_000;

/** Takes every write and refuses it all, as a socket whose reader stopped. */
class StuckSocket extends EventEmitter {
  remoteAddress = '127.0.0.1';
  remotePort = 40000;
  localPort = 50000;
  writableLength = 0;
  destroyed = false;
  setNoDelay(): void {}
  cork(): void {}
  uncork(): void {}
  end(): void {}
  write(bytes: Buffer): boolean {
    this.writableLength += bytes.length;
    return false;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

class Probe extends Connection {
  onData(): void {}
  onEnd(): void {}
  onClose(): void {}
  send(bytes: Buffer): void {
    this.write(bytes);
  }
}

function probe(t: TestContext): { socket: StuckSocket; conn: Probe; tally: Tally } {
  mockTime(t);
  const socket = new StuckSocket();
  const tally = new Tally();
  const config = { maxQueuedBytes: MAX } as ServerConfig;
  const log = pino({ level: 'silent' });
  const conn = new Probe('1', socket as unknown as Socket, { config, log, tally }, systemClock);
  return { socket, conn, tally };
}

/** The turn ends: the outbox hands its batch to the socket. */
const turnEnds = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

test('one reply past the limit, then silence: the reader goes a grace period later', async (t) => {
  const { socket, conn, tally } = probe(t);
  conn.send(Buffer.alloc(MAX + 100_000));
  await turnEnds();
  assert.equal(socket.writableLength, MAX + 100_000);
  tick(t, SLOW_READER_GRACE_MS - 1);
  assert.equal(socket.destroyed, false, 'not judged by one turn at once');
  tick(t, 1);
  assert.equal(socket.destroyed, true);
  assert.equal(tally.slowReaderDisconnects, 1);
});

test('a reader that drains it within the grace stays', async (t) => {
  const { socket, conn, tally } = probe(t);
  conn.send(Buffer.alloc(MAX + 100_000));
  await turnEnds();
  socket.writableLength = 1000;
  tick(t, SLOW_READER_GRACE_MS);
  assert.equal(socket.destroyed, false);
  assert.equal(tally.slowReaderDisconnects, 0);
  // Under the limit, nothing is armed: a small write later arms nothing either.
  conn.send(Buffer.alloc(10));
  await turnEnds();
  tick(t, SLOW_READER_GRACE_MS);
  assert.equal(socket.destroyed, false);
});

test('the next write still judges at once', async (t) => {
  const { socket, conn, tally } = probe(t);
  conn.send(Buffer.alloc(MAX + 1));
  await turnEnds();
  conn.send(Buffer.alloc(1));
  assert.equal(socket.destroyed, true);
  assert.equal(tally.slowReaderDisconnects, 1);
  tick(t, SLOW_READER_GRACE_MS);
  assert.equal(tally.slowReaderDisconnects, 1, 'judged once');
});
