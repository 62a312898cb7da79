/**
 * chat-client's own line wrapping (width.ts wrapLine): a line wider than the
 * terminal breaks at spaces with a two-space hanging indent, instead of the
 * terminal cutting a word in half (/help at 80 columns).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayWidth, visible, wrapLine } from '../../src/client/width.js';

describe('wrapLine', () => {
  it('breaks /help lines at spaces, continuation rows indented by two', () => {
    const help =
      '*   /who [#room | *] [from] — users in this room, another room, or everyone online (* is paged: /who * NEXT)';
    const rows = wrapLine(help, 80).split('\n');
    assert.deepEqual(rows, [
      '*   /who [#room | *] [from] — users in this room, another room, or everyone',
      '  online (* is paged: /who * NEXT)',
    ]);
    for (const row of rows) assert.ok(displayWidth(row) <= 80, row);
  });

  it('continues a two-column row (/help as chat-client lists it) under its right column', () => {
    const row =
      '    /who [#room | *] [from]   users in this room, another room, or everyone online (* is paged: /who * NEXT)';
    const rows = wrapLine(row, 80).split('\n');
    assert.deepEqual(rows, [
      '    /who [#room | *] [from]   users in this room, another room, or everyone',
      '                              online (* is paged: /who * NEXT)',
    ]);
    for (const r of rows) assert.ok(displayWidth(r) <= 80, r);
  });

  it('leaves a line that fits, and a word wider than a row, to the terminal', () => {
    assert.equal(wrapLine('short', 80), 'short');
    const long = `[14:02] <Ann> ${'x'.repeat(200)}`;
    assert.equal(wrapLine(long, 80), long, 'breaking before the long word gains nothing');
    assert.equal(wrapLine('a b', Infinity), 'a b', 'an output that reports no width');
  });

  it('counts colour escapes as no columns and wide characters as two', () => {
    const red = '\x1b[31m';
    const reset = '\x1b[0m';
    const line = `${red}*${reset} ${'日本 '.repeat(20)}end`;
    const rows = wrapLine(line, 40).split('\n');
    assert.ok(rows.length > 1);
    for (const row of rows) assert.ok(displayWidth(visible(row)) <= 40, row);
    assert.equal(rows.join(' ').replace(/ {3}/gu, ' '), line.replace(/ {3}/gu, ' '));
  });

  it('keeps leading spaces', () => {
    assert.equal(
      wrapLine('  indented and long enough to wrap here', 20),
      '  indented and long\n  enough to wrap\n  here',
    );
  });
});
