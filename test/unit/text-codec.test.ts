/**
 * docs/protocol.md §3: the lines `nc` and `telnet` users read, and the commands they
 * type. Decoding: a typed line → Request. Encoding: a ServerEvent → the §3
 * shapes, one event per line, multi-line texts with the same prefix per line.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CommandSpec } from '../../src/protocol/commands.js';
import { ChatError } from '../../src/protocol/errors.js';
import {
  ASKED_FOR,
  type HistoryEvent,
  type MessageEvent,
  type PrivateEvent,
  type ServerEvent,
  type SystemEvent,
} from '../../src/protocol/messages.js';
import { emptyHistory } from '../helpers/events.js';
import { decodeTextLine } from '../../src/protocol/text-codec.js';
import {
  clock,
  encodeText,
  encodeTextPieces,
  TextEncoder,
} from '../../src/protocol/text-encode.js';

const all = (_c: CommandSpec): boolean => true;

/** An ISO timestamp whose local time is hh:mm, so tests do not depend on the time zone. */
function at(hh: number, mm: number): string {
  return new Date(2026, 10, 25, hh, mm, 3, 120).toISOString();
}

const TS = at(14, 2);

function msg(over: Partial<MessageEvent> = {}): MessageEvent {
  return {
    type: 'message',
    room: '#lobby',
    seq: 42,
    ts: TS,
    from: 'Bob',
    text: 'hello',
    action: false,
    ...over,
  };
}

function sys(over: Partial<SystemEvent> & Pick<SystemEvent, 'event'>): SystemEvent {
  return { type: 'system', ts: TS, ...over };
}

function refused(line: string, pattern?: RegExp, isAvailable = all): void {
  assert.throws(
    () => decodeTextLine(line, isAvailable),
    (err: unknown) =>
      err instanceof ChatError &&
      err.code === 'bad_request' &&
      (pattern === undefined || pattern.test(err.message)),
    `expected bad_request for ${JSON.stringify(line)}`,
  );
}

describe('clock', () => {
  test('HH:MM in local time', () => assert.equal(clock(at(14, 2)), '14:02'));
  test('zero-padded hours and minutes', () => assert.equal(clock(at(9, 5)), '09:05'));
  test('midnight', () => assert.equal(clock(at(0, 0)), '00:00'));
  test('one minute to midnight', () => assert.equal(clock(at(23, 59)), '23:59'));
  test('seconds and milliseconds do not round up', () => {
    assert.equal(clock(new Date(2026, 0, 1, 10, 30, 59, 999).toISOString()), '10:30');
  });
});

describe('decodeTextLine: messages', () => {
  test('a line not starting with / is a message to the current room', () => {
    assert.deepEqual(decodeTextLine('hello world', all), { type: 'say', text: 'hello world' });
  });

  test('a slash later in the line is still a message', () => {
    assert.deepEqual(decodeTextLine('a/b and /join', all), { type: 'say', text: 'a/b and /join' });
  });

  test('//text sends the literal /text', () => {
    assert.deepEqual(decodeTextLine('//text', all), { type: 'say', text: '/text' });
  });

  test('//join #dev is a message, not a join', () => {
    assert.deepEqual(decodeTextLine('//join #dev', all), { type: 'say', text: '/join #dev' });
  });

  test('// alone sends /', () => {
    assert.deepEqual(decodeTextLine('//', all), { type: 'say', text: '/' });
  });

  test('///x sends //x (only one slash removed)', () => {
    assert.deepEqual(decodeTextLine('///x', all), { type: 'say', text: '//x' });
  });

  test('// followed by a space keeps the space', () => {
    assert.deepEqual(decodeTextLine('// shrug', all), { type: 'say', text: '/ shrug' });
  });

  test('unicode text is carried as is', () => {
    assert.deepEqual(decodeTextLine('你好 👋 café', all), { type: 'say', text: '你好 👋 café' });
  });
});

