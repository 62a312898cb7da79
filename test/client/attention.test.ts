import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attentionFor, mentions } from '../../src/client/attention.js';
import type { MessageEvent, ServerEvent } from '../../src/protocol/messages.js';

const TS = '2026-11-25T14:02:03.120Z';

describe('mentions', () => {
  it('finds the alias as a whole word, in any case, wherever it stands', () => {
    for (const text of [
      'Alice',
      'hi Alice',
      'hi alice!',
      'ALICE: look',
      'ask @alice about it',
      'thanks, Alice.',
      '(alice)',
      'first line\nsecond line for Alice',
    ]) {
      assert.equal(mentions(text, 'Alice'), true, text);
    }
  });

  it('does not count the alias inside a longer word or name', () => {
    for (const text of ['Malice', 'Alicent', 'alice_b', 'alice-b', 'alice2', 'hello there', '']) {
      assert.equal(mentions(text, 'Alice'), false, text);
    }
  });

  it('takes the characters of an alias literally', () => {
    assert.equal(mentions('hi j.r', 'j.r'), true);
    assert.equal(mentions('hi jxr', 'j.r'), false);
    assert.equal(mentions('ping Łukasz', 'łukasz'), true);
    assert.equal(mentions('anything', ''), false);
  });
});

describe('attentionFor', () => {
  const message = (from: string, text: string): MessageEvent => ({
    type: 'message',
    room: '#lobby',
    seq: 1,
    ts: TS,
    from,
    text,
    action: false,
  });
  const dm = (from: string, to: string): ServerEvent => ({
    type: 'private',
    from,
    to,
    ts: TS,
    text: 'psst',
    action: false,
  });

  it('asks for attention for a private message and a mention from someone else', () => {
    assert.equal(attentionFor(dm('Bob', 'Alice'), 'Alice'), 'private');
    assert.equal(attentionFor(message('Bob', 'hi alice'), 'Alice'), 'mention');
  });

  it("not for ordinary messages, the user's own lines, or a replay of the past", () => {
    assert.equal(attentionFor(message('Bob', 'hi all'), 'Alice'), undefined);
    assert.equal(attentionFor(message('alice', 'I am Alice'), 'Alice'), undefined);
    assert.equal(attentionFor(dm('ALICE', 'Bob'), 'Alice'), undefined);
    const history: ServerEvent = {
      type: 'history',
      room: '#lobby',
      epoch: 'e1',
      messages: [message('Bob', 'hi Alice')],
      more: false,
      gap: false,
    };
    assert.equal(attentionFor(history, 'Alice'), undefined);
  });
});
