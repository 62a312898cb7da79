/**
 * File transfer typed into chat-client in a real terminal (tmux), against a
 * server process (docs/protocol.md §5, README "Sending files"): Tab completes
 * the path after `/send NICK`, the offer shows name, size and sender, the
 * progress bar sits in the prompt without breaking a half-typed line, and
 * collapses into one summary line; the file lands intact in a download
 * directory that did not exist. The other side is the same client code
 * in-process (sending) or a raw JSON sender that paces its chunks, so the
 * screen can be read while the transfer is half done.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/env.js';
import { LineClient } from '../helpers/line-client.js';
import { startServerProcess } from '../helpers/process.js';
import { sha256Of, TransferPeer } from '../helpers/transfer-peer.js';
import { TmuxClient } from './tmux.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('chat-client file transfer in a terminal', () => {
  it('sends with Tab completion, and receives with a bar that never breaks the typed line', async (t) => {
    const dir = tempDir(t);
    const { port } = await startServerProcess(t);
    const downloads = path.join(dir, 'Downloads', 'chat');
    const ann = await TmuxClient.start(t, dir, [
      '--port',
      String(port),
      '--name',
      'Ann',
      '--download-dir',
      downloads,
    ]);
    await ann.until(/^#lobby>$/mu, 'the prompt');
    // To herself: refused at once, in any case, with no transfer id handed out first.
    await ann.type(`/send ann ${dir}`);
    await ann.press('Enter');
    const self = await ann.until(/! You cannot send a file to yourself\n#lobby>$/u, 'the refusal');
    assert.doesNotMatch(self, /Transfer \S+ .*failed/u);

    // Ann → Bob: the path completed by Tab, the file checked on arrival.
    const bob = await TransferPeer.connect(port, 'Bob');
    t.after(() => bob.close());
    const outgoing = randomBytes(300_000);
    writeFileSync(path.join(dir, 'ann-report.bin'), outgoing);
    await ann.type(`/send Bob ${dir}/ann-rep`);
    await ann.press('Tab');
    await ann.until(/#lobby> \/send Bob \S+\/ann-report\.bin$/u, 'the path completed');
    await ann.press('Enter');
    await bob.waitNotice(/Ann offers "ann-report\.bin", 293 KiB/u);
    await bob.type('/accept');
    await bob.waitNotice(/Received "ann-report\.bin" from Ann: .*SHA-256 verified/u);
    assert.equal(sha256Of(path.join(bob.dir, 'ann-report.bin')), sha(outgoing));
    await ann.until(/\* Sent ann-report\.bin to Bob: .*SHA-256 verified by Bob\n#lobby>$/u, 'sent');

    // Eve → Ann, paced by hand: half the chunks, look, then the rest.
    const eve = await LineClient.json(port, 'Eve');
    t.after(() => eve.close());
    const chunk = 8192;
    const incoming = randomBytes(8 * chunk);
    eve.sendJson({
      type: 'file-offer',
      id: 'e1',
      to: 'Ann',
      name: 'pics.tar',
      size: incoming.length,
      sha256: sha(incoming),
    });
    await ann.until(
      /\* Eve offers "pics\.tar", 64\.0 KiB \[e1\]: \/accept e1 or \/reject e1/u,
      'offer',
    );
    await ann.type('/accept');
    await ann.press('Enter');
    await eve.waitForJson((o) => o.type === 'file-accept' && o.id === 'e1');
    await ann.type('half a line');
    const send = async (from: number, to: number): Promise<void> => {
      for (let seq = from; seq < to; seq++) {
        const data = incoming.subarray(seq * chunk, (seq + 1) * chunk).toString('base64');
        eve.sendJson({ type: 'file-chunk', id: 'e1', seq, data });
      }
      await eve.waitForJson((o) => o.type === 'file-ack' && o.seq === to - 1);
    };
    await send(0, 4);
    const half = await ann.until(
      /\[↓pics\.tar █████░░░░░ 50% .*\/s ETA \S+\] #lobby> half a line$/u,
      'the bar at 50% before the half-typed line',
    );
    assert.equal(half.match(/#lobby>/gu)?.length, 1, `one prompt on screen:\n${half}`);
    await ann.type(', finished');
    await send(4, 8);
    eve.sendJson({ type: 'file-end', id: 'e1' });
    const done = await eve.waitForJson((o) => o.type === 'file-done' && o.id === 'e1');
    assert.equal(done.ok, true);
    const screen = await ann.until(
      /\* Received "pics\.tar" from Eve: 64\.0 KiB in .*, SHA-256 verified, saved as .*pics\.tar\n#lobby> half a line, finished$/u,
      'one summary line, the bar gone, the line intact',
    );
    assert.doesNotMatch(screen, /█|░/u, 'no bar left on screen');
    assert.deepEqual(readdirSync(downloads), ['pics.tar']);
    assert.equal(sha(readFileSync(path.join(downloads, 'pics.tar'))), sha(incoming));
    // Saved with the mode of any new file (the .part file was 0600 while unchecked).
    const umask = process.umask();
    assert.equal(statSync(path.join(downloads, 'pics.tar')).mode & 0o777, 0o666 & ~umask);

    // The half-typed line was never garbled: Enter sends it whole.
    await ann.press('Enter');
    await eve.waitForJson((o) => o.type === 'message' && o.text === 'half a line, finished');

    // The sender leaves halfway: one line says why, without naming the transfer twice.
    eve.sendJson({
      type: 'file-offer',
      id: 'e2',
      to: 'Ann',
      name: 'more.tar',
      size: incoming.length,
      sha256: sha(incoming),
    });
    await ann.until(/Eve offers "more\.tar"/u, 'the second offer');
    await ann.type('/accept e2');
    await ann.press('Enter');
    await eve.waitForJson((o) => o.type === 'file-accept' && o.id === 'e2');
    // Leaving now would end it: said first, and the first exit stays.
    await ann.type('exit');
    await ann.press('Enter');
    await ann.until(
      /A file is still on the way \(e2 "more\.tar" from Eve, 0%\): leaving ends it\. Type exit again to leave anyway\.\n#lobby>$/u,
      'the warning',
    );
    eve.close();
    const failed = await ann.until(/Transfer e2 .* failed: .*\n/u, 'the abort');
    assert.match(failed, /Transfer e2 \("more\.tar"\) from Eve failed: Eve.s connection dropped/u);
    assert.doesNotMatch(failed, /failed: Transfer/u);
  });
});