describe('decodeTextLine: commands', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['/help', { type: 'help' }],
    ['/help nick', { type: 'help', command: 'nick' }],
    ['/who', { type: 'who' }],
    ['/who #dev', { type: 'who', room: '#dev' }],
    ['/who *', { type: 'who', room: '*' }],
    ['/rooms', { type: 'rooms' }],
    ['/join #dev', { type: 'join', room: '#dev' }],
    ['/part', { type: 'part' }],
    ['/part #dev', { type: 'part', room: '#dev' }],
    ['/msg Bob hi', { type: 'dm', to: 'Bob', text: 'hi' }],
    ['/msg Bob lunch at noon?', { type: 'dm', to: 'Bob', text: 'lunch at noon?' }],
    [
      '/msg   Bob    two  spaces  kept inside ',
      { type: 'dm', to: 'Bob', text: 'two  spaces  kept inside' },
    ],
    ['/me waves', { type: 'say', action: true, text: 'waves' }],
    ['/me waves at everyone', { type: 'say', action: true, text: 'waves at everyone' }],
    ['/nick Robert', { type: 'nick', name: 'Robert' }],
    ['/topic', { type: 'topic' }],
    ['/topic CI is green', { type: 'topic', text: 'CI is green' }],
    ['/history', { type: 'history' }],
    ['/history 50', { type: 'history', limit: 50 }],
    ['/history 007', { type: 'history', limit: 7 }],
    ['/history 500', { type: 'history', limit: 500 }],
    ['/register hunter2', { type: 'register', password: 'hunter2' }],
    ['/register correct horse battery', { type: 'register', password: 'correct horse battery' }],
    ['/away', { type: 'away' }],
    ['/away at lunch', { type: 'away', text: 'at lunch' }],
    ['/ignore', { type: 'ignore' }],
    ['/ignore Zed', { type: 'ignore', name: 'Zed' }],
    ['/unignore Zed', { type: 'unignore', name: 'Zed' }],
    ['/kick Zed', { type: 'kick', name: 'Zed' }],
    ['/kick Zed spamming the room', { type: 'kick', name: 'Zed', reason: 'spamming the room' }],
    ['/ban Zed', { type: 'ban', name: 'Zed' }],
    ['/unban Zed', { type: 'unban', name: 'Zed' }],
    // Duration and reason ride in `reason`; the handler splits them (docs/protocol.md §3).
    ['/ban Zed 1h spam links', { type: 'ban', name: 'Zed', reason: '1h spam links' }],
    ['/bans', { type: 'bans' }],
    ['/quit', { type: 'quit' }],
    ['/quit gone fishing', { type: 'quit', reason: 'gone fishing' }],
  ];
  for (const [line, want] of cases) {
    test(line, () => assert.deepEqual(decodeTextLine(line, all), want));
  }

  test('command names are case-insensitive', () => {
    assert.deepEqual(decodeTextLine('/JOIN #dev', all), { type: 'join', room: '#dev' });
    assert.deepEqual(decodeTextLine('/Who', all), { type: 'who' });
  });

  test('a TAB separates arguments like a space', () => {
    assert.deepEqual(decodeTextLine('/join\t#dev', all), { type: 'join', room: '#dev' });
    assert.deepEqual(decodeTextLine('/msg\tBob\thi', all), { type: 'dm', to: 'Bob', text: 'hi' });
  });

  test('trailing spaces after a command are ignored', () => {
    assert.deepEqual(decodeTextLine('/rooms   ', all), { type: 'rooms' });
    assert.deepEqual(decodeTextLine('/join #dev  ', all), { type: 'join', room: '#dev' });
  });

  test('int arguments are numbers', () => {
    const req = decodeTextLine('/history 25', all);
    assert.equal(req.type, 'history');
    assert.ok(req.type === 'history');
    assert.equal(typeof req.limit, 'number');
    assert.equal(req.limit, 25);
  });
});

