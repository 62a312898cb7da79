/**
 * One phrasebook (src/protocol/phrases.ts): text mode and chat-client word
 * every system event, the shared acks and /whois alike. Every event type is
 * rendered through both and the words compared, so the two can no longer
 * drift apart (as the kick notice once did, losing who kicked).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderAck, renderEvent } from '../../src/client/render.js';
import type {
  AckEvent,
  ErrorEvent,
  HelpEvent,
  HistoryEvent,
  MessageEvent,
  RoomsEvent,
  ServerEvent,
  WelcomeEvent,
  WhoEvent,
  SystemEvent,
  SystemEventName,
  WhoisEvent,
} from '../../src/protocol/messages.js';
import type { Request } from '../../src/protocol/commands.js';
import {
  duration,
  errorPhrase,
  HELP_HEAD,
  HELP_HINT,
  helpEntryPhrase,
  historyFootPhrase,
  historyHeadPhrase,
  plain,
  roomsHeadPhrase,
  welcomePhrase,
  whoEntryPhrase,
  whoHeadPhrase,
} from '../../src/protocol/phrases.js';
import { encodeText } from '../../src/protocol/text-encode.js';

const ts = '2026-01-01T12:00:00.000Z';
const sys = (event: SystemEventName, f: Partial<SystemEvent>): SystemEvent => ({
  type: 'system',
  event,
  ts,
  ...f,
});

/** Every system event, in each of its shapes; the Record makes a new event name a compile error here. */
const SYSTEM: Record<SystemEventName, SystemEvent[]> = {
  join: [sys('join', { user: 'Bob', room: '#dev' })],
  part: [
    sys('part', { user: 'Bob', room: '#dev' }),
    sys('part', { user: 'Bob', room: '#dev', reason: 'bye' }),
  ],
  quit: [
    sys('quit', { user: 'Bob', reason: 'connection lost' }),
    sys('quit', { user: 'Bob' }),
    sys('quit', { user: 'Bob', reason: 'quit' }),
  ],
  nick: [sys('nick', { user: 'Bob', name: 'Robert' })],
  topic: [
    sys('topic', { user: 'Bob', room: '#dev', text: 'CI is green' }),
    sys('topic', { user: 'Bob', room: '#dev', text: '' }),
  ],
  kick: [
    sys('kick', { user: 'Bob', by: 'Op', reason: 'spam' }),
    sys('kick', { user: 'Bob', by: 'Op' }),
  ],
  away: [sys('away', { user: 'Bob', text: 'lunch' }), sys('away', { user: 'Bob', text: '' })],
  motd: [sys('motd', { text: 'Welcome\nBe kind' })],
  presence: [sys('presence', { room: '#big', joined: ['a', 'b'], left: ['c'] })],
  reset: [sys('reset', { room: '#dev' })],
  shutdown: [sys('shutdown', { reason: 'maintenance' }), sys('shutdown', {})],
  mute: [
    sys('mute', { user: 'Bob', by: 'Op', reason: 'spam', text: '2026-01-01T12:10:00.000Z' }),
    sys('mute', { user: 'Bob', by: 'Op' }),
  ],
  unmute: [sys('unmute', { user: 'Bob', by: 'Op' })],
  file: [sys('file', { user: 'Bob', text: 'notes.pdf (2.1 MiB)' })],
};

const ctx = { self: 'Ann', room: '#dev', color: false };

/** Text-mode lines without the trailing newline. */
function textLines(bytes: string): string[] {
  return bytes.split('\n').filter((l) => l !== '');
}

