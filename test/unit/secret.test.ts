/**
 * readSecret at a terminal (tty/secret.ts): the keys typed after the
 * password's Enter, in the same read, are left for the next reader.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { readSecret, SecretCancelled } from '../../src/tty/secret.js';

/** A stream that passes for a terminal (raw mode is a no-op). */
function fakeTerminal(): PassThrough & { isTTY: boolean; setRawMode(on: boolean): void } {
  return Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
}

test(
  'readSecret: keys typed ahead after the Enter are left for the line editor',
  { timeout: 5000 },
  async () => {
    const input = fakeTerminal();
    const secret = readSecret('', input as unknown as NodeJS.ReadStream);
    input.write('bob\x7fbpass12\r\n/join #group1\r');
    assert.equal(await secret, 'bobpass12');
    input.resume();
    const [rest] = (await once(input, 'data')) as [string];
    assert.equal(rest, '/join #group1\r');
  },
);

test('readSecret: a second prompt gets the next line typed ahead; Ctrl-C cancels', async () => {
  const input = fakeTerminal();
  const first = readSecret('', input as unknown as NodeJS.ReadStream);
  input.write('wrong one\rright one\r');
  assert.equal(await first, 'wrong one');
  assert.equal(await readSecret('', input as unknown as NodeJS.ReadStream), 'right one');
  const third = readSecret('', input as unknown as NodeJS.ReadStream);
  input.write('abc\x03');
  await assert.rejects(third, SecretCancelled);
});