describe('decodeTextLine: refusals', () => {
  test('unknown command names the command and points to /help', () => {
    refused('/frobnicate', /\/frobnicate/u);
    refused('/frobnicate with args', /\/help/u);
  });

  test('a missing argument is named as the usage names it, not by its request field', () => {
    refused('/msg', /^Missing nick\. Usage: \/msg nick text$/u);
    refused('/msg Bob', /^Missing text\./u);
  });

  test('/history n is a whole number from 1 to 500, as in JSON mode', () => {
    refused('/history 0', /^n must be a whole number from 1 to 500\. Usage: \/history \[n\]$/u);
    refused('/history 501', /from 1 to 500/u);
    refused('/history ten', /whole number/u);
    assert.deepEqual(decodeTextLine('/history 500', all), { type: 'history', limit: 500 });
    assert.deepEqual(decodeTextLine('/history 1', all), { type: 'history', limit: 1 });
  });

  test('a lone slash is an unknown command', () => refused('/'));
  test('a slash then a space is an unknown command', () => refused('/ join #dev'));

  test('a command the server does not carry out is unknown', () => {
    const noOperators = (c: CommandSpec): boolean => !c.operator;
    refused('/kick Zed', /Unknown command/u, noOperators);
    refused('/ban Zed', /Unknown command/u, noOperators);
    assert.deepEqual(decodeTextLine('/who', noOperators), { type: 'who' });
  });

  test('an unknown command suggests the one it most likely meant, among those offered', () => {
    refused('/msgg Bob hi', /^Unknown command: \/msgg \(did you mean \/msg\?\)\. Type \/help/u);
    refused('/mgs Bob hi', /did you mean \/msg\?/u);
    refused('/j #dev', /did you mean \/join\?/u);
    refused('/histroy', /did you mean \/history\?/u);
    refused('/xyzzy', /^Unknown command: \/xyzzy\. Type \/help for the list$/u);
    // Never an operator command (the check is the server's, not the user's).
    refused('/kikc Zed', /^Unknown command: \/kikc\. Type/u);
    // Nothing near a very long name, and no time spent looking.
    refused(`/${'a'.repeat(16_000)}`, /^Unknown command: \/a{40}\. Type/u);
  });

  const missing: Array<[string, RegExp]> = [
    ['/join', /Usage: \/join #room/u],
    ['/msg', /Usage: \/msg nick text/u],
    ['/msg Bob', /Usage: \/msg nick text/u],
    ['/msg Bob   ', /Usage: \/msg nick text/u],
    ['/me', /Usage: \/me text/u],
    ['/nick', /Usage: \/nick newnick/u],
    ['/register', /Usage: \/register password/u],
    ['/unignore', /Usage: \/unignore nick/u],
    ['/kick', /Usage: \/kick nick \[reason\]/u],
    ['/ban', /Usage: \/ban nick/u],
    ['/unban', /Usage: \/unban name/u],
  ];
  for (const [line, usage] of missing) {
    test(`missing argument: ${JSON.stringify(line)}`, () => {
      refused(line, /Missing/u);
      refused(line, usage);
    });
  }

  const tooMany: Array<[string, RegExp]> = [
    ['/join #a #b', /Usage: \/join #room/u],
    ['/rooms now then', /Usage: \/rooms/u],
    ['/who #a #b #c', /Usage: \/who/u],
    ['/part #a #b', /Usage: \/part/u],
    ['/unignore a b', /Usage: \/unignore nick/u],
    ['/history 10 20', /Usage: \/history/u],
    ['/help nick join', /Usage: \/help/u],
    ['/ignore a b', /Usage: \/ignore/u],
    ['/unban a b', /Usage: \/unban name/u],
  ];
  for (const [line, usage] of tooMany) {
    test(`too many arguments: ${JSON.stringify(line)}`, () => {
      refused(line, /Too many arguments/u);
      refused(line, usage);
    });
  }

  for (const bad of ['abc', '-1', '2.5', '1e3', '0x10', '+5', '1234567890', '１２']) {
    test(`int argument refused: /history ${bad}`, () =>
      refused(`/history ${bad}`, /whole number/u));
  }
});

/** Every line of a text-mode rendering is one of the §3 shapes. */
const SHAPE = /^(?:\[\d{2}:\d{2}\] (?:<[^>]+> |#\S+ <[^>]+> |\*[^*]+\* |\* |#\S+ \* )|\* |! )/u;

function linesOf(out: string): string[] {
  assert.ok(out === '' || out.endsWith('\n'), `output must end with LF: ${JSON.stringify(out)}`);
  return out === '' ? [] : out.slice(0, -1).split('\n');
}

describe('encodeText: §3 shapes', () => {
  test('message in the current room: [HH:MM] <nick> text', () => {
    assert.equal(encodeText(msg(), '#lobby'), '[14:02] <Bob> hello\n');
  });

  test('message in another room: [HH:MM] #room <nick> text', () => {
    assert.equal(
      encodeText(msg({ room: '#dev', text: 'build is green' }), '#lobby'),
      '[14:02] #dev <Bob> build is green\n',
    );
  });

  test('private message: [HH:MM] *nick* text', () => {
    const e: PrivateEvent = {
      type: 'private',
      from: 'Bob',
      to: 'Alice',
      ts: at(14, 3),
      text: 'lunch?',
      action: false,
    };
    assert.equal(encodeText(e, '#lobby'), '[14:03] *Bob* lunch?\n');
  });

  test('action in the current room: [HH:MM] * nick text', () => {
    assert.equal(
      encodeText(msg({ ts: at(14, 4), text: 'waves', action: true }), '#lobby'),
      '[14:04] * Bob waves\n',
    );
  });

  test('action in another room: [HH:MM] #room * nick text', () => {
    assert.equal(
      encodeText(msg({ room: '#dev', text: 'waves', action: true }), '#lobby'),
      '[14:02] #dev * Bob waves\n',
    );
  });

  test('private action: [HH:MM] *nick* * nick text', () => {
    const e: PrivateEvent = {
      type: 'private',
      from: 'Bob',
      to: 'Alice',
      ts: TS,
      text: 'waves',
      action: true,
    };
    assert.equal(encodeText(e, '#lobby'), '[14:02] *Bob* * Bob waves\n');
  });

  test('system notice: * text', () => {
    assert.equal(
      encodeText(sys({ event: 'join', user: 'Bob', room: '#lobby' }), '#lobby'),
      '* Bob joined #lobby\n',
    );
  });

  test('error: ! text [code]', () => {
    assert.equal(
      encodeText(
        { type: 'error', code: 'alias_taken', message: 'Alice is already online' },
        '#lobby',
      ),
      '! Alice is already online [alias_taken]\n',
    );
  });

  test('error with an id and retryAfterMs still renders as one ! line', () => {
    const out = encodeText(
      { type: 'error', id: 'c7', code: 'rate_limited', message: 'Slow down', retryAfterMs: 800 },
      '#lobby',
    );
    assert.equal(out, '! Slow down [rate_limited]\n');
  });

  test('the time is the server local HH:MM of ts', () => {
    assert.equal(encodeText(msg({ ts: at(9, 5) }), '#lobby'), '[09:05] <Bob> hello\n');
  });
});

describe('encodeText: multi-line texts', () => {
  test('each line of a message gets the same prefix', () => {
    assert.equal(
      encodeText(msg({ text: 'line one\nline two\nline three' }), '#lobby'),
      '[14:02] <Bob> line one\n[14:02] <Bob> line two\n[14:02] <Bob> line three\n',
    );
  });

  test('multi-line message in another room', () => {
    assert.equal(
      encodeText(msg({ room: '#dev', text: 'a\nb' }), '#lobby'),
      '[14:02] #dev <Bob> a\n[14:02] #dev <Bob> b\n',
    );
  });

  test('multi-line action', () => {
    assert.equal(
      encodeText(msg({ text: 'a\nb', action: true }), '#lobby'),
      '[14:02] * Bob a\n[14:02] * Bob b\n',
    );
  });

  test('multi-line private message', () => {
    const e: PrivateEvent = {
      type: 'private',
      from: 'Bob',
      to: 'Alice',
      ts: TS,
      text: 'x\ny',
      action: false,
    };
    assert.equal(encodeText(e, '#lobby'), '[14:02] *Bob* x\n[14:02] *Bob* y\n');
  });

  test('an empty line inside a message keeps its prefix (no bare line)', () => {
    assert.equal(
      encodeText(msg({ text: 'a\n\nb' }), '#lobby'),
      '[14:02] <Bob> a\n[14:02] <Bob> \n[14:02] <Bob> b\n',
    );
  });

  test('a line that looks like a system notice cannot be forged by a message', () => {
    const out = encodeText(
      msg({ text: 'hi\n* Server shutting down\n! fake [internal]' }),
      '#lobby',
    );
    for (const line of linesOf(out)) assert.ok(line.startsWith('[14:02] <Bob> '), line);
  });
});

describe('encodeTextPieces: what encodeText gives, in pieces for the batch', () => {
  const events: ServerEvent[] = [
    msg(),
    msg({ room: '#dev', text: 'build is green' }),
    msg({ text: 'waves', action: true }),
    msg({ room: '#dev', text: 'waves', action: true }),
    msg({ text: 'a\nb' }),
    msg({ text: 'ü 日本語 🎉' }),
    sys({ event: 'join', user: 'Bob', room: '#lobby' }),
  ];
  for (const e of events) {
    test(JSON.stringify(e).slice(0, 70), () => {
      for (const here of ['#lobby', '#dev']) {
        const pieces = encodeTextPieces(e, here);
        const joined = typeof pieces === 'string' ? pieces : pieces.join('');
        assert.equal(joined, encodeText(e, here));
      }
    });
  }

  test('a one-line message keeps its text as its own piece, not copied into the line', () => {
    const e = msg({ text: 'x'.repeat(512) });
    const pieces = encodeTextPieces(e, '#lobby');
    assert.ok(Array.isArray(pieces));
    assert.equal(pieces[1], e.text);
  });
});

describe('encodeText: system events', () => {
  const cases: Array<[SystemEvent, string]> = [
    [sys({ event: 'join', user: 'Bob', room: '#dev' }), '* Bob joined #dev\n'],
    [sys({ event: 'part', user: 'Bob', room: '#dev' }), '* Bob left #dev\n'],
    [
      sys({ event: 'part', user: 'Bob', room: '#dev', reason: 'bored' }),
      '* Bob left #dev (bored)\n',
    ],
    [sys({ event: 'quit', user: 'Bob' }), '* Bob quit\n'],
    [sys({ event: 'quit', user: 'Bob', reason: 'bye' }), '* Bob quit (bye)\n'],
    [sys({ event: 'nick', user: 'Bob', name: 'Robert' }), '* Bob is now known as Robert\n'],
    [
      sys({ event: 'topic', user: 'Bob', room: '#dev', text: 'CI' }),
      '* Bob set the topic of #dev: CI\n',
    ],
    [
      sys({ event: 'topic', user: 'Bob', room: '#dev', text: '' }),
      '* Bob cleared the topic of #dev\n',
    ],
    [
      sys({ event: 'kick', user: 'Zed', by: 'Op', reason: 'spam' }),
      '* Zed was kicked by Op (spam)\n',
    ],
    [sys({ event: 'kick', user: 'Zed' }), '* Zed was kicked\n'],
    [sys({ event: 'away', user: 'Bob', text: 'lunch' }), '* Bob is away: lunch\n'],
    [sys({ event: 'away', user: 'Bob', text: '' }), '* Bob is back\n'],
    [sys({ event: 'shutdown' }), '* Server shutting down\n'],
    [sys({ event: 'shutdown', reason: 'maintenance' }), '* Server shutting down: maintenance\n'],
    [
      sys({ event: 'reset', room: '#dev' }),
      '* History of #dev was reset; showing recent messages\n',
    ],
    [
      sys({ event: 'reset', room: '@' }),
      '* History of your private messages was reset; showing recent ones\n',
    ],
  ];
  for (const [e, want] of cases) {
    test(`${e.event}: ${want.trim()}`, () => assert.equal(encodeText(e, '#lobby'), want));
  }

  test('presence aggregate: * 37 joined, 12 left #lobby (§6)', () => {
    const joined = Array.from({ length: 37 }, (_, i) => `u${i}`);
    const left = Array.from({ length: 12 }, (_, i) => `v${i}`);
    assert.equal(
      encodeText(sys({ event: 'presence', room: '#lobby', joined, left }), '#lobby'),
      '* 37 joined, 12 left #lobby\n',
    );
  });

  test('presence with joins only', () => {
    assert.equal(
      encodeText(sys({ event: 'presence', room: '#big', joined: ['a', 'b'] }), '#lobby'),
      '* 2 joined #big\n',
    );
  });
});

describe('encodeText: replies', () => {
  test('acks of messages are not echoed (split horizon)', () => {
    assert.equal(encodeText({ type: 'ack', id: 'c7', op: 'say', seq: 42, ts: TS }, '#lobby'), '');
    assert.equal(encodeText({ type: 'ack', op: 'dm', ts: TS }, '#lobby'), '');
  });

  test('a /msg to an away user says so', () => {
    assert.equal(
      encodeText({ type: 'ack', op: 'dm', ts: TS, name: 'Bob', text: 'lunch' }, '#lobby'),
      '* Bob is away: lunch\n',
    );
  });

  test('join confirmation', () => {
    assert.equal(
      encodeText({ type: 'ack', op: 'join', ts: TS, room: '#dev' }, '#dev'),
      '* You are now in #dev\n',
    );
  });

  test('who: count, room and away texts', () => {
    assert.equal(
      encodeText(
        { type: 'who', room: '#lobby', users: [{ name: 'Alice' }, { name: 'Bob', away: 'lunch' }] },
        '#lobby',
      ),
      '* 2 users in #lobby: Alice, Bob (away: lunch)\n',
    );
    assert.equal(
      encodeText({ type: 'who', room: '*', users: [{ name: 'Alice' }] }, '#lobby'),
      '* 1 user online: Alice\n',
    );
  });

  test('rooms: a header and one * line per room', () => {
    assert.equal(
      encodeText(
        {
          type: 'rooms',
          rooms: [
            { name: '#lobby', members: 3, topic: '' },
            { name: '#dev', members: 1, topic: 'CI' },
          ],
        },
        '#lobby',
      ),
      '* 2 rooms:\n*   #lobby (3)\n*   #dev (1) — CI\n',
    );
  });

  test('ping and pong render nothing', () => {
    assert.equal(encodeText({ type: 'ping' }, '#lobby'), '');
    assert.equal(encodeText({ type: 'pong', id: 'p' }, '#lobby'), '');
  });

  test('history: framed, oldest first, each message in its shape', () => {
    const h: HistoryEvent = {
      type: 'history',
      room: '#dev',
      epoch: 'e1',
      messages: [
        msg({ room: '#dev', seq: 1, text: 'first' }),
        msg({ room: '#dev', seq: 2, text: 'second', from: 'Carol' }),
      ],
      more: true,
      gap: false,
    };
    const lines = linesOf(encodeText(h, '#dev'));
    assert.equal(lines.length, 4);
    assert.match(lines[0] ?? '', /^\* .*history of #dev/u);
    assert.equal(lines[1], '[14:02] <Bob> first');
    assert.equal(lines[2], '[14:02] <Carol> second');
    assert.match(lines[3] ?? '', /^\* .*end of history.*\/history/u);
  });

  test('an empty history: nothing after a join; an answer to /history says so, or that messages were lost', () => {
    const h = emptyHistory('#dev');
    assert.equal(encodeText(h, '#dev'), '');
    assert.equal(
      encodeText({ ...h, [ASKED_FOR]: true }, '#dev'),
      '* No messages to show in #dev\n',
    );
    assert.equal(
      encodeText({ ...h, gap: true, [ASKED_FOR]: true }, '#dev'),
      '* Some messages in #dev are no longer stored\n',
    );
  });
});

describe('encodeText: every event renders only §3 shapes', () => {
  const events: ServerEvent[] = [
    msg(),
    msg({ room: '#dev' }),
    msg({ action: true }),
    msg({ room: '#dev', action: true, text: 'a\nb' }),
    { type: 'private', from: 'Bob', to: 'Alice', ts: TS, text: 'p\nq', action: false },
    { type: 'private', from: 'Bob', to: 'Alice', ts: TS, text: 'waves', action: true },
    sys({ event: 'join', user: 'Bob', room: '#lobby' }),
    sys({ event: 'quit', user: 'Bob', reason: 'bye' }),
    sys({ event: 'presence', room: '#lobby', joined: ['a'], left: ['b'] }),
    sys({ event: 'shutdown' }),
    {
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
      server: { name: 'chat', version: '0.1.0' },
      epochs: { '#lobby': 'e' },
      seqs: {},
    },
    {
      type: 'history',
      room: '#lobby',
      epoch: 'e',
      messages: [msg(), msg({ action: true })],
      more: false,
      gap: true,
    },
    { type: 'ack', op: 'join', ts: TS, room: '#dev' },
    { type: 'ack', op: 'part', ts: TS, room: '#dev', text: '#lobby' },
    { type: 'ack', op: 'nick', ts: TS, name: 'Robert' },
    { type: 'ack', op: 'topic', ts: TS, room: '#dev', text: 'CI' },
    { type: 'ack', op: 'topic', ts: TS, room: '#dev' },
    { type: 'ack', op: 'away', ts: TS, text: 'lunch' },
    { type: 'ack', op: 'away', ts: TS },
    { type: 'ack', op: 'ignore', ts: TS, name: 'Zed' },
    { type: 'ack', op: 'ignore', ts: TS, text: '' },
    { type: 'ack', op: 'unignore', ts: TS, name: 'Zed' },
    { type: 'error', code: 'not_found', message: 'Unknown user: Zed' },
    { type: 'who', room: '#lobby', users: [{ name: 'Alice' }] },
    { type: 'rooms', rooms: [{ name: '#lobby', members: 1, topic: 't' }] },
    {
      type: 'help',
      commands: [
        { name: 'who', usage: '/who [#room | *]', summary: 's' },
        { name: 'me', usage: '/me text', summary: 's' },
      ],
    },
    { type: 'help', commands: [{ name: 'nick', usage: '/nick newnick', summary: 's' }] },
  ];
  for (const e of events) {
    test(`${e.type}${'event' in e ? ' ' + e.event : ''}${'op' in e ? ' ' + e.op : ''}`, () => {
      for (const here of ['#lobby', '#dev']) {
        for (const line of linesOf(encodeText(e, here))) {
          assert.match(line, SHAPE, `line ${JSON.stringify(line)} is not a §3 shape`);
        }
      }
    });
  }

  test('welcome is a * line greeting the user', () => {
    const out = encodeText(events[10]!, '#lobby');
    assert.match(out, /^\* .*Alice/u);
    assert.equal(linesOf(out).length, 1);
  });

  test('welcome in a big room names a few members and counts the rest', () => {
    const welcome = { ...(events[10] as Extract<ServerEvent, { type: 'welcome' }>) };
    welcome.members = ['Alice', 'Bob', 'Carol'];
    welcome.memberCount = 5000;
    assert.equal(
      encodeText(welcome, '#lobby'),
      '* Welcome, Alice! You are in #lobby with Bob, Carol and 4997 more. Type /help for commands.\n',
    );
  });
});

describe('TextEncoder', () => {
  test('same event, same current room: the same Buffer instance twice', () => {
    const enc = new TextEncoder();
    const e = msg();
    const a = enc.encode(e, '#lobby');
    const b = enc.encode(e, '#lobby');
    assert.equal(a, b);
    assert.equal(a.toString('utf8'), encodeText(e, '#lobby'));
  });

  test('same event, another room: cached separately and rendered with #room', () => {
    const enc = new TextEncoder();
    const e = msg();
    const here = enc.encode(e, '#lobby');
    const there = enc.encode(e, '#dev');
    assert.notEqual(here, there);
    assert.equal(there.toString('utf8'), '[14:02] #lobby <Bob> hello\n');
    assert.equal(enc.encode(e, '#dev'), there);
    assert.equal(enc.encode(e, '#lobby'), here);
  });

  test('recipients in different other rooms share one rendering', () => {
    const enc = new TextEncoder();
    const e = msg();
    assert.equal(enc.encode(e, '#dev'), enc.encode(e, '#ops'));
  });

  test('non-message events are formatted once whatever the current room', () => {
    const enc = new TextEncoder();
    const e = sys({ event: 'quit', user: 'Bob' });
    const a = enc.encode(e, '#lobby');
    assert.equal(enc.encode(e, '#dev'), a);
    assert.equal(a.toString('utf8'), '* Bob quit\n');
  });

  test('cache is per event object: an equal but distinct event is formatted anew', () => {
    const enc = new TextEncoder();
    const a = enc.encode(msg(), '#lobby');
    const b = enc.encode(msg(), '#lobby');
    assert.notEqual(a, b);
    assert.deepEqual(a, b);
  });

  test('bytes are UTF-8', () => {
    const enc = new TextEncoder();
    const e = msg({ text: 'héllo 你好 👋' });
    assert.deepEqual(enc.encode(e, '#lobby'), Buffer.from('[14:02] <Bob> héllo 你好 👋\n', 'utf8'));
  });

  test('encode(e, here) always equals encodeText(e, here), whatever was cached before', () => {
    const enc = new TextEncoder();
    const events: ServerEvent[] = [
      msg(),
      msg({ room: '#dev', action: true }),
      { type: 'private', from: 'Bob', to: 'Alice', ts: TS, text: 'p', action: false },
      sys({ event: 'join', user: 'Bob', room: '#dev' }),
      { type: 'error', code: 'not_found', message: 'Unknown user: Zed' },
    ];
    for (const e of events) {
      for (const here of ['#lobby', '#dev', '#ops', '#lobby', '#dev']) {
        assert.equal(
          enc.encode(e, here).toString('utf8'),
          encodeText(e, here),
          `${e.type} ${here}`,
        );
      }
    }
  });

  test('an event that renders nothing gives an empty Buffer', () => {
    const enc = new TextEncoder();
    assert.equal(enc.encode({ type: 'ping' }, '#lobby').length, 0);
  });
});
