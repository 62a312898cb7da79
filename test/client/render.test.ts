import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageEvent, ServerEvent } from '../../src/protocol/messages.js';
import {
  aliasColor,
  renderAck,
  renderError,
  renderEvent,
  renderNotice,
  shouldUseColor,
  type RenderContext,
} from '../../src/client/render.js';
import { emptyHistory } from '../helpers/events.js';

// Timestamps are shown in local time; pin the zone so expectations are fixed.
process.env.TZ = 'UTC';

const TS = '2026-11-25T14:02:03.120Z';
const plain: RenderContext = { self: 'Alice', room: '#lobby', color: false };
const colored: RenderContext = { ...plain, color: true };
// eslint-disable-next-line no-control-regex -- matching terminal escapes is the point
const ANSI = /\x1b\[[0-9;]*m/gu;

function message(overrides: Partial<MessageEvent> = {}): MessageEvent {
  return {
    type: 'message',
    room: '#lobby',
    seq: 1,
    ts: TS,
    from: 'Bob',
    text: 'hello',
    action: false,
    ...overrides,
  };
}

describe('renderEvent', () => {
  it('shows a message in the current room like text mode: [HH:MM] <nick> text', () => {
    assert.equal(renderEvent(message(), plain), '[14:02] <Bob> hello');
  });

  it('tags a message from another room with the room', () => {
    assert.equal(renderEvent(message({ room: '#dev' }), plain), '[14:02] #dev <Bob> hello');
  });

  it('shows actions and private messages in their own shapes', () => {
    assert.equal(
      renderEvent(message({ action: true, text: 'waves' }), plain),
      '[14:02] * Bob waves',
    );
    const dm: ServerEvent = {
      type: 'private',
      from: 'Bob',
      to: 'Alice',
      ts: TS,
      text: 'psst',
      action: false,
    };
    assert.equal(renderEvent(dm, plain), '[14:02] *Bob* psst');
  });

  it('gives each line of a multi-line message the same prefix', () => {
    assert.equal(
      renderEvent(message({ text: 'one\ntwo' }), plain),
      '[14:02] <Bob> one\n[14:02] <Bob> two',
    );
  });

  it('strips terminal escapes a server might relay', () => {
    const shown = renderEvent(
      message({ text: 'hi\x1b[2J\x1b]0;pwned\x07 there\u202e', from: 'Bo\x07b' }),
      plain,
    );
    assert.equal(shown, '[14:02] <Bob> hi there');
  });

  it('shows system notices with a "* " prefix', () => {
    const at = { type: 'system', ts: TS, room: '#lobby', user: 'Bob' } as const;
    assert.equal(renderEvent({ ...at, event: 'join' }, plain), '* Bob joined #lobby');
    assert.equal(renderEvent({ ...at, event: 'quit', reason: 'bye' }, plain), '* Bob quit (bye)');
    assert.equal(
      renderEvent({ ...at, event: 'nick', name: 'Robert' }, plain),
      '* Bob is now known as Robert',
    );
    assert.equal(renderEvent({ ...at, event: 'away', text: '' }, plain), '* Bob is back');
    assert.equal(
      renderEvent({ type: 'system', event: 'shutdown', ts: TS }, plain),
      '* Server shutting down',
    );
  });

  it('shows errors with a "! " prefix and their code', () => {
    const err: ServerEvent = { type: 'error', code: 'not_found', message: 'Unknown user: Zed' };
    // The code is for programs; a person reads the sentence (issue 9.10).
    assert.equal(renderEvent(err, plain), '! Unknown user: Zed');
  });

  it('frames history and shows nothing for an empty one', () => {
    const history: ServerEvent = {
      type: 'history',
      room: '#lobby',
      epoch: 'e1',
      messages: [message(), message({ from: 'Carol', text: 'hey', seq: 2 })],
      more: false,
      gap: false,
    };
    assert.equal(
      renderEvent(history, plain),
      '* — history of #lobby —\n[14:02] <Bob> hello\n[14:02] <Carol> hey\n* — end of history —',
    );
    assert.equal(renderEvent({ ...history, messages: [] }, plain), undefined);
  });

  it('renders who, rooms and help as lists, one item per line', () => {
    const who: ServerEvent = {
      type: 'who',
      room: '#lobby',
      users: [{ name: 'Alice' }, { name: 'Bob', away: 'lunch' }],
    };
    assert.equal(renderEvent(who, plain), '* 2 users in #lobby:\n    Alice\n    Bob (away: lunch)');
    const rooms: ServerEvent = {
      type: 'rooms',
      rooms: [
        { name: '#lobby', members: 3, topic: '' },
        { name: '#dev', members: 1, topic: 'CI' },
      ],
    };
    assert.equal(
      renderEvent(rooms, plain),
      '* 2 rooms:\n    #lobby  3 members\n    #dev    1 member  CI',
    );
    const help: ServerEvent = {
      type: 'help',
      commands: [
        { name: 'who', usage: '/who [#room | *]', summary: 'list users' },
        { name: 'me', usage: '/me text', summary: 'an action' },
      ],
    };
    const lines = (renderEvent(help, plain) ?? '').split('\n');
    assert.match(lines[0] ?? '', /^\* Commands/u);
    assert.deepEqual(lines.slice(1), [
      '    /who [#room | *]    list users',
      '    /me text            an action',
      '    /reply text         answer the last private message',
      '    /send nick path     offer a file to a user (Tab completes the path)',
      '    /accept [id]        accept a file offered to you',
      '    /reject [id]        decline a file offered to you',
      '    /transfers          list file transfers: state, bytes, rate',
      '    /cancel id          stop a file transfer',
      '    exit, quit, Ctrl-D  leave the chat',
    ]);
    assert.equal(
      renderEvent({ ...help, commands: help.commands.slice(1) }, plain),
      '* /me text — an action',
    );
  });

  it('greets with the server, the room and who else is there', () => {
    const welcome: ServerEvent = {
      type: 'welcome',
      name: 'Alice',
      rooms: ['#lobby'],
      members: ['Alice', 'Bob'],
      memberCount: 2,
      heartbeat: 30,
      limits: {
        maxLineBytes: 16384,
        maxMessageLines: 20,
        rateBurst: 10,
        ratePerSecond: 5,
        rateQueue: 20,
        maxTopicBytes: 390,
        maxRoomsPerUser: 50,
      },
      server: { name: 'chat-server', version: '0.1.0' },
      epochs: {},
      seqs: {},
    };
    const shown = renderEvent(welcome, plain) ?? '';
    assert.match(shown, /chat-server 0\.1\.0 as Alice/u);
    assert.match(shown, /You are in #lobby with Bob\./u);
    const big = renderEvent({ ...welcome, memberCount: 40 }, plain) ?? '';
    assert.match(big, /You are in #lobby with Bob and 38 more\./u);
  });

  it('shows a replay of the private stream with sent and received messages told apart', () => {
    const history: ServerEvent = {
      type: 'history',
      room: '@',
      epoch: 'e1',
      messages: [
        { type: 'private', from: 'Bob', to: 'Alice', ts: TS, text: 'psst', action: false, seq: 1 },
        { type: 'private', from: 'Alice', to: 'Bob', ts: TS, text: 'yes?', action: false, seq: 2 },
      ],
      more: false,
      gap: false,
    };
    assert.equal(
      renderEvent(history, plain),
      '* — private messages —\n[14:02] *Bob* psst\n[14:02] -> *Bob* yes?\n* — end of history —',
    );
  });

  it('answers an empty /history (it has an id) in words; an empty replay after a join says nothing', () => {
    const empty = emptyHistory('#dev');
    assert.equal(renderEvent({ ...empty, id: 'c4' }, plain), '* No messages to show in #dev');
    assert.equal(renderEvent(empty, plain), undefined);
  });

  it('shows nothing for keep-alives and bare acks', () => {
    assert.equal(renderEvent({ type: 'ping' }, plain), undefined);
    assert.equal(renderEvent({ type: 'ack', ts: TS, op: 'say' }, plain), undefined);
  });
});

describe('attention in rendering', () => {
  it('marks a message that mentions the user, with or without colour', () => {
    assert.equal(renderEvent(message({ text: 'hi alice!' }), plain), '[14:02] » <Bob> hi alice!');
    assert.equal(
      renderEvent(message({ room: '#dev', text: 'Alice: one\ntwo' }), plain),
      '[14:02] » #dev <Bob> Alice: one\n[14:02] » #dev <Bob> two',
    );
    const shown = renderEvent(message({ text: 'hi alice!' }), colored) ?? '';
    assert.equal(shown.replace(ANSI, ''), '[14:02] » <Bob> hi alice!');
    assert.ok(shown.includes('\x1b[1;7;33malice\x1b[0m'), JSON.stringify(shown));
  });

  it("does not mark words that merely contain the alias, nor the user's own lines", () => {
    assert.equal(renderEvent(message({ text: 'Malice' }), plain), '[14:02] <Bob> Malice');
    assert.equal(
      renderAck(
        { type: 'ack', ts: TS, op: 'say' },
        { type: 'say', room: '#lobby', text: 'I am Alice' },
        plain,
      ),
      '[14:02] <Alice> I am Alice',
    );
  });

  it('colours the room tag of other rooms and the frame of private messages', () => {
    const other = renderEvent(message({ room: '#dev' }), colored) ?? '';
    assert.ok(other.includes('\x1b[1;36m#dev\x1b[0m'), JSON.stringify(other));
    const dm = renderEvent(
      { type: 'private', from: 'Bob', to: 'Alice', ts: TS, text: 'psst', action: false },
      colored,
    );
    assert.ok(dm?.startsWith('[14:02] \x1b[1;35m*\x1b[0m'), JSON.stringify(dm));
    assert.equal(dm?.replace(ANSI, ''), '[14:02] *Bob* psst');
  });
});

describe('renderAck', () => {
  it("shows the user's own message once acked, with the server's time", () => {
    const ack = { type: 'ack', id: 'c1', ts: TS, op: 'say', seq: 7 } as const;
    assert.equal(
      renderAck(ack, { type: 'say', room: '#lobby', text: 'hi all' }, plain),
      '[14:02] <Alice> hi all',
    );
    assert.equal(
      renderAck(ack, { type: 'say', room: '#lobby', text: 'waves', action: true }, plain),
      '[14:02] * Alice waves',
    );
  });

  it('shows a sent private message with an arrow', () => {
    const ack = { type: 'ack', ts: TS, op: 'dm' } as const;
    assert.equal(
      renderAck(ack, { type: 'dm', to: 'Bob', text: 'psst' }, plain),
      '[14:02] -> *Bob* psst',
    );
    // As the ack spells the recipient, not as typed.
    assert.equal(
      renderAck(
        { ...ack, name: 'Bob', text: 'lunch' },
        { type: 'dm', to: 'bob', text: 'psst' },
        plain,
      ),
      '[14:02] -> *Bob* psst\n* Bob is away: lunch',
    );
  });

  it('confirms room and alias changes in words', () => {
    assert.equal(
      renderAck(
        { type: 'ack', ts: TS, op: 'join', room: '#dev' },
        { type: 'join', room: '#dev' },
        plain,
      ),
      '* You are now in #dev',
    );
    assert.equal(
      renderAck(
        { type: 'ack', ts: TS, op: 'nick', name: 'Al' },
        { type: 'nick', name: 'Al' },
        plain,
      ),
      '* You are now known as Al',
    );
    assert.equal(
      renderAck(
        { type: 'ack', ts: TS, op: 'part', room: '#dev', text: '#lobby' },
        { type: 'part', room: '#dev' },
        plain,
      ),
      '* You left #dev; current room is #lobby',
    );
    assert.equal(
      renderAck({ type: 'ack', ts: TS, op: 'quit' }, { type: 'quit' }, plain),
      undefined,
    );
  });
});

describe('colour', () => {
  it('is used only for a terminal and never with NO_COLOR set', () => {
    assert.equal(shouldUseColor(true, {}), true);
    assert.equal(shouldUseColor(false, {}), false);
    assert.equal(shouldUseColor(undefined, {}), false);
    assert.equal(shouldUseColor(true, { NO_COLOR: '1' }), false);
  });

  it('gives an alias the same colour every time, whatever its case', () => {
    assert.equal(aliasColor('Bob'), aliasColor('Bob'));
    assert.equal(aliasColor('Bob'), aliasColor('BOB'));
    const colours = new Set(['Alice', 'Bob', 'Carol', 'Dave', 'Eve', 'Mallory'].map(aliasColor));
    assert.ok(colours.size > 1, 'different aliases spread over the palette');
  });

  it('colours the alias of a message and keeps the text unchanged', () => {
    const shown = renderEvent(message(), colored) ?? '';
    assert.ok(shown.includes(`\x1b[${aliasColor('Bob')}mBob\x1b[0m`));
    assert.equal(shown.replace(ANSI, ''), '[14:02] <Bob> hello');
  });

  it('makes notices and errors look different from messages and from each other', () => {
    const notice = renderNotice('Bob joined #lobby', colored);
    const error = renderError('Unknown user: Zed', 'not_found', colored);
    assert.notEqual(notice, notice.replace(ANSI, ''));
    assert.notEqual(error, error.replace(ANSI, ''));
    assert.notEqual(notice.slice(0, 5), error.slice(0, 5));
    assert.equal(renderNotice('x', plain), '* x');
    assert.equal(renderError('bad', undefined, plain), '! bad');
  });
});
