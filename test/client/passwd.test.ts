/**
 * `/passwd` alone in chat-client (issue 18 §4): the prompts without echo, the
 * answers, and the Repl handing keys to them instead of readline.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import {
  asksForPasswords,
  PASSWD_CANCELLED,
  PASSWD_PROMPTS,
  passwdRequest,
  SecretAnswers,
} from '../../src/client/passwd.js';
import { Repl } from '../../src/client/repl.js';

function feedAll(answers: SecretAnswers, keys: string[]): void {
  for (const key of keys) answers.feed(key);
}

describe('/passwd prompts', () => {
  it('is the prompting form only without arguments', () => {
    assert.ok(asksForPasswords('/passwd'));
    assert.ok(asksForPasswords('  /PASSWD  '));
    assert.ok(!asksForPasswords('/passwd old new'));
    assert.ok(!asksForPasswords('/passwdx'));
    assert.ok(!asksForPasswords('passwd'));
  });

  it('collects one answer per prompt, with Backspace and Ctrl-U, dropping arrows and Tab', () => {
    const answers = new SecretAnswers(PASSWD_PROMPTS);
    assert.equal(answers.prompt, 'Old password: ');
    feedAll(answers, ['o', 'l', 'x', '\x7f', 'd', '\x1b[D', '\t', '\r']);
    assert.equal(answers.prompt, 'New password: ');
    feedAll(answers, ['junk', '\x15', 'new pass 1', '\r']);
    assert.equal(answers.prompt, 'Repeat new password: ');
    assert.equal(answers.result, undefined);
    answers.feed('new pass 1\r');
    assert.ok(answers.finished);
    assert.equal(answers.prompt, undefined);
    assert.deepEqual(answers.result, ['old', 'new pass 1', 'new pass 1']);
  });

  it('is cancelled by Ctrl-C, and by Ctrl-D on an empty answer only', () => {
    const c = new SecretAnswers(PASSWD_PROMPTS);
    c.feed('old\rne\x03');
    assert.ok(c.finished);
    assert.equal(c.result, undefined);
    const d = new SecretAnswers(PASSWD_PROMPTS);
    d.feed('ab\x04');
    assert.ok(!d.finished);
    d.feed('\x7f\x7f\x04');
    assert.ok(d.finished);
    assert.equal(d.result, undefined);
  });

  it('sends a passwd request only when both new answers agree', () => {
    assert.deepEqual(passwdRequest(['old one', 'new secret', 'new secret']), {
      kind: 'send',
      request: { type: 'passwd', old: 'old one', password: 'new secret' },
    });
    const differ = passwdRequest(['old', 'new secret', 'new secreT']);
    assert.equal(differ.kind, 'invalid');
    assert.match(differ.kind === 'invalid' ? differ.message : '', /differ/u);
    assert.deepEqual(passwdRequest(undefined), { kind: 'notice', message: PASSWD_CANCELLED });
    assert.deepEqual(passwdRequest(['', 'a', 'a']), { kind: 'notice', message: PASSWD_CANCELLED });
    assert.deepEqual(passwdRequest(['old', '', '']), { kind: 'notice', message: PASSWD_CANCELLED });
  });
});

describe('Repl.askSecrets', () => {
  function terminal(): { input: PassThrough; output: PassThrough; written: () => string } {
    const input = new PassThrough();
    const output = Object.assign(new PassThrough(), { columns: 80, isTTY: true });
    let written = '';
    output.on('data', (chunk: Buffer) => {
      written += chunk.toString();
    });
    // Without the cursor moves and clears: what the line ends with is what is shown.
    // eslint-disable-next-line no-control-regex -- terminal escapes are the point
    return { input, output, written: () => written.replace(/\x1b\[[0-9;?]*[A-Za-z]/gu, '') };
  }
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('takes the keys after the Enter, shows only the prompts, keeps nothing in history', async () => {
    const { input, output, written } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '#lobby> ');
    const lines: string[] = [];
    let asked: Promise<string[] | undefined> | undefined;
    repl.on('line', (line) => {
      lines.push(line);
      if (line === '/passwd') asked = repl.askSecrets(PASSWD_PROMPTS);
    });
    repl.start();
    input.write('/passwd\r');
    await tick();
    assert.ok(asked, 'asked');
    assert.match(written(), /Old password: $/u);
    input.write('old secret\r');
    await tick();
    assert.match(written(), /New password: $/u);
    input.write('new secret\r');
    await tick();
    input.write('new secret\r');
    assert.deepEqual(await asked, ['old secret', 'new secret', 'new secret']);
    await tick();
    assert.doesNotMatch(written(), /secret/u);
    assert.match(written(), /#lobby> $/u);
    input.write('after\r');
    await tick();
    assert.deepEqual(lines, ['/passwd', 'after']);
    // Up recalls "after", then "/passwd": never an answer.
    input.write('\x1b[A');
    input.write('\x1b[A');
    input.write('\x1b[A');
    await tick();
    assert.doesNotMatch(written(), /secret/u);
    repl.close();
  });

  it('ends with no answers on Ctrl-C, without leaving the chat', async () => {
    const { input, output } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '> ');
    let ended = false;
    repl.on('end', () => (ended = true));
    repl.start();
    const asked = repl.askSecrets(PASSWD_PROMPTS);
    input.write('old\r');
    await tick();
    input.write('\x03');
    assert.equal(await asked, undefined);
    assert.ok(!ended, 'Ctrl-C at a password prompt only cancels it');
    repl.close();
  });

  it('cannot ask when the output is not a terminal', () => {
    const repl = new Repl(
      { input: new PassThrough(), output: new PassThrough(), terminal: false },
      '> ',
    );
    assert.equal(repl.askSecrets(PASSWD_PROMPTS), undefined);
    repl.close();
  });
});