describe('text mode and chat-client say the same words', () => {
  for (const [name, events] of Object.entries(SYSTEM)) {
    for (const e of events) {
      test(`system ${name} ${JSON.stringify(e)}`, () => {
        const text = textLines(encodeText(e, '#dev'));
        const client = renderEvent(e, ctx)?.split('\n');
        assert.deepEqual(client, text);
      });
    }
  }

  test('kick names who did it, in both', () => {
    const e = SYSTEM.kick[0]!;
    assert.equal(encodeText(e, ''), '* Bob was kicked by Op (spam)\n');
    assert.equal(renderEvent(e, ctx), '* Bob was kicked by Op (spam)');
  });

  test('a /quit without a reason is said once: "Bob quit", not "Bob quit (quit)"', () => {
    const e = SYSTEM.quit[2]!;
    assert.equal(encodeText(e, ''), '* Bob quit\n');
    assert.equal(renderEvent(e, ctx), '* Bob quit');
    assert.equal(encodeText(SYSTEM.quit[0]!, ''), '* Bob quit (connection lost)\n');
  });

  const acks: Array<[AckEvent, Request]> = [
    [
      { type: 'ack', op: 'join', ts, room: '#dev' },
      { type: 'join', room: '#dev' },
    ],
    [
      { type: 'ack', op: 'nick', ts, name: 'Robert' },
      { type: 'nick', name: 'Robert' },
    ],
    [
      { type: 'ack', op: 'topic', ts, room: '#dev', text: 'x' },
      { type: 'topic', text: 'x' },
    ],
    [{ type: 'ack', op: 'topic', ts, room: '#dev', text: '' }, { type: 'topic' }],
    [
      { type: 'ack', op: 'away', ts, text: 'lunch' },
      { type: 'away', text: 'lunch' },
    ],
    [{ type: 'ack', op: 'away', ts, text: '' }, { type: 'away' }],
    [
      { type: 'ack', op: 'ignore', ts, name: 'Zed' },
      { type: 'ignore', name: 'Zed' },
    ],
    [{ type: 'ack', op: 'ignore', ts, text: '' }, { type: 'ignore' }],
    [
      { type: 'ack', op: 'unignore', ts, name: 'Zed' },
      { type: 'unignore', name: 'Zed' },
    ],
    // Operators' moderation and /passwd are confirmed in words in chat-client too.
    [
      { type: 'ack', op: 'mute', ts, name: 'Zed', text: '2026-01-01T12:10:00.000Z' },
      { type: 'mute', name: 'Zed', duration: '10m' },
    ],
    [
      { type: 'ack', op: 'ban', ts, name: 'Zed', text: '2026-01-01T13:00:00.000Z' },
      { type: 'ban', name: 'Zed', duration: '1h' },
    ],
    [
      { type: 'ack', op: 'ban', ts, name: '203.0.113.0/24' },
      { type: 'ban', address: '203.0.113.0/24' },
    ],
    [
      { type: 'ack', op: 'unban', ts, name: 'Zed' },
      { type: 'unban', name: 'Zed' },
    ],
    [
      { type: 'ack', op: 'unmute', ts, name: 'Zed' },
      { type: 'unmute', name: 'Zed' },
    ],
  ];
  test('an operator sees their mute confirmed, not nothing', () => {
    const line = renderAck(
      { type: 'ack', op: 'mute', ts, name: 'Zed' },
      { type: 'mute', name: 'Zed' },
      ctx,
    );
    assert.equal(line, '* Zed is muted');
    const ban = {
      type: 'ack',
      op: 'ban',
      ts,
      name: 'Zed',
      text: '2026-01-01T13:00:00.000Z',
    } as const;
    assert.equal(
      renderAck(ban, { type: 'ban', name: 'Zed' }, ctx),
      '* Zed is banned until 2026-01-01 13:00 UTC',
    );
  });
  for (const [ack, req] of acks) {
    test(`ack ${ack.op} ${JSON.stringify(ack)}`, () => {
      assert.deepEqual(renderAck(ack, req, ctx)?.split('\n'), textLines(encodeText(ack, '#dev')));
    });
  }

  const whois: WhoisEvent[] = [
    {
      type: 'whois',
      name: 'Bob',
      account: false,
      operator: false,
      bot: false,
      rooms: [],
      since: ts,
      idle: 5,
    },
    {
      type: 'whois',
      name: 'Op',
      account: true,
      operator: true,
      bot: true,
      rooms: ['#dev', '#lobby'],
      since: ts,
      idle: 3725,
      away: 'lunch',
      address: '10.0.0.7',
    },
  ];
  for (const e of whois) {
    test(`whois ${e.name}`, () => {
      const text = textLines(encodeText(e, '#dev'));
      assert.deepEqual(renderEvent(e, ctx)?.split('\n'), text);
      assert.equal(text.length, e.address ? 5 : 3);
    });
  }
});

/**
 * The replies each side lays out its own way (one line in text mode, columns
 * in chat-client), with the phrases both must say word for word.
 */
