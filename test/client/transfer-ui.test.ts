/** The client's pure transfer helpers: safe names, command parsing, the progress bar. */
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  completePath,
  defaultDownloadDir,
  publish,
  safeFileName,
} from '../../src/client/transfer-files.js';
import {
  completeSendPath,
  parseTransferCommand,
  progressText,
  StallWatch,
  STALLED_MS,
  transferLines,
} from '../../src/client/transfer-ui.js';
import { STALE_PART_MS, sweepStaleParts } from '../../src/client/transfer-receive.js';
import { SendingSide, whyUnreadable } from '../../src/client/transfer-send.js';
import type { Transfer, TransferHost } from '../../src/client/transfer-state.js';
import { averageRate, showName } from '../../src/client/transfer-view.js';
import { tempDir } from '../helpers/env.js';

describe('safeFileName', () => {
  const cases: Array<[string, string]> = [
    ['notes.pdf', 'notes.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\x\\y', 'y'],
    ['.bashrc', 'bashrc'],
    ['..', 'file'],
    ['dir/', 'dir'],
    ['a\u0000b\u001b[31mc\u0085.txt', 'ab[31mc.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['\u2066x\u2069.sh', 'x.sh'],
    ['con.txt', '_con.txt'],
    ['what?*.txt', 'what__.txt'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(safeFileName(input), expected));
  }
  it('cuts 1,000 characters to 200 bytes, keeping the extension', () => {
    const name = safeFileName(`${'é'.repeat(1000)}.tar.gz`);
    assert.ok(Buffer.byteLength(name) <= 200);
    assert.ok(name.endsWith('.gz'));
  });
});

describe('publish', () => {
  it('never overwrites: name, then name (1), name (2)', (t) => {
    const dir = tempDir(t, 'chat-pub-');
    for (let i = 0; i < 3; i++) {
      const temp = path.join(dir, `.t${i}.part`);
      writeFileSync(temp, String(i));
      publish(temp, dir, 'notes.pdf');
    }
    assert.deepEqual(readdirSync(dir).sort(), ['notes (1).pdf', 'notes (2).pdf', 'notes.pdf']);
  });

  it('completes paths: directories end in a slash', (t) => {
    const dir = tempDir(t, 'chat-comp-');
    writeFileSync(path.join(dir, 'report.pdf'), '');
    writeFileSync(path.join(dir, 'readme.md'), '');
    rmSync(path.join(dir, 'sub'), { force: true });
    assert.deepEqual(completePath(`${dir}/rep`), [`${dir}/report.pdf`]);
    assert.deepEqual(completePath(`${dir}/re`), [`${dir}/readme.md`, `${dir}/report.pdf`]);
    assert.deepEqual(completePath(`${path.dirname(dir)}/${path.basename(dir)}`), [`${dir}/`]);
  });
});

describe('parseTransferCommand', () => {
  it('reads the five commands and leaves other lines alone', () => {
    assert.deepEqual(parseTransferCommand('/send bob ~/My Files/a b.pdf'), {
      kind: 'send',
      to: 'bob',
      path: '~/My Files/a b.pdf',
    });
    assert.deepEqual(parseTransferCommand('/send bob: "x y"'), {
      kind: 'send',
      to: 'bob',
      path: 'x y',
    });
    assert.deepEqual(parseTransferCommand('/accept'), { kind: 'accept' });
    assert.deepEqual(parseTransferCommand('/reject f1'), { kind: 'reject', id: 'f1' });
    assert.deepEqual(parseTransferCommand('/transfers'), { kind: 'transfers' });
    assert.deepEqual(parseTransferCommand('/cancel f1'), { kind: 'cancel', id: 'f1' });
    assert.equal(parseTransferCommand('/send bob')?.kind, 'invalid');
    assert.equal(parseTransferCommand('/cancel')?.kind, 'invalid');
    assert.equal(parseTransferCommand('/join #x'), undefined);
    assert.equal(parseTransferCommand('hello /send'), undefined);
    assert.equal(parseTransferCommand('/help send')?.kind, 'help');
  });
});

describe('progressText', () => {
  it('shows name, bar, percent, rate and ETA; several transfers in aggregate', () => {
    const one = progressText([
      {
        id: 'f',
        direction: 'out',
        peer: 'bob',
        name: 'notes.pdf',
        size: 1000,
        done: 500,
        state: 'sending',
        rate: 100,
      },
    ]);
    assert.equal(one, '[↑notes.pdf █████░░░░░ 50% 100 bytes/s ETA 5s]');
    const two = progressText([
      {
        id: 'f',
        direction: 'out',
        peer: 'bob',
        name: 'a',
        size: 1000,
        done: 1000,
        state: 'sending',
        rate: 0,
      },
      {
        id: 'g',
        direction: 'in',
        peer: 'bob',
        name: 'b',
        size: 1000,
        done: 0,
        state: 'paused',
        rate: 0,
      },
    ]);
    assert.equal(two, '[2 files █████░░░░░ 50% 0 bytes/s ETA ?]');
    assert.equal(progressText([]), undefined);
  });
});

describe('/transfers', () => {
  it('lists each transfer: id, name, direction, state, bytes and rate', () => {
    assert.deepEqual(transferLines([]), ['No file transfers']);
    assert.deepEqual(
      transferLines([
        {
          id: 'f1',
          direction: 'in',
          peer: 'bob',
          name: 'a.bin',
          size: 4 * 1024 * 1024,
          done: 1024 * 1024,
          state: 'receiving',
          rate: 2 * 1024 * 1024,
        },
        {
          id: 'f2',
          direction: 'out',
          peer: 'eve',
          name: 'b.pdf',
          size: 10,
          done: 0,
          state: 'offered',
          rate: 0,
        },
      ]),
      [
        'f1  a.bin from bob: receiving, 1.0 MiB of 4.0 MiB (25%), 2.0 MiB/s',
        'f2  b.pdf to eve: offered, 0 bytes of 10 bytes (0%)',
      ],
    );
  });

  it('an ended transfer keeps its average rate, from the first byte, across a resume', () => {
    const t = { done: 4_000_000, firstStart: 1_000, since: 3_000, sinceBytes: 3_000_000 };
    assert.equal(averageRate(t as Transfer, 3_000), 2_000_000);
    assert.equal(averageRate({ ...t, done: 0 } as Transfer, 3_000), 0, 'no byte moved');
  });
});

describe('the download directory and /send completion', () => {
  it('defaults to ~/Downloads/chat', () => {
    assert.equal(defaultDownloadDir(), path.join(os.homedir(), 'Downloads', 'chat'));
  });

  it('Tab after /send NICK completes a path; other lines are not its business', (t) => {
    const dir = tempDir(t);
    writeFileSync(path.join(dir, 'report.pdf'), 'x');
    assert.deepEqual(completeSendPath(`/send bob ${dir}/rep`), [
      [`${dir}/report.pdf`],
      `${dir}/rep`,
    ]);
    assert.equal(completeSendPath('/send bob'), undefined);
    assert.equal(completeSendPath(`hello ${dir}/rep`), undefined);
  });
});

describe('whyUnreadable', () => {
  it('says why a file cannot be sent in words, not an errno name', (t) => {
    const dir = tempDir(t);
    const missing = (): unknown => {
      try {
        statSync(path.join(dir, 'nope.bin'));
      } catch (err) {
        return err;
      }
      return undefined;
    };
    assert.match(whyUnreadable(missing()), /^no such file/u);
    assert.equal(whyUnreadable(new Error('odd')), 'odd');
  });
});

describe('a file over the server limit', () => {
  it('is refused before hashing, with exact byte counts when both sizes round alike', async (t) => {
    const dir = tempDir(t);
    const MiB = 1024 * 1024;
    const side = (maxFileBytes: number): SendingSide =>
      new SendingSide({ io: { limits: () => ({ maxFileBytes }) } } as unknown as TransferHost);
    const file = path.join(dir, 'big.bin');
    writeFileSync(file, '');
    truncateSync(file, 10 * MiB + 1); // sparse: no 10 MiB written
    await assert.rejects(side(10 * MiB).offer('bob', file), {
      message: 'big.bin is 10,485,761 bytes; the server relays at most 10,485,760 bytes',
    });
    await assert.rejects(side(MiB).offer('bob', file), {
      message: 'big.bin is 10.0 MiB; the server relays at most 1.0 MiB',
    });
  });
});

describe('a stalled transfer', () => {
  it('StallWatch: stalled once no byte moved for STALLED_MS, and not once they move again', () => {
    const w = new StallWatch();
    assert.equal(w.observe(100, 0), 0);
    assert.equal(w.observe(100, STALLED_MS - 1), 0);
    assert.equal(w.observe(100, STALLED_MS + 5_000), STALLED_MS + 5_000);
    assert.equal(w.observe(200, STALLED_MS + 6_000), 0);
  });

  it('the bar says stalled and for how long instead of a stale rate and ETA', () => {
    const view = {
      id: 'f',
      direction: 'out' as const,
      peer: 'bob',
      name: 'ten.bin',
      size: 1000,
      done: 200,
      state: 'sending',
      rate: 8_000_000,
    };
    assert.equal(progressText([view], 8_000), '[↑ten.bin ██░░░░░░░░ 20% stalled 8s]');
    assert.equal(
      progressText([{ ...view, state: 'paused' }], 8_000),
      '[↑ten.bin ██░░░░░░░░ 20% paused]',
    );
  });
});

describe('showName', () => {
  it('quotes a name as it reads, without JSON escapes; controls made visible; long ones cut', () => {
    assert.equal(showName('..\\..\\evil.txt'), '"..\\..\\evil.txt"');
    assert.equal(showName('a\x1b[2Jb.txt'), '"a�[2Jb.txt"');
    assert.equal(showName('x'.repeat(100)), `"${'x'.repeat(77)}…"`);
  });
});

describe('sweepStaleParts', () => {
  it('removes the .part files of downloads untouched for an hour, and nothing else', (t) => {
    const dir = tempDir(t);
    const now = Date.now();
    const old = new Date(now - STALE_PART_MS - 60_000);
    for (const name of ['.big.bin.f7e76.part', '.fresh.bin.a1.part', 'keep.part', 'notes.txt']) {
      writeFileSync(path.join(dir, name), 'x');
    }
    for (const name of ['.big.bin.f7e76.part', 'keep.part', 'notes.txt']) {
      utimesSync(path.join(dir, name), old, old);
    }
    sweepStaleParts(dir, now);
    assert.deepEqual(readdirSync(dir).sort(), ['.fresh.bin.a1.part', 'keep.part', 'notes.txt']);
    sweepStaleParts(path.join(dir, 'missing'), now);
  });
});
