import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMAND_NAMES } from '../../src/client/commands.js';
import { complete, type Candidates } from '../../src/client/complete.js';

const known: Candidates = {
  commands: COMMAND_NAMES,
  nicks: ['Bob', 'bobby', 'Carol'],
  rooms: ['#lobby', '#dev', '#design'],
};

describe('complete', () => {
  it('completes a command after a leading slash, with a space to go on typing', () => {
    assert.deepEqual(complete('/jo', known), [['/join '], '/jo']);
    assert.deepEqual(complete('/REP', known), [['/reply '], '/REP']);
    assert.deepEqual(complete('  /rooms', known), [['/rooms '], '/rooms']);
  });

  it('lists every command that fits when there are several', () => {
    const [hits, word] = complete('/u', known);
    assert.equal(word, '/u');
    assert.deepEqual([...hits].sort(), ['/unban', '/unignore', '/unmute']);
  });

  it('completes room names starting with #', () => {
    assert.deepEqual(complete('/join #de', known), [['#dev', '#design'], '#de']);
    assert.deepEqual(complete('/who #l', known), [['#lobby '], '#l']);
    assert.deepEqual(complete('see #DEV', known), [['#dev '], '#DEV']);
  });

  it('completes nicknames in any case, with ": " when the nickname starts the line', () => {
    assert.deepEqual(complete('car', known), [['Carol: '], 'car']);
    assert.deepEqual(complete('hi car', known), [['Carol '], 'car']);
    assert.deepEqual(complete('/msg Ca', known), [['Carol '], 'Ca']);
    assert.deepEqual(complete('hi bo', known), [['Bob', 'bobby'], 'bo']);
  });

  it('offers nothing for an empty word, an unknown one, or a slash inside a line', () => {
    assert.deepEqual(complete('', known), [[], '']);
    assert.deepEqual(complete('hi ', known), [[], '']);
    assert.deepEqual(complete('hi zed', known), [[], 'zed']);
    assert.deepEqual(complete('and/or /jo', known), [[], '/jo']);
  });

  it('lists a name known twice, in different case, once', () => {
    const twice = { ...known, nicks: ['Dave', 'dave', 'DAVE'] };
    assert.deepEqual(complete('da', twice), [['Dave: '], 'da']);
  });
});