const message = (seq: number, text: string): MessageEvent => ({
  type: 'message',
  room: '#dev',
  from: 'Bob',
  text,
  ts,
  seq,
  action: false,
});
const LAID_OUT: Array<[string, ServerEvent, string[]]> = [];
{
  const welcomes = [
    { members: ['Ann'], memberCount: 1 },
    { members: ['Ann', 'Bob', 'Cy'], memberCount: 3 },
    { members: ['Ann', 'Bob'], memberCount: 40 },
  ];
  for (const w of welcomes) {
    const e: WelcomeEvent = {
      type: 'welcome',
      name: 'Ann',
      rooms: ['#lobby', '#dev'],
      ...w,
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
      server: { name: 'chat', version: '1.0' },
      epochs: {},
      seqs: {},
    };
    LAID_OUT.push([`welcome of ${w.memberCount}`, e, [plain(welcomePhrase(e)), HELP_HINT]]);
  }
  for (const room of ['*', '#dev']) {
    const e: WhoEvent = {
      type: 'who',
      room,
      users: [
        { name: 'Ann' },
        { name: 'Op', operator: true },
        { name: 'Robo', bot: true, away: 'charging' },
      ],
    };
    LAID_OUT.push([
      `who ${room}`,
      e,
      [plain(whoHeadPhrase(e)), ...e.users.map((u) => plain(whoEntryPhrase(u)))],
    ]);
  }
  const rooms: RoomsEvent = {
    type: 'rooms',
    rooms: [
      { name: '#dev', members: 1, topic: '' },
      { name: '#lobby', members: 12, topic: 'hi' },
    ],
  };
  LAID_OUT.push(['rooms', rooms, [plain(roomsHeadPhrase(rooms))]]);
  const commands = [
    { name: 'join', usage: '/join #room', summary: 'join a room' },
    { name: 'part', usage: '/part [#room]', summary: 'leave a room' },
  ];
  LAID_OUT.push(['help', { type: 'help', commands }, [HELP_HEAD]]);
  const one: HelpEvent = { type: 'help', commands: commands.slice(0, 1) };
  LAID_OUT.push(['help for one', one, [plain(helpEntryPhrase(commands[0]!))]]);
  for (const [gap, more] of [
    [false, false],
    [true, true],
  ] as const) {
    const e: HistoryEvent = {
      type: 'history',
      room: '#dev',
      epoch: 'e',
      messages: [message(1, 'one'), message(2, 'two')],
      gap,
      more,
    };
    LAID_OUT.push([
      `history gap=${gap} more=${more}`,
      e,
      [plain(historyHeadPhrase(e)), plain(historyFootPhrase(e))],
    ]);
  }
  const error: ErrorEvent = { type: 'error', code: 'not_found', message: 'No such room: #x' };
  // The sentence is shared; the code is for programs (nc scripts), not chat-client's screen.
  LAID_OUT.push(['error', error, [plain(errorPhrase(error.message, undefined))]]);
}

test('an error keeps its code for nc scripts and drops it from the chat-client screen', () => {
  const error: ErrorEvent = { type: 'error', code: 'not_found', message: 'No such room: #x' };
  assert.equal(encodeText(error, '#dev'), '! No such room: #x [not_found]\n');
  assert.equal(renderEvent(error, ctx), '! No such room: #x');
});

describe('replies laid out apart still say the phrasebook words in both', () => {
  for (const [what, e, phrases] of LAID_OUT) {
    test(what, () => {
      const text = encodeText(e, '#dev');
      const client = renderEvent(e, ctx) ?? '';
      for (const phrase of phrases) {
        assert.ok(text.includes(phrase), `text mode lacks ${JSON.stringify(phrase)}:\n${text}`);
        assert.ok(
          client.includes(phrase),
          `chat-client lacks ${JSON.stringify(phrase)}:\n${client}`,
        );
      }
    });
  }

  test('the welcome counts the unnamed members and names the rest', () => {
    const e = LAID_OUT.find(([w]) => w === 'welcome of 40')![1];
    assert.match(encodeText(e, ''), /You are in #lobby, #dev with Bob and 38 more\. Type \/help/u);
  });
});

test('duration reads at a glance', () => {
  assert.equal(duration(0), '0s');
  assert.equal(duration(59.9), '59s');
  assert.equal(duration(130), '2m 10s');
  assert.equal(duration(3725), '1h 2m');
  assert.equal(duration(-3), '0s');
});
