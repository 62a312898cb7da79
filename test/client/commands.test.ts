import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInput } from '../../src/client/commands.js';

const ROOM = '#lobby';

describe('parseInput', () => {
  it('sends a plain line as a say to the current room', () => {
    assert.deepEqual(parseInput('hello world', ROOM), {
      kind: 'send',
      request: { type: 'say', text: 'hello world', room: ROOM },
    });
  });

  it('keeps leading spaces of a message and drops a trailing CR', () => {
    assert.deepEqual(parseInput('  indented\r', '#dev'), {
      kind: 'send',
      request: { type: 'say', text: '  indented', room: '#dev' },
    });
  });

  it('ignores blank lines', () => {
    assert.deepEqual(parseInput('', ROOM), { kind: 'none' });
    assert.deepEqual(parseInput('   \t ', ROOM), { kind: 'none' });
  });

  it('leaves on exit, quit and /quit, with /quit carrying a reason', () => {
    assert.deepEqual(parseInput('exit', ROOM), { kind: 'quit' });
    assert.deepEqual(parseInput(' QUIT ', ROOM), { kind: 'quit' });
    assert.deepEqual(parseInput('/quit', ROOM), { kind: 'quit' });
    assert.deepEqual(parseInput('/quit gone fishing', ROOM), {
      kind: 'quit',
      reason: 'gone fishing',
    });
  });

  it('treats "quit" inside a sentence as a message', () => {
    assert.equal(parseInput('I quit', ROOM).kind, 'send');
  });

  it('sends //text as the literal /text', () => {
    assert.deepEqual(parseInput('//shrug', ROOM), {
      kind: 'send',
      request: { type: 'say', text: '/shrug', room: ROOM },
    });
  });

  it('turns /msg into a dm with the rest of the line as text', () => {
    assert.deepEqual(parseInput('/msg Bob hi  there', ROOM), {
      kind: 'send',
      request: { type: 'dm', to: 'Bob', text: 'hi  there' },
    });
  });

  it('turns /me into an action in the current room', () => {
    assert.deepEqual(parseInput('/me waves', '#dev'), {
      kind: 'send',
      request: { type: 'say', action: true, text: 'waves', room: '#dev' },
    });
  });

  it('turns /join into a join of the named room', () => {
    assert.deepEqual(parseInput('/join #dev', ROOM), {
      kind: 'send',
      request: { type: 'join', room: '#dev' },
    });
  });

  it('fills in the current room for /who, /topic, /history and /part', () => {
    assert.deepEqual(parseInput('/who', '#dev'), {
      kind: 'send',
      request: { type: 'who', room: '#dev' },
    });
    assert.deepEqual(parseInput('/who *', '#dev'), {
      kind: 'send',
      request: { type: 'who', room: '*' },
    });
    assert.deepEqual(parseInput('/topic CI is green', '#dev'), {
      kind: 'send',
      request: { type: 'topic', text: 'CI is green', room: '#dev' },
    });
    assert.deepEqual(parseInput('/history 5', '#dev'), {
      kind: 'send',
      request: { type: 'history', limit: 5, room: '#dev' },
    });
    assert.deepEqual(parseInput('/part', '#dev'), {
      kind: 'send',
      request: { type: 'part', room: '#dev' },
    });
  });

  it('maps the remaining commands to their requests', () => {
    const cases: Array<[string, object]> = [
      ['/rooms', { type: 'rooms' }],
      ['/help', { type: 'help' }],
      ['/help join', { type: 'help', command: 'join' }],
      ['/nick Robert', { type: 'nick', name: 'Robert' }],
      ['/away lunch', { type: 'away', text: 'lunch' }],
      ['/away', { type: 'away' }],
      ['/ignore Zed', { type: 'ignore', name: 'Zed' }],
      ['/unignore Zed', { type: 'unignore', name: 'Zed' }],
      ['/kick Zed spamming', { type: 'kick', name: 'Zed', reason: 'spamming' }],
      ['/ban Zed', { type: 'ban', name: 'Zed' }],
      ['/register s3cret', { type: 'register', password: 's3cret' }],
      ['/JOIN #Dev', { type: 'join', room: '#Dev' }],
    ];
    for (const [line, request] of cases) {
      assert.deepEqual(parseInput(line, ROOM), { kind: 'send', request }, line);
    }
  });

  it('refuses unknown commands, missing arguments and bad numbers without sending', () => {
    for (const line of ['/bogus', '/msg', '/msg Bob', '/join', '/history lots', '/join #a #b']) {
      const parsed = parseInput(line, ROOM);
      assert.equal(parsed.kind, 'invalid', line);
      assert.ok(parsed.kind === 'invalid' && parsed.message.length > 0);
    }
  });

  it('sends /reply text privately to whoever wrote last in private', () => {
    assert.deepEqual(parseInput('/reply  sure, 5 min', ROOM, 'Bob'), {
      kind: 'send',
      request: { type: 'dm', to: 'Bob', text: 'sure, 5 min' },
    });
    assert.deepEqual(parseInput('/REPLY ok', ROOM, 'Bob'), {
      kind: 'send',
      request: { type: 'dm', to: 'Bob', text: 'ok' },
    });
  });

  it('refuses /reply before any private message, and without text', () => {
    assert.deepEqual(parseInput('/reply hi', ROOM), {
      kind: 'invalid',
      message: 'No private message to reply to yet',
    });
    assert.deepEqual(parseInput('/reply', ROOM, 'Bob'), {
      kind: 'invalid',
      message: 'Missing text. Usage: /reply text',
    });
    assert.equal(parseInput('//reply hi', ROOM).kind, 'send');
  });

  it('answers /help reply itself, as the server does not know /reply', () => {
    assert.deepEqual(parseInput('/help reply', ROOM), {
      kind: 'notice',
      text: '/reply text — answer the last private message',
    });
    assert.deepEqual(parseInput('/help /reply', ROOM).kind, 'notice');
  });
});
