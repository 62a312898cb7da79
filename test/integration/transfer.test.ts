/**
 * File transfer end to end (docs/protocol.md §5) over real sockets: the real
 * client code (Connection + TransferUi) on both sides, raw JSON clients for
 * the hostile inputs, and a proxy that cuts a connection mid-transfer.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { CuttableProxy, randomFile, sha256Of, TransferPeer } from '../helpers/transfer-peer.js';

const MiB = 1024 * 1024;

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A raw JSON client that offers a file and waits for the recipient's answer. */
async function rawOffer(
  c: LineClient,
  fields: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  c.sendJson({ type: 'file-offer', ...fields });
  return c.waitForJson((o) => o.id === fields.id && (o.type === 'ack' || o.type === 'error'));
}

describe('file transfer', () => {
  let server: TestServer;
  const cleanup: Array<() => unknown> = [];

  before(async () => {
    server = await startServer({ maxFileBytes: 8 * MiB, fileIdleTimeout: 30 });
  });
  after(async () => {
    for (const f of cleanup.reverse()) await f();
    await server.close();
  });

  it('carries a 5 MiB random file each way at once, intact, and never overwrites', async () => {
    const alice = await TransferPeer.connect(server.port, 'alice');
    const bob = await TransferPeer.connect(server.port, 'bob');
    cleanup.push(
      () => alice.close(),
      () => bob.close(),
    );
    const a = randomFile('from-alice.bin', 5 * MiB);
    const b = randomFile('from-bob.bin', 5 * MiB);
    cleanup.push(
      () => rmSync(a.dir, { recursive: true }),
      () => rmSync(b.dir, { recursive: true }),
    );

    await alice.type(`/send bob ${a.file}`);
    await bob.type(`/send alice ${b.file}`);
    await bob.waitNotice(/alice offers "from-alice.bin", 5\.0 MiB/u);
    await alice.waitNotice(/bob offers "from-bob.bin", 5\.0 MiB/u);
    await bob.type('/accept');
    await alice.type(`/accept ${alice.lastOfferId()}`);

    await bob.waitNotice(/Received "from-alice.bin" from alice: .*SHA-256 verified/u);
    await alice.waitNotice(/Received "from-bob.bin" from bob: .*SHA-256 verified/u);
    await alice.waitNotice(/Sent from-alice.bin to bob: 5\.0 MiB in .* verified by bob/u);
    await bob.waitNotice(/Sent from-bob.bin to alice/u);
    assert.equal(sha256Of(path.join(bob.dir, 'from-alice.bin')), a.sha256);
    assert.equal(sha256Of(path.join(alice.dir, 'from-bob.bin')), b.sha256);
    assert.deepEqual(bob.files(), ['from-alice.bin'], 'no temporary file left');
    for (const peer of [alice, bob]) {
      assert.ok(
        peer.statuses.some((s) => s !== undefined && /█.* \d+% .*\/s ETA /u.test(s)),
        'a progress bar with rate and ETA was drawn on each side',
      );
      assert.equal(peer.statuses.at(-1), undefined, 'the bar is gone when done');
    }

    // The same name again is saved beside it, never over it.
    const mark = bob.notices.length;
    await alice.type(`/send bob ${a.file}`);
    await bob.waitNotice(/alice offers/u, 10_000, mark);
    await bob.type('/accept');
    await bob.waitNotice(/saved as .*from-alice \(1\)\.bin/u, 10_000, mark);
    assert.deepEqual(bob.files(), ['from-alice (1).bin', 'from-alice.bin']);
    assert.equal(sha256Of(path.join(bob.dir, 'from-alice (1).bin')), a.sha256);
  });

  it('saves hostile names under safe ones inside the download directory', async () => {
    const bob = await TransferPeer.connect(server.port, 'carol');
    cleanup.push(() => bob.close());
    const eve = await LineClient.json(server.port, 'eve');
    cleanup.push(() => eve.close());
    const hostile: Array<[string, string]> = [
      ['../../etc/passwd', 'passwd'],
      ['C:\\x\\y', 'y'],
      ['.bashrc', 'bashrc'],
      ['bad\u0007na\u0000me\u0085.txt', 'badname.txt'],
      ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
      ['/', 'file'],
      [`${'a'.repeat(1000)}.txt`, `${'a'.repeat(196)}.txt`],
    ];
    const data = Buffer.from('hello, file\n');
    for (const [i, [name, expected]] of hostile.entries()) {
      const id = `h${i}`;
      const mark = bob.notices.length;
      const ack = await rawOffer(eve, {
        id,
        to: 'carol',
        name,
        size: data.length,
        sha256: sha(data),
      });
      assert.equal(ack.type, 'ack', JSON.stringify(ack));
      await bob.waitNotice(/eve offers/u, 5000, mark);
      await bob.type(`/accept ${id}`);
      await eve.waitForJson((o) => o.type === 'file-accept' && o.id === id);
      eve.sendJson({ type: 'file-chunk', id, seq: 0, data: data.toString('base64') });
      eve.sendJson({ type: 'file-end', id });
      const done = await eve.waitForJson((o) => o.type === 'file-done' && o.id === id);
      assert.equal(done.ok, true);
      const saved = await bob.waitNotice(/^Received .*saved as/u, 5000, mark);
      const where = /saved as (.*)$/u.exec(saved.text)![1]!;
      assert.equal(
        path.dirname(where),
        bob.dir,
        `${JSON.stringify(name)} stays in the download dir`,
      );
      assert.equal(path.basename(where), expected);
      assert.equal(sha256Of(where), sha(data));
    }
    assert.ok(!existsSync('/etc/passwd.part'));
  });

  it('refuses bad chunks and offers with clear errors and no harm to another transfer', async () => {
    const mallory = await LineClient.json(server.port, 'mallory');
    const victim = await LineClient.json(server.port, 'victim');
    const texter = await LineClient.text(server.port, 'texter');
    cleanup.push(
      () => mallory.close(),
      () => victim.close(),
      () => texter.close(),
    );
    const data = Buffer.alloc(3000, 7);
    const offer = { to: 'victim', name: 'x.bin', size: data.length, sha256: sha(data) };
    const err = async (req: Record<string, unknown>): Promise<string> => {
      mallory.sendJson(req);
      const e = await mallory.waitForJson((o) => o.type === 'error' && o.id === req.id);
      return String(e.code);
    };

    // Offers the server must refuse.
    assert.equal(await err({ type: 'file-offer', id: 'o1', ...offer, to: 'nobody' }), 'not_found');
    assert.equal(await err({ type: 'file-offer', id: 'o2', ...offer, to: 'texter' }), 'forbidden');
    // The text-mode user is told what it missed and what it takes.
    await texter.waitFor(
      (l) =>
        l ===
        '* mallory tried to send you a file, x.bin (2.9 KiB): receiving files takes chat-client (or another JSON client)',
    );
    assert.equal(await err({ type: 'file-offer', id: 'o3', ...offer, size: 9 * MiB }), 'too_large');
    assert.equal(
      await err({ type: 'file-offer', id: 'o4', ...offer, to: 'mallory' }),
      'bad_request',
    );
    assert.equal(
      await err({ type: 'file-offer', id: 'o5', ...offer, sha256: 'nope' }),
      'bad_request',
    );

    // A good transfer runs beside the bad one and must come through untouched.
    assert.equal((await rawOffer(mallory, { id: 'good', ...offer })).type, 'ack');
    assert.equal((await rawOffer(mallory, { id: 'bad', ...offer })).type, 'ack');
    assert.equal(await err({ type: 'file-chunk', id: 'bad', seq: 0, data: 'AAAA' }), 'bad_request'); // not accepted
    assert.equal(await err({ type: 'file-chunk', id: 'ghost', seq: 0, data: 'AAAA' }), 'not_found');
    victim.sendJson({ type: 'file-accept', id: 'good' });
    victim.sendJson({ type: 'file-accept', id: 'bad' });
    await mallory.waitForJson((o) => o.type === 'file-accept' && o.id === 'bad');
    const b64 = data.subarray(0, 1500).toString('base64');
    mallory.sendJson({ type: 'file-chunk', id: 'good', seq: 0, data: b64 });
    assert.equal(await err({ type: 'file-chunk', id: 'bad', seq: 1, data: b64 }), 'bad_request'); // out of order
    assert.equal(
      await err({ type: 'file-chunk', id: 'bad', seq: 0, data: '!!not base64!!' }),
      'bad_request',
    );
    assert.equal(await err({ type: 'file-chunk', id: 'bad', seq: 0, data: 'AAA' }), 'bad_request');
    const big = Buffer.alloc(4000).toString('base64');
    assert.equal(await err({ type: 'file-chunk', id: 'bad', seq: 0, data: big }), 'too_large'); // past size
    mallory.sendJson({ type: 'file-chunk', id: 'bad', seq: 0, data: b64 });
    assert.equal(await err({ type: 'file-chunk', id: 'bad', seq: 0, data: b64 }), 'bad_request'); // duplicate
    assert.equal(await err({ type: 'file-end', id: 'bad' }), 'bad_request'); // short
    assert.equal(await err({ type: 'file-done', id: 'bad', ok: true }), 'not_found'); // not the receiver
    // The victim (receiver) saw exactly the good chunks, in order.
    mallory.sendJson({
      type: 'file-chunk',
      id: 'good',
      seq: 1,
      data: data.subarray(1500).toString('base64'),
    });
    mallory.sendJson({ type: 'file-end', id: 'good' });
    await victim.waitForJson((o) => o.type === 'file-end' && o.id === 'good');
    const chunks = victim.lines
      .filter((l) => l.includes('"file-chunk"'))
      .map((l) => JSON.parse(l) as { id: string; seq: number; data: string });
    const good = Buffer.concat(
      chunks.filter((c) => c.id === 'good').map((c) => Buffer.from(c.data, 'base64')),
    );
    assert.equal(sha(good), sha(data));
    assert.deepEqual(
      chunks.filter((c) => c.id === 'bad').map((c) => c.seq),
      [0],
    );
    // A receiver acking what it never got is refused too.
    victim.sendJson({ type: 'file-ack', id: 'bad', seq: 5 });
    const e = await victim.waitForJson((o) => o.type === 'error' && o.id === 'bad');
    assert.equal(e.code, 'bad_request');
    victim.sendJson({ type: 'file-done', id: 'good', ok: true });
    const done = await mallory.waitForJson((o) => o.type === 'file-done' && o.id === 'good');
    assert.equal(done.ok, true);
    // The window: at most 8 chunks unacknowledged.
    const w = Buffer.alloc(30, 1);
    assert.equal(
      (await rawOffer(mallory, { id: 'win', ...offer, size: 30, sha256: sha(w) })).type,
      'ack',
    );
    victim.sendJson({ type: 'file-accept', id: 'win' });
    await mallory.waitForJson((o) => o.type === 'file-accept' && o.id === 'win');
    for (let seq = 0; seq < 8; seq++) {
      mallory.sendJson({
        type: 'file-chunk',
        id: 'win',
        seq,
        data: w.subarray(seq * 3, seq * 3 + 3).toString('base64'),
      });
    }
    assert.equal(
      await err({
        type: 'file-chunk',
        id: 'win',
        seq: 8,
        data: w.subarray(24, 27).toString('base64'),
      }),
      'rate_limited',
    );
    // Text mode has no file commands at all.
    texter.send('/send victim x');
    await texter.waitFor((l) => l.startsWith('! ') && l.includes('[bad_request]'));
  });

  it('aborts the sender when the receiver leaves, and the receiver when the sender leaves', async () => {
    const s = await TransferPeer.connect(server.port, 'sam');
    const r = await TransferPeer.connect(server.port, 'rita');
    cleanup.push(() => s.close());
    const f = randomFile('big.bin', 5 * MiB);
    cleanup.push(() => rmSync(f.dir, { recursive: true }));

    // The receiver quits mid-transfer: the sender is told, its bar goes.
    await s.type(`/send rita ${f.file}`);
    await r.waitNotice(/sam offers/u);
    await r.type('/accept');
    await new Promise<void>((resolve) => r.ui.transfers.once('progress', resolve));
    await r.close();
    await s.waitNotice(/failed: .*rita left the chat$/mu);
    assert.equal(s.ui.transfers.active().length, 0);
    assert.equal(s.ui.transfers.list().at(-1)?.state, 'failed');

    // The sender quits mid-transfer: the receiver is told and keeps no partial file.
    const r2 = await TransferPeer.connect(server.port, 'rosa');
    cleanup.push(() => r2.close());
    const s2 = await TransferPeer.connect(server.port, 'sid');
    await s2.type(`/send rosa ${f.file}`);
    await r2.waitNotice(/sid offers/u);
    await r2.type('/accept');
    await new Promise<void>((resolve) => r2.ui.transfers.once('progress', resolve));
    await s2.close();
    await r2.waitNotice(/failed: .*sid left the chat$/mu);
    assert.deepEqual(r2.files(), [], 'no partial file left behind');
  });

  it('clients that did not say resumable: a dropped connection aborts with an error to the other side (§5)', async () => {
    const sender = await LineClient.json(server.port, 'dropper');
    const receiver = await LineClient.json(server.port, 'keeper');
    cleanup.push(
      () => sender.close(),
      () => receiver.close(),
    );
    const data = Buffer.from('half a file');
    const ack = await rawOffer(sender, {
      id: 'gone',
      to: 'keeper',
      name: 'x.txt',
      size: 2 * data.length,
      sha256: sha(Buffer.concat([data, data])),
    });
    assert.equal(ack.type, 'ack');
    receiver.sendJson({ type: 'file-accept', id: 'gone' });
    await sender.waitForJson((o) => o.type === 'file-accept' && o.id === 'gone');
    sender.sendJson({ type: 'file-chunk', id: 'gone', seq: 0, data: data.toString('base64') });
    await receiver.waitForJson((o) => o.type === 'file-chunk' && o.id === 'gone');
    sender.socket.destroy();
    const error = await receiver.waitForJson((o) => o.type === 'error' && o.id === 'gone');
    assert.equal(error.code, 'not_found');
    assert.match(String(error.message), /aborted: dropper's connection dropped/u);
    assert.ok(!receiver.lines.some((l) => l.includes('file-pause')));
  });

  it('a cancel reaches the other side, and chunks still in flight raise no errors', async () => {
    const s = await TransferPeer.connect(server.port, 'cass');
    const r = await TransferPeer.connect(server.port, 'cleo');
    cleanup.push(
      () => s.close(),
      () => r.close(),
    );
    const f = randomFile('cancel.bin', 5 * MiB);
    cleanup.push(() => rmSync(f.dir, { recursive: true }));
    await s.type(`/send cleo ${f.file}`);
    await r.waitNotice(/cass offers/u);
    const id = r.lastOfferId();
    await r.type('/accept');
    await new Promise<void>((resolve) => r.ui.transfers.once('progress', resolve));
    await r.type(`/cancel ${id}`);
    await s.waitNotice(/failed: cleo cancelled it/u);
    assert.deepEqual(r.files(), [], 'the partial download is gone');
    // A round trip later, whatever the server refused meanwhile has arrived.
    const mark = s.notices.length;
    await s.type(`/send cleo ${f.file}`);
    await s.waitNotice(/Offered cancel.bin/u, 10_000, mark);
    assert.ok(
      s.notices.every((n) => !/No transfer/u.test(n.text)),
      'stray refusals are not shown',
    );
  });

  it('resumes after the receiver is cut off mid-transfer, and after the sender is', async () => {
    const proxy = await CuttableProxy.start(server.port);
    cleanup.push(() => proxy.close());
    const f = randomFile('resume.bin', 5 * MiB);
    cleanup.push(() => rmSync(f.dir, { recursive: true }));

    for (const cutSide of ['receiver', 'sender'] as const) {
      const sender = await TransferPeer.connect(
        cutSide === 'sender' ? proxy.port : server.port,
        `snd-${cutSide}`,
      );
      const receiver = await TransferPeer.connect(
        cutSide === 'receiver' ? proxy.port : server.port,
        `rcv-${cutSide}`,
      );
      cleanup.push(
        () => sender.close(),
        () => receiver.close(),
      );
      await sender.type(`/send rcv-${cutSide} ${f.file}`);
      await receiver.waitNotice(/offers/u);
      await receiver.type('/accept');
      // Cut once a first megabyte has arrived: well into the transfer.
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if ((receiver.ui.transfers.list()[0]?.done ?? 0) < MiB) return;
          receiver.ui.transfers.off('progress', check);
          // Until verified the download exists only under its hidden temporary name.
          assert.ok(
            receiver.files().every((n) => /^\..*\.part$/u.test(n)),
            'only a .part file',
          );
          proxy.cut();
          resolve();
        };
        receiver.ui.transfers.on('progress', check);
      });
      await receiver.waitNotice(/Received "resume.bin" .*SHA-256 verified/u, 20_000);
      await sender.waitNotice(/resumed at/u);
      assert.equal(sha256Of(path.join(receiver.dir, 'resume.bin')), f.sha256);
      assert.deepEqual(receiver.files(), ['resume.bin']);
    }
  });

  it('tells a client that comes back too late why the transfer cannot resume', async () => {
    const lone = await LineClient.json(server.port, 'lone');
    cleanup.push(() => lone.close());
    lone.sendJson({ type: 'file-resume', id: 'long-gone' });
    const e = await lone.waitForJson((o) => o.type === 'error' && o.id === 'long-gone');
    assert.equal(e.code, 'not_found');
    assert.match(String(e.message), /cannot be resumed/u);
  });
});
