/**
 * chat-client's interactive features in a pseudo-terminal against the real
 * server (issue 3 §7): Tab completion, the bell for mentions and private
 * messages (and --quiet), /reply, and a bracketed paste sent as one message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServerProcess } from '../helpers/process.js';
import { startTtyClient, textUser, type Child } from './processes.js';

const STAMP = String.raw`\[\d\d:\d\d\]`;
const line = (body: string): RegExp => new RegExp(`^${STAMP} ${body}$`, 'u');
const BEL = '\x07';

/** How many times the client rang the bell so far. */
function bells(client: Child): number {
  return client.stdout.split(BEL).length - 1;
}

describe('chat-client features in a terminal', () => {
  it('Tab completes a nickname, a command and a room name', async (t) => {
    const { port } = await startServerProcess(t);
    const alice = startTtyClient(t, ['--port', String(port), '--name', 'Alice']);
    await alice.output(/#lobby> $/u, 'the prompt');
    // Bob comes after Alice: she knows him from the join, not from her welcome.
    const bob = await textUser(t, port, 'Bob');
    await alice.output(/\* Bob joined #lobby\n/u, 'Bob joining');

    alice.proc.stdin?.write('hi bo\t');
    await alice.output(/#lobby> hi Bob $/u, 'the nickname completed');
    alice.proc.stdin?.write('how are you?\r');
    await bob.reader.find((l) => line('<Alice> hi Bob how are you\\?').test(l), 'the line');

    alice.proc.stdin?.write('/jo\t');
    await alice.output(/#lobby> \/join $/u, 'the command completed');
    alice.proc.stdin?.write('#dev\r');
    await alice.output(/#dev> $/u, 'the prompt in #dev');

    alice.proc.stdin?.write('/who #lo\t');
    await alice.output(/#dev> \/who #lobby $/u, 'the room completed');
    alice.proc.stdin?.write('\r');
    await alice.output(/\* 2 users in #lobby:\n {4}Alice\n {4}Bob\n/u, 'the /who list');

    alice.proc.stdin?.write('exit\r');
    assert.equal(await alice.exitCode(), 0, alice.seen());
  });

  it('rings the bell once for a mention and for a private message, not otherwise', async (t) => {
    const { port } = await startServerProcess(t);
    const bob = await textUser(t, port, 'Bob');
    const alice = startTtyClient(t, ['--port', String(port), '--name', 'Alice']);
    await alice.output(/#lobby> $/u, 'the prompt');

    bob.say('nothing for you here');
    await alice.output(/<Bob> nothing for you here\n/u, 'an ordinary message');
    assert.equal(bells(alice), 0, alice.seen());
    bob.say('hey ALICE, look');
    // The bell goes out before the line, so once the line is seen the bell is too.
    await alice.output(/» <Bob> hey ALICE, look\n/u, 'the mention, marked');
    assert.equal(bells(alice), 1, alice.seen());
    bob.say('/msg Alice psst');
    await alice.output(/\*Bob\* psst\n/u, 'the private message');
    assert.equal(bells(alice), 2, alice.seen());

    alice.proc.stdin?.write('exit\r');
    assert.equal(await alice.exitCode(), 0, alice.seen());
  });

  it('--quiet: marks the mention but rings no bell', async (t) => {
    const { port } = await startServerProcess(t);
    const bob = await textUser(t, port, 'Bob');
    const alice = startTtyClient(t, ['--port', String(port), '--name', 'Alice', '--quiet']);
    await alice.output(/#lobby> $/u, 'the prompt');
    bob.say('hey alice');
    await alice.output(/» <Bob> hey alice\n/u, 'the mention, marked');
    bob.say('/msg Alice psst');
    await alice.output(/\*Bob\* psst\n/u, 'the private message');
    assert.equal(bells(alice), 0, alice.seen());
    alice.proc.stdin?.write('exit\r');
    assert.equal(await alice.exitCode(), 0, alice.seen());
  });

  it('/reply answers the last private message, and says so when there is none', async (t) => {
    const { port } = await startServerProcess(t);
    const bob = await textUser(t, port, 'Bob');
    const alice = startTtyClient(t, ['--port', String(port), '--name', 'Alice']);
    await alice.output(/#lobby> $/u, 'the prompt');

    alice.proc.stdin?.write('/reply too early\r');
    await alice.output(/! No private message to reply to yet\n/u, 'the error line');
    bob.say('/msg Alice are you there?');
    await alice.output(/\*Bob\* are you there\?\n/u, 'the private message');
    alice.proc.stdin?.write('/reply yes, here\r');
    await bob.reader.find((l) => line(String.raw`\*Alice\* yes, here`).test(l), 'the reply');
    await alice.output(/-> \*Bob\* yes, here\n/u, 'her reply, once acked');

    alice.proc.stdin?.write('exit\r');
    assert.equal(await alice.exitCode(), 0, alice.seen());
  });

  it('a bracketed paste of three lines reaches an nc user as one message of three lines', async (t) => {
    const { port } = await startServerProcess(t);
    const bob = await textUser(t, port, 'Bob');
    const alice = startTtyClient(t, ['--port', String(port), '--name', 'Alice']);
    await alice.output(/#lobby> $/u, 'the prompt');

    // No line break after the last line: the paste waits for Enter (issue 9 §10).
    alice.proc.stdin?.write('\x1b[200~first line\rsecond line\rthird line\x1b[201~');
    await alice.output(/Enter sends it/u, 'the held paste');
    alice.proc.stdin?.write('\r');
    const first = await bob.reader.find((l) => line('<Alice> first line').test(l), 'line 1');
    const at = bob.reader.lines.indexOf(first);
    const prefix = first.slice(0, first.indexOf('first line'));
    const second = await bob.reader.find(() => true, 'line 2', at + 1);
    const third = await bob.reader.find(() => true, 'line 3', at + 2);
    assert.deepEqual(
      [second, third],
      [`${prefix}second line`, `${prefix}third line`],
      bob.reader.text,
    );
    await alice.output(
      /<Alice> first line\n.*<Alice> second line\n.*<Alice> third line\n/u,
      'her paste',
    );

    alice.proc.stdin?.write('exit\r');
    assert.equal(await alice.exitCode(), 0, alice.seen());
  });
});
