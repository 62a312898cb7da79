import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Repl, displayWidth, rowsFor } from '../../src/client/repl.js';

/** A fake terminal: what the Repl writes, as a string. */
function terminal(): {
  input: PassThrough;
  output: PassThrough & { columns: number; isTTY: boolean };
  written: () => string;
} {
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), { columns: 80, isTTY: true });
  let written = '';
  output.on('data', (chunk: Buffer) => {
    written += chunk.toString();
  });
  return { input, output, written: () => written };
}

describe('displayWidth and rowsFor', () => {
  it('counts wide characters twice and combining marks not at all', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('日本'), 4);
    assert.equal(displayWidth('e\u0301'), 1);
  });

  it('counts the rows readline leaves after Enter, including the forced one after a full row', () => {
    assert.equal(rowsFor(10, 80), 1);
    assert.equal(rowsFor(79, 80), 1);
    assert.equal(rowsFor(80, 80), 2);
    assert.equal(rowsFor(170, 80), 3);
    assert.equal(rowsFor(500, Infinity), 1);
  });
});

describe('Repl', () => {
  it('prints above the prompt and redraws the partial input after it', async () => {
    const { input, output, written } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '#lobby> ');
    repl.start();
    input.write('half a li');
    await new Promise((resolve) => setImmediate(resolve));
    const before = written().length;
    repl.print('[14:02] <Bob> hello');
    const after = written().slice(before);
    const printed = after.indexOf('[14:02] <Bob> hello\n');
    const redrawn = after.lastIndexOf('#lobby> half a li');
    assert.ok(printed >= 0, `message printed: ${JSON.stringify(after)}`);
    assert.ok(after.slice(0, printed).includes('\x1b[0J'), 'input line cleared first');
    assert.ok(redrawn > printed, `prompt and input redrawn after: ${JSON.stringify(after)}`);
    repl.close();
  });

  it('clears every row of a draft that wraps before printing, and redraws it whole', async () => {
    const { input, output, written } = terminal();
    output.columns = 20;
    const repl = new Repl({ input, output, terminal: true }, '> ');
    repl.start();
    const draft = 'x'.repeat(30);
    input.write(draft);
    await new Promise((resolve) => setImmediate(resolve));
    const before = written().length;
    repl.print('news');
    const after = written().slice(before);
    // Up one row to the prompt's row, to its start, clear down; then the text above a redraw.
    assert.ok(after.startsWith('\x1b[1A\x1b[1G\x1b[0J'), JSON.stringify(after));
    const printed = after.indexOf('news\n');
    assert.ok(
      printed > 0 && after.indexOf(draft.slice(0, 18), printed) > printed,
      JSON.stringify(after),
    );
    repl.close();
  });

  it('breaks a status line wider than the terminal at spaces, as other lines are', async () => {
    const { input, output, written } = terminal();
    output.columns = 40;
    const repl = new Repl({ input, output, terminal: true }, '> ');
    repl.start();
    await new Promise((resolve) => setImmediate(resolve));
    const before = written().length;
    repl.setStatus([
      '* reconnecting… attempt 3, next in 3 s (cannot connect to 127.0.0.1:51431: connection refused)',
    ]);
    const after = written().slice(before);
    assert.ok(
      after.includes(
        '* reconnecting… attempt 3, next in 3 s\n  (cannot connect to 127.0.0.1:51431:\n  connection refused)\n',
      ),
      JSON.stringify(after),
    );
    repl.close();
  });

  it('emits typed lines and "end" on Ctrl-D and on Ctrl-C', async () => {
    for (const key of ['\x04', '\x03']) {
      const { input, output } = terminal();
      const repl = new Repl({ input, output, terminal: true }, '> ');
      const lines: string[] = [];
      repl.on('line', (line) => lines.push(line));
      const ended = new Promise<void>((resolve) => repl.once('end', resolve));
      repl.start();
      input.write('hi\r');
      input.write(key);
      await ended;
      assert.deepEqual(lines, ['hi']);
      repl.close();
    }
  });

  it('Ctrl-C on a half-typed line clears it, as a shell does; on an empty line it leaves', async () => {
    const { input, output } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '> ');
    const lines: string[] = [];
    let ends = 0;
    repl.on('line', (line) => lines.push(line));
    repl.on('end', () => ends++);
    repl.start();
    input.write('half typed');
    input.write('\x03');
    input.write('kept\r');
    assert.deepEqual(lines, ['kept']);
    assert.equal(ends, 0, 'the draft was cleared, the client stays');
    const ended = new Promise<void>((resolve) => repl.once('end', resolve));
    input.write('\x03');
    await ended;
    repl.close();
  });

  it('writes plain lines when the output is not a terminal', () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const repl = new Repl({ input, output, terminal: false }, '> ');
    repl.print('* hello');
    assert.equal(output.read()?.toString(), '* hello\n');
    repl.close();
  });

  it('turns bracketed paste on at start and off at close, in a terminal only', () => {
    const { input, output, written } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '> ');
    repl.start();
    assert.ok(written().includes('\x1b[?2004h'));
    repl.close();
    assert.ok(written().endsWith('\x1b[?2004l'), JSON.stringify(written()));
    const plainOut = new PassThrough();
    const pipe = new Repl({ input: new PassThrough(), output: plainOut, terminal: false }, '> ');
    pipe.start();
    pipe.close();
    assert.equal(plainOut.read(), null);
  });

  it('reports a multi-line paste ending in a line break whole, with the draft it was pasted into', async () => {
    const { input, output } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '> ');
    const lines: string[] = [];
    const pastes: string[] = [];
    repl.on('line', (line) => lines.push(line));
    repl.on('paste', (text) => pastes.push(text));
    repl.start();
    input.write('look: ');
    input.write('\x1b[200~one\rtwo\rthree\r\x1b[201~');
    input.write('after\r');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(pastes, ['look: one\ntwo\nthree']);
    assert.deepEqual(lines, ['after']);
    repl.close();
  });

  it('holds a paste whose last line has no line break until Enter, that line editable', async () => {
    const { input, output, written } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '> ');
    const pastes: string[] = [];
    repl.on('paste', (text) => pastes.push(text));
    repl.start();
    input.write('look: ');
    input.write('\x1b[200~one\rtwo\rthree\x1b[201~');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(pastes, [], 'nothing is sent without Enter');
    assert.match(written(), /┆ look: one\n┆ two\n/u);
    input.write(' more\r');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(pastes, ['look: one\ntwo\nthree more']);
    repl.close();
  });

  it('drops a held paste on Ctrl-C instead of leaving', async () => {
    const { input, output } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '> ');
    const events: string[] = [];
    repl.on('paste', (text) => events.push(`paste:${text}`));
    repl.on('line', (line) => events.push(`line:${line}`));
    repl.on('end', () => events.push('end'));
    repl.start();
    input.write('\x1b[200~one\rtwo\x1b[201~');
    input.write('\x03');
    input.write('ok\r');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['line:ok']);
    repl.close();
  });

  it('passes a single pasted line to the line editor, and keys typed before a paste stay first', async () => {
    const { input, output } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '> ');
    const events: string[] = [];
    repl.on('line', (line) => events.push(`line:${line}`));
    repl.on('paste', (text) => events.push(`paste:${text}`));
    repl.start();
    input.write('first\r\x1b[200~a\rb\r\x1b[201~\x1b[200~one line\x1b[201~\r');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['line:first', 'paste:a\nb', 'line:one line']);
    repl.close();
  });

  it('edits mid-line right when several keys arrive in one read (issue 9 §1)', async () => {
    const { input, output } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '> ');
    const lines: string[] = [];
    repl.on('line', (line) => lines.push(line));
    repl.start();
    const left = (n: number): string => '\x1b[D'.repeat(n);
    input.write('abcdef');
    input.write(left(3));
    input.write('XYZ');
    input.write('\r');
    input.write('hello world');
    input.write(left(5));
    input.write('\x1b[200~PASTED \x1b[201~');
    input.write('\r');
    // Wide characters and an emoji, typed and then inserted between them.
    input.write('日本語' + left(2) + '😀字\r');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lines, ['abcXYZdef', 'hello PASTED world', '日😀字本語']);
    repl.close();
  });

  it('keeps no line holding a password for Up-arrow recall', async () => {
    const { input, output } = terminal();
    const repl = new Repl(
      { input, output, terminal: true, keepInHistory: (l) => !l.startsWith('/register') },
      '> ',
    );
    const lines: string[] = [];
    repl.on('line', (line) => lines.push(line));
    repl.start();
    input.write('hi\r');
    input.write('/register hunter2hunter2\r');
    input.write('\x1b[A\r');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lines, ['hi', '/register hunter2hunter2', 'hi']);
    repl.close();
  });

  it('completes with the given completer on Tab', async () => {
    const { input, output } = terminal();
    const seen: string[] = [];
    const completer = (line: string): [string[], string] => {
      seen.push(line);
      return [['Bob '], 'bo'];
    };
    const repl = new Repl({ input, output, terminal: true, completer }, '> ');
    const lines: string[] = [];
    repl.on('line', (line) => lines.push(line));
    repl.start();
    input.write('hi bo\t');
    input.write('\r');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, ['hi bo']);
    assert.deepEqual(lines, ['hi Bob ']);
    repl.close();
  });

  it('rings the bell only in a terminal', () => {
    const { input, output, written } = terminal();
    const repl = new Repl({ input, output, terminal: true }, '> ');
    repl.bell();
    assert.ok(written().endsWith('\x07'));
    repl.close();
    const plainOut = new PassThrough();
    const pipe = new Repl({ input: new PassThrough(), output: plainOut, terminal: false }, '> ');
    pipe.bell();
    assert.equal(plainOut.read(), null);
    pipe.close();
  });
});
