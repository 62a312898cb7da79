/**
 * How a file transfer ends when it does not succeed (docs/protocol.md §5),
 * over real sockets with the real client code on the receiving side: a
 * corrupt file and a declined offer leave nothing behind, a kick mid-transfer
 * aborts the other side, and so does the server shutting down. Each leaves
 * the receiver's download directory empty.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { createAccount, jsonLogin } from '../helpers/security.js';
import { startServer } from '../helpers/server.js';
import { randomFile, TransferPeer } from '../helpers/transfer-peer.js';

const MiB = 1024 * 1024;

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Resolves once `peer` has received some of its transfer. */
function firstBytes(peer: TransferPeer): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if ((peer.ui.transfers.list()[0]?.done ?? 0) === 0) return;
      peer.ui.transfers.off('progress', check);
      resolve();
    };
    peer.ui.transfers.on('progress', check);
  });
}

describe('file transfer endings', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('a corrupt file fails its check and a declined one is never written', async () => {
    const server = await startServer();
    cleanup.push(() => server.close());
    // The download directory does not exist yet: accepting creates it.
    const rcv = await TransferPeer.connect(server.port, 'rcv', true);
    const eve = await LineClient.json(server.port, 'eve');
    cleanup.push(
      () => rcv.close(),
      () => eve.close(),
    );
    const good = Buffer.alloc(5000, 1);
    const bad = Buffer.alloc(5000, 2);

    // Declined: the sender hears it, nothing is created, the id is gone.
    eve.sendJson({
      type: 'file-offer',
      id: 'r1',
      to: 'rcv',
      name: 'r.bin',
      size: 10,
      sha256: sha(good),
    });
    await rcv.waitNotice(/eve offers "r.bin"/u);
    await rcv.type('/reject');
    await eve.waitForJson((o) => o.type === 'file-reject' && o.id === 'r1');
    assert.equal(existsSync(rcv.dir), false, 'nothing created for a declined offer');
    eve.sendJson({ type: 'file-chunk', id: 'r1', seq: 0, data: 'AAAA' });
    const gone = await eve.waitForJson((o) => o.type === 'error' && o.id === 'r1');
    assert.equal(gone.code, 'not_found');

    // Corrupt: the right size with the wrong bytes.
    const mark = rcv.notices.length;
    const offer = { id: 'c1', to: 'rcv', name: 'c.bin', size: good.length, sha256: sha(good) };
    eve.sendJson({ type: 'file-offer', ...offer });
    await rcv.waitNotice(/eve offers "c.bin"/u, 10_000, mark);
    await rcv.type('/accept');
    await eve.waitForJson((o) => o.type === 'file-accept' && o.id === 'c1');
    assert.ok(existsSync(rcv.dir), 'the missing download directory was created');
    eve.sendJson({ type: 'file-chunk', id: 'c1', seq: 0, data: bad.toString('base64') });
    eve.sendJson({ type: 'file-end', id: 'c1' });
    const done = await eve.waitForJson((o) => o.type === 'file-done' && o.id === 'c1');
    assert.equal(done.ok, false);
    assert.match(String(done.reason), /SHA-256 does not match/u);
    await rcv.waitNotice(/c\.bin.* failed: SHA-256 does not match/u, 10_000, mark);
    assert.deepEqual(rcv.files(), [], 'no file, not even the temporary one');
    assert.deepEqual(
      rcv.ui.transfers.list().map((v) => v.state),
      ['declined', 'failed'],
      '/transfers lists the declined one and the failed one',
    );
  });

  it('a kick mid-transfer aborts the sender, and the kicked receiver keeps no partial file', async (t) => {
    const server = await startServer({ maxFileBytes: 8 * MiB });
    cleanup.push(() => server.close());
    await createAccount(server, 'Op', 'operator password', true);
    const op = await jsonLogin(t, server.port, 'Op', 'operator password');
    const snd = await TransferPeer.connect(server.port, 'snd');
    const rcv = await TransferPeer.connect(server.port, 'kicked');
    cleanup.push(
      () => snd.close(),
      () => rcv.close(),
    );
    const f = randomFile('k.bin', 8 * MiB);
    cleanup.push(() => rmSync(f.dir, { recursive: true }));
    await snd.type(`/send kicked ${f.file}`);
    await rcv.waitNotice(/snd offers/u);
    await rcv.type('/accept');
    await firstBytes(rcv);
    const closed = new Promise((resolve) => rcv.conn.once('closed', resolve));
    op.sendJson({ type: 'kick', id: 'k', name: 'kicked', reason: 'enough' });
    await snd.waitNotice(/k\.bin.* failed: .*kicked was kicked$/mu);
    assert.deepEqual(
      snd.ui.transfers.list().map((v) => v.state),
      ['failed'],
      'the sender lists it as failed, with nothing under way',
    );
    assert.equal(snd.ui.transfers.active().length, 0);
    // A kicked chat-client is done (it exits); closing drops its partial download.
    await closed;
    assert.deepEqual(rcv.files(), [], 'no partial file left behind');
  });

  it('the server shutting down aborts both sides, and no partial file is left', async () => {
    const server = await startServer({ maxFileBytes: 8 * MiB });
    const snd = await TransferPeer.connect(server.port, 'ssnd');
    const rcv = await TransferPeer.connect(server.port, 'srcv');
    cleanup.push(
      () => snd.close(),
      () => rcv.close(),
    );
    const f = randomFile('s.bin', 8 * MiB);
    cleanup.push(() => rmSync(f.dir, { recursive: true }));
    await snd.type(`/send srcv ${f.file}`);
    await rcv.waitNotice(/ssnd offers/u);
    await rcv.type('/accept');
    await firstBytes(rcv);
    const closing = server.close();
    await snd.waitNotice(/s\.bin.* failed: .*server is shutting down$/mu);
    await rcv.waitNotice(/s\.bin.* failed: .*server is shutting down$/mu);
    await closing;
    assert.deepEqual(rcv.files(), [], 'no partial file left behind');
  });
});
