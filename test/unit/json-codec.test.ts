/**
 * docs/protocol.md §2 (hello) and §4 (JSON mode): one JSON object per line with a
 * `type`; every refusal is `bad_request` carrying the request's string `id`
 * when it had one; user text is sanitized, multi-line text keeps its LFs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChatError } from '../../src/protocol/errors.js';
import {
  decodeHello,
  decodeJsonRequest,
  JsonCodec,
  JsonDecodeError,
  JsonEncoder,
} from '../../src/protocol/json-codec.js';
import type { MessageEvent, ServerEvent } from '../../src/protocol/messages.js';
import type { Decoded } from '../../src/protocol/codec.js';

const J = (v: unknown): string => JSON.stringify(v);

/** Assert decodeJsonRequest refuses `line` with bad_request and the given requestId. */
function refusedRequest(line: string, requestId: string | undefined, pattern?: RegExp): void {
  assert.throws(
    () => decodeJsonRequest(line),
    (err: unknown) => {
      assert.ok(err instanceof JsonDecodeError, `not a JsonDecodeError: ${String(err)}`);
      assert.ok(err instanceof ChatError);
      assert.equal(err.code, 'bad_request');
      assert.equal(err.requestId, requestId);
      assert.ok(err.message.length > 0);
      if (pattern) assert.match(err.message, pattern);
      return true;
    },
  );
}

function refusedHello(line: string, pattern?: RegExp): void {
  assert.throws(
    () => decodeHello(line),
    (err: unknown) => {
      assert.ok(err instanceof ChatError, `not a ChatError: ${String(err)}`);
      assert.equal(err.code, 'bad_request');
      if (pattern) assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('decodeHello', () => {
  test('minimal hello', () => {
    assert.deepEqual(decodeHello(J({ type: 'hello', version: 1, name: 'Alice' })), {
      type: 'hello',
      version: 1,
      name: 'Alice',
    });
  });

  test('refusals name the field in the words of the protocol, not of the validator', () => {
    const said = (line: string): string => {
      try {
        decodeJsonRequest(line);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    assert.equal(said('{"type":"say"}'), 'Missing "text" (a string)');
    assert.equal(said('{"type":"say","text":5}'), '"text" must be a string, not a number');
    assert.equal(
      said('{"type":"say","text":"x","action":[]}'),
      '"action" must be a boolean, not an array',
    );
    assert.equal(said('{"type":"history","limit":900}'), '"limit" must be at most 500');
    assert.equal(said('{"type":"history","limit":0}'), '"limit" must be more than 0');
  });

  test('a request line that starts with a byte order mark is read without it', () => {
    const codec = new JsonCodec();
    const d = codec.decode(Buffer.from('\ufeff{"type":"say","text":"hi"}'));
    assert.equal(d.kind, 'request');
    assert.deepEqual(d.kind === 'request' && d.request, { type: 'say', text: 'hi' });
  });

  test('hello with password, resume (bare seq and seq+epoch) and history', () => {
    const hello = {
      type: 'hello',
      version: 1,
      name: 'Alice',
      password: 'secret',
      resume: { '#lobby': 41, '#dev': { seq: 7, epoch: 'e-1' }, '@': { seq: 3 } },
      history: 0,
    };
    assert.deepEqual(decodeHello(J(hello)), hello);
  });

  test('the example hello of docs/protocol.md §4', () => {
    const h = decodeHello(
      '{"type":"hello","version":1,"name":"Alice","password":"…","resume":{"#lobby":41}}',
    );
    assert.equal(h.name, 'Alice');
    assert.deepEqual(h.resume, { '#lobby': 41 });
  });

  test('an unknown key is refused, naming it', () =>
    refusedHello(J({ type: 'hello', version: 1, name: 'Alice', histroy: 0 }), /histroy/u));

  test('malformed JSON', () => refusedHello('{"type":"hello",', /JSON/u));
  test('not JSON at all', () => refusedHello('{hello}'));
  test('an array', () => refusedHello('[{"type":"hello"}]'));
  test('null', () => refusedHello('null'));
  test('a string', () => refusedHello('"hello"'));
  test('another type first', () => refusedHello(J({ type: 'say', text: 'hi' }), /hello/u));
  test('missing type', () => refusedHello(J({ version: 1, name: 'Alice' })));
  test('missing version', () => refusedHello(J({ type: 'hello', name: 'Alice' })));
  test('version as a string', () =>
    refusedHello(J({ type: 'hello', version: '1', name: 'Alice' })));
  test('version 0', () => refusedHello(J({ type: 'hello', version: 0, name: 'Alice' })));
  test('version 1.5', () => refusedHello(J({ type: 'hello', version: 1.5, name: 'Alice' })));
  test('missing name', () => refusedHello(J({ type: 'hello', version: 1 })));
  test('name not a string', () => refusedHello(J({ type: 'hello', version: 1, name: 42 })));
  test('huge name', () =>
    refusedHello(J({ type: 'hello', version: 1, name: 'a'.repeat(100_000) })));
  test('password not a string', () =>
    refusedHello(J({ type: 'hello', version: 1, name: 'A', password: 1234 })));
  test('resume not an object', () =>
    refusedHello(J({ type: 'hello', version: 1, name: 'A', resume: [41] })));
  test('resume with a negative seq', () =>
    refusedHello(J({ type: 'hello', version: 1, name: 'A', resume: { '#lobby': -1 } })));
  test('resume with an unknown key in a point', () =>
    refusedHello(
      J({ type: 'hello', version: 1, name: 'A', resume: { '#ok': { seq: 1, extra: 1 } } }),
    ));
  test('resume with a fractional seq', () =>
    refusedHello(J({ type: 'hello', version: 1, name: 'A', resume: { '#lobby': 1.5 } })));
  test('resume with a string seq', () =>
    refusedHello(J({ type: 'hello', version: 1, name: 'A', resume: { '#lobby': '41' } })));
  test('resume object without seq', () =>
    refusedHello(
      J({ type: 'hello', version: 1, name: 'A', resume: { '#lobby': { epoch: 'e' } } }),
    ));
  test('history above 500', () =>
    refusedHello(J({ type: 'hello', version: 1, name: 'A', history: 501 })));
  test('negative history', () =>
    refusedHello(J({ type: 'hello', version: 1, name: 'A', history: -1 })));

  test('deeply nested garbage in the hello is refused, not a crash', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    refusedHello(`{"type":"hello","version":1,"name":"A","resume":${deep}}`);
  });
});

describe('decodeJsonRequest: every request of docs/protocol.md §4', () => {
  const examples: Array<[string, Record<string, unknown>]> = [
    [
      '{"type":"say","id":"c7","room":"#lobby","text":"hi","action":false}',
      { type: 'say', id: 'c7', room: '#lobby', text: 'hi', action: false },
    ],
    [
      '{"type":"dm","id":"c8","to":"Bob","text":"psst"}',
      { type: 'dm', id: 'c8', to: 'Bob', text: 'psst' },
    ],
    ['{"type":"join","id":"c9","room":"#dev"}', { type: 'join', id: 'c9', room: '#dev' }],
    ['{"type":"part","room":"#dev"}', { type: 'part', room: '#dev' }],
    ['{"type":"nick","name":"Robert"}', { type: 'nick', name: 'Robert' }],
    ['{"type":"topic","room":"#dev","text":"CI"}', { type: 'topic', room: '#dev', text: 'CI' }],
    ['{"type":"who","id":"q1","room":"#dev"}', { type: 'who', id: 'q1', room: '#dev' }],
    ['{"type":"rooms","id":"q2"}', { type: 'rooms', id: 'q2' }],
    [
      '{"type":"history","id":"q3","room":"#dev","before":120,"limit":50}',
      { type: 'history', id: 'q3', room: '#dev', before: 120, limit: 50 },
    ],
    ['{"type":"register","password":"…"}', { type: 'register', password: '…' }],
    ['{"type":"away","text":"lunch"}', { type: 'away', text: 'lunch' }],
    ['{"type":"ignore","name":"Zed"}', { type: 'ignore', name: 'Zed' }],
    ['{"type":"unignore","name":"Zed"}', { type: 'unignore', name: 'Zed' }],
    ['{"type":"kick","name":"Zed","reason":"spam"}', { type: 'kick', name: 'Zed', reason: 'spam' }],
    ['{"type":"ban","name":"Zed"}', { type: 'ban', name: 'Zed' }],
    ['{"type":"unban","name":"Zed"}', { type: 'unban', name: 'Zed' }],
    ['{"type":"ping"}', { type: 'ping' }],
    ['{"type":"pong"}', { type: 'pong' }],
    ['{"type":"quit","reason":"bye"}', { type: 'quit', reason: 'bye' }],
    ['{"type":"help","id":"h","command":"nick"}', { type: 'help', id: 'h', command: 'nick' }],
    ['{"type":"who","room":"*"}', { type: 'who', room: '*' }],
    ['{"type":"ignore"}', { type: 'ignore' }],
    ['{"type":"away"}', { type: 'away' }],
    ['{"type":"topic"}', { type: 'topic' }],
    ['{"type":"say","text":"hi"}', { type: 'say', text: 'hi' }],
    ['{"type":"ping","id":"p1"}', { type: 'ping', id: 'p1' }],
  ];
  for (const [line, want] of examples) {
    test(line, () => assert.deepEqual(decodeJsonRequest(line), want));
  }

  test('surrounding whitespace around the object is fine', () => {
    assert.deepEqual(decodeJsonRequest('  {"type":"ping"}  '), { type: 'ping' });
  });

  test('unknown keys are refused, naming them', () => {
    refusedRequest(
      J({ type: 'say', id: 'u', text: 'x', extra: { a: 1 }, room2: '#x' }),
      'u',
      /Unknown keys "extra", "room2"/u,
    );
  });

  test('a __proto__ key is refused and pollutes nothing', () => {
    refusedRequest(
      '{"type":"say","text":"x","__proto__":{"polluted":true}}',
      undefined,
      /__proto__/u,
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('decodeJsonRequest: malformed and non-object lines', () => {
  const cases: Array<[string, string]> = [
    ['truncated object', '{"type":"say","text":"hi"'],
    ['trailing garbage', '{"type":"ping"} x'],
    ['two objects on one line', '{"type":"ping"}{"type":"ping"}'],
    ['single quotes', "{'type':'ping'}"],
    ['unquoted key', '{type:"ping"}'],
    ['trailing comma', '{"type":"ping",}'],
    ['empty', ''],
    ['just a brace', '{'],
    ['array', '[{"type":"ping","id":"a"}]'],
    ['empty array', '[]'],
    ['null', 'null'],
    ['number', '42'],
    ['string', '"ping"'],
    ['boolean', 'true'],
    ['invalid UTF-8 replacement characters', '{\ufffd\ufffd}'],
  ];
  for (const [label, line] of cases) {
    test(label, () => refusedRequest(line, undefined));
  }

  test('the message says to send a JSON object', () => {
    refusedRequest('nope', undefined, /JSON/u);
    refusedRequest('[1,2]', undefined, /object/u);
  });
});

describe('decodeJsonRequest: type', () => {
  test('missing type, id carried', () =>
    refusedRequest(J({ id: 'x1', text: 'hi' }), 'x1', /type/u));
  test('type not a string', () => refusedRequest(J({ id: 'x2', type: 5 }), 'x2'));
  test('type null', () => refusedRequest(J({ id: 'x3', type: null }), 'x3'));
  test('unknown type, named in the message', () =>
    refusedRequest(
      J({ id: 'x4', type: 'frobnicate' }),
      'x4',
      /Unknown request type "frobnicate"/u,
    ));
  test('hello after the handshake says the session is signed in already', () =>
    refusedRequest(
      J({ id: 'x5', type: 'hello', version: 1, name: 'A' }),
      'x5',
      /^Already signed in: .*send nick/u,
    ));
  test('a fraction where an integer is wanted names the number', () =>
    refusedRequest(
      J({ id: 'x9', type: 'history', limit: 1.5 }),
      'x9',
      /"limit" must be an integer, not 1\.5$/u,
    ));
  test('server-only types are not requests', () => {
    for (const type of ['welcome', 'message', 'private', 'system', 'ack', 'error']) {
      refusedRequest(J({ id: 'x6', type }), 'x6');
    }
  });
  test('type is case-sensitive', () =>
    refusedRequest(J({ id: 'x7', type: 'SAY', text: 'x' }), 'x7'));
  test('prototype names are not types', () => {
    for (const type of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      refusedRequest(J({ id: 'x8', type }), 'x8');
    }
  });
  test('a very long unknown type is cut in the message', () => {
    assert.throws(
      () => decodeJsonRequest(J({ type: 'z'.repeat(10_000) })),
      (err: unknown) => err instanceof JsonDecodeError && err.message.length < 200,
    );
  });
});

describe('decodeJsonRequest: wrong field types (id carried)', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['say without text', { type: 'say' }],
    ['say text a number', { type: 'say', text: 42 }],
    ['say text null', { type: 'say', text: null }],
    ['say text an array', { type: 'say', text: ['a', 'b'] }],
    ['say text an object', { type: 'say', text: { a: 1 } }],
    ['say action a string', { type: 'say', text: 'x', action: 'yes' }],
    ['say room a number', { type: 'say', text: 'x', room: 1 }],
    ['dm without to', { type: 'dm', text: 'x' }],
    ['dm without text', { type: 'dm', to: 'Bob' }],
    ['dm to an array', { type: 'dm', to: ['Bob'], text: 'x' }],
    ['join without room', { type: 'join' }],
    ['join room a number', { type: 'join', room: 5 }],
    ['part room null', { type: 'part', room: null }],
    ['nick without name', { type: 'nick' }],
    ['topic text a number', { type: 'topic', text: 1 }],
    ['who room a boolean', { type: 'who', room: true }],
    ['history limit a string', { type: 'history', limit: '10' }],
    ['history limit fractional', { type: 'history', limit: 1.5 }],
    ['history limit 0', { type: 'history', limit: 0 }],
    ['history limit 501', { type: 'history', limit: 501 }],
    ['history before negative', { type: 'history', before: -1 }],
    ['history before fractional', { type: 'history', before: 2.5 }],
    ['history before NaN-ish string', { type: 'history', before: 'NaN' }],
    ['register without password', { type: 'register' }],
    ['register empty password', { type: 'register', password: '' }],
    ['register password a number', { type: 'register', password: 1234 }],
    ['away text an object', { type: 'away', text: {} }],
    ['ignore name a number', { type: 'ignore', name: 3 }],
    ['unignore without name', { type: 'unignore' }],
    ['kick without name', { type: 'kick' }],
    ['kick reason a number', { type: 'kick', name: 'Zed', reason: 5 }],
    ['ban name a number', { type: 'ban', name: 7 }],
    ['ban address a boolean', { type: 'ban', address: true }],
    ['quit reason a boolean', { type: 'quit', reason: false }],
    ['help command a number', { type: 'help', command: 1 }],
  ];
  for (const [label, body] of cases) {
    test(label, () => refusedRequest(J({ id: 'r1', ...body }), 'r1'));
  }

  test('the message names the offending field', () => {
    refusedRequest(J({ id: 'r2', type: 'say', text: 42 }), 'r2', /text/u);
    refusedRequest(J({ id: 'r3', type: 'history', limit: 999 }), 'r3', /limit/u);
  });
});

describe('decodeJsonRequest: ids on errors', () => {
  test('a string id is carried', () => refusedRequest(J({ id: 'c7', type: 'say' }), 'c7'));

  test('an empty string id is carried', () => refusedRequest(J({ id: '', type: 'say' }), ''));

  test('a numeric id is not an id', () =>
    refusedRequest(J({ id: 7, type: 'say', text: 'x' }), undefined));

  test('an object id is not an id', () =>
    refusedRequest(J({ id: { x: 1 }, type: 'say', text: 'x' }), undefined));

  test('an id of 128 characters is carried on a refusal', () => {
    const id = 'i'.repeat(128);
    refusedRequest(J({ id, type: 'say' }), id);
  });

  test('an id of 129 characters is refused, and the refusal carries it (§4: one reply with the id)', () => {
    const id = 'i'.repeat(129);
    refusedRequest(J({ id, type: 'ping' }), id);
  });

  test('an id of 128 characters is accepted', () => {
    const id = 'i'.repeat(128);
    assert.deepEqual(decodeJsonRequest(J({ id, type: 'ping' })), { type: 'ping', id });
  });

  test('unicode ids are carried as is', () =>
    refusedRequest(J({ id: 'ид-👍', type: 'join' }), 'ид-👍'));

  test('no id, no requestId', () => refusedRequest(J({ type: 'join' }), undefined));

  test('JsonDecodeError is a ChatError with the same code and message', () => {
    const e = new JsonDecodeError(new ChatError('too_large', 'Too big'), 'z9');
    assert.ok(e instanceof ChatError);
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'too_large');
    assert.equal(e.message, 'Too big');
    assert.equal(e.requestId, 'z9');
  });
});

describe('decodeJsonRequest: size and depth', () => {
  test('a 64 KiB text is accepted', () => {
    const text = 'a'.repeat(65536);
    const req = decodeJsonRequest(J({ type: 'say', text }));
    assert.ok(req.type === 'say');
    assert.equal(req.text.length, 65536);
  });

  test('a text over 64 KiB is refused with the id', () => {
    refusedRequest(J({ id: 'big', type: 'say', text: 'a'.repeat(65537) }), 'big');
  });

  test('a huge text (1 MiB) is refused, not processed', () => {
    refusedRequest(J({ id: 'huge', type: 'say', text: 'x'.repeat(1 << 20) }), 'huge');
  });

  test('a huge room name is refused', () => {
    refusedRequest(J({ id: 'r', type: 'join', room: '#' + 'r'.repeat(10_000) }), 'r');
  });

  test('a huge password is refused', () => {
    refusedRequest(J({ id: 'p', type: 'register', password: 'p'.repeat(10_000) }), 'p');
  });

  test('deep nesting in a validated field is refused with the id', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    refusedRequest(`{"id":"d1","type":"say","text":${deep}}`, 'd1');
  });

  test('deep object nesting in a validated field is refused with the id', () => {
    const deep = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
    refusedRequest(`{"id":"d2","type":"dm","to":"Bob","text":${deep}}`, 'd2');
  });

  test('deep nesting in an unknown field is refused', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    refusedRequest(`{"type":"ping","junk":${deep}}`, undefined, /junk/u);
  });

  test('unbalanced deep nesting is malformed', () => {
    refusedRequest('{"type":"ping","junk":' + '['.repeat(100_000), undefined);
  });

  test('a whole line of nested arrays is not an object', () => {
    refusedRequest('['.repeat(100_000) + ']'.repeat(100_000), undefined);
  });

  test('many unknown keys: refused with a short message', () => {
    const obj: Record<string, unknown> = { type: 'ping', id: 'k' };
    for (let i = 0; i < 10_000; i++) obj[`k${i}`] = i;
    assert.throws(
      () => decodeJsonRequest(J(obj)),
      (err: unknown) =>
        err instanceof ChatError && err.message.length < 200 && /9997 more/u.test(err.message),
    );
  });
});

describe('decodeJsonRequest: sanitizing user text', () => {
  const ESC = '\x1b';

  test('say text loses escape sequences and controls', () => {
    const req = decodeJsonRequest(J({ type: 'say', text: `${ESC}[31mred${ESC}[0m plain\x07` }));
    assert.deepEqual(req, { type: 'say', text: 'red plain' });
  });

  test('say keeps its line breaks and sanitizes each line', () => {
    const text = `line1\x07\nline2${ESC}]0;pwned\x07\r\nline3${ESC}[2J`;
    assert.deepEqual(decodeJsonRequest(J({ type: 'say', text })), {
      type: 'say',
      text: 'line1\nline2\nline3',
    });
  });

  test('an unterminated OSC does not swallow the following lines', () => {
    const req = decodeJsonRequest(J({ type: 'say', text: `a${ESC}]0;x\nb\nc` }));
    assert.deepEqual(req, { type: 'say', text: 'a\nb\nc' });
  });

  test('dm keeps its line breaks and sanitizes each line', () => {
    const req = decodeJsonRequest(J({ type: 'dm', to: 'Bob', text: `a\u009b2J\nb\u202e` }));
    assert.deepEqual(req, { type: 'dm', to: 'Bob', text: 'a\nb' });
  });

  test('bidi overrides and C1 controls are removed from say', () => {
    const req = decodeJsonRequest(J({ type: 'say', text: 'x\u202ey\u2066z\u0085w' }));
    assert.deepEqual(req, { type: 'say', text: 'xyzw' });
  });

  test('TAB is kept', () => {
    assert.deepEqual(decodeJsonRequest(J({ type: 'say', text: 'a\tb' })), {
      type: 'say',
      text: 'a\tb',
    });
  });

  test('unicode text is kept', () => {
    const text = 'héllo 你好 👨‍👩‍👧 مرحبا';
    assert.deepEqual(decodeJsonRequest(J({ type: 'say', text })), { type: 'say', text });
  });

  test('topic is one line: newlines and escapes removed', () => {
    assert.deepEqual(decodeJsonRequest(J({ type: 'topic', text: `a\nb${ESC}[1mc` })), {
      type: 'topic',
      text: 'abc',
    });
  });

  for (const [type, field, extra] of [
    ['part', 'reason', {}],
    ['quit', 'reason', {}],
    ['kick', 'reason', { name: 'Zed' }],
    ['away', 'text', {}],
    ['topic', 'text', {}],
  ] as const) {
    test(`${type}.${field} is sanitized to one clean line`, () => {
      const req = decodeJsonRequest(
        J({ type, ...extra, [field]: `bye${ESC}[2J\r\n${ESC}]0;t\x07now\x00` }),
      ) as unknown as Record<string, unknown>;
      assert.equal(req[field], 'byenow');
    });
  }
});

describe('JsonEncoder', () => {
  const event: MessageEvent = {
    type: 'message',
    room: '#lobby',
    seq: 42,
    ts: '2026-11-25T14:02:03.120Z',
    from: 'Bob',
    text: 'hello\nworld \u2028 👋',
    action: false,
  };

  test('one JSON object and one LF', () => {
    const bytes = new JsonEncoder().encode(event);
    const s = bytes.toString('utf8');
    assert.ok(s.endsWith('\n'));
    assert.equal(s.indexOf('\n'), s.length - 1, 'a newline inside text must be escaped');
    assert.deepEqual(JSON.parse(s), event);
  });

  test('a room message is byte for byte what JSON.stringify gives, whatever its text', () => {
    const texts = [
      'plain words, and punctuation: ~!@#$%^&*()_+{}|<>?',
      'a "quoted" word',
      'back\\slash',
      'tab\there, bell \u0007, DEL \u007f',
      'café 👋 \u2028 \ud800 lone',
      '',
      ' '.repeat(600),
    ];
    for (const text of texts) {
      for (const extra of [{}, { mention: true as const }]) {
        for (const who of [
          { room: '#lobby', from: 'Bob' },
          { room: '#café', from: 'Zoë' },
          { room: '#a"b', from: 'x\\y' },
        ]) {
          const e: ServerEvent = { ...event, ...who, text, action: text === '', ...extra };
          assert.equal(
            new JsonEncoder().encode(e).toString('utf8'),
            JSON.stringify(e) + '\n',
            JSON.stringify(e),
          );
        }
      }
    }
  });

  test("a say's ack is byte for byte what JSON.stringify gives, in every shape", () => {
    const base = { type: 'ack', id: 'c7', op: 'say', ts: event.ts, seq: 42, room: '#lobby' };
    const acks: ServerEvent[] = [
      base as ServerEvent,
      { ...base, id: 'quo"te' } as ServerEvent,
      { ...base, id: 'back\\slash' } as ServerEvent,
      { ...base, room: '#café' } as ServerEvent,
      { ...base, seq: 1.5 } as ServerEvent,
      // Other key orders and sets, as the general ack() could make them.
      { type: 'ack', id: 'c7', op: 'say', ts: event.ts, room: '#lobby', seq: 42 },
      { type: 'ack', op: 'say', ts: event.ts, seq: 42, room: '#lobby' },
      { ...base, offline: true } as ServerEvent,
      { ...base, op: 'dm' } as ServerEvent,
    ];
    for (const e of acks) {
      assert.equal(new JsonEncoder().encode(e).toString('utf8'), JSON.stringify(e) + '\n');
    }
  });

  test('a copy of an encoded event made by spreading is encoded anew', () => {
    const enc = new JsonEncoder();
    enc.encode(event);
    const copy: ServerEvent = { ...event, mention: true };
    assert.deepEqual(Object.getOwnPropertySymbols(copy), [], 'the line stays with the original');
    assert.equal(JSON.parse(enc.encode(copy).toString('utf8')).mention, true);
  });

  test('a burst is every event byte for byte as JSON.stringify gives it, in order, cut the same way', () => {
    const enc = new JsonEncoder();
    const sentAlone: ServerEvent = { ...event, seq: 7, text: 'sent on its own first' };
    enc.encode(sentAlone);
    const burst: ServerEvent[] = [
      { ...event, seq: 5, text: 'plain' },
      { ...event, seq: 6, text: 'a "quoted" café', mention: true },
      sentAlone,
      { type: 'system', event: 'join', room: '#lobby', user: 'Zoë', ts: event.ts },
      { ...event, seq: 8, text: ' '.repeat(600), action: true },
    ];
    const lines = burst.map((e) => JSON.stringify(e) + '\n');
    const all = enc.encodeAll(burst);
    assert.ok(Buffer.isBuffer(all));
    assert.equal(all.toString('utf8'), lines.join(''));
    assert.equal(enc.encodeAll(burst), all, 'encoded once per array');
    // A sender's cut: its own lines out, an ack in place of one.
    const ack = Buffer.from('{"type":"ack"}\n');
    const cut = enc.encodeAll(burst, [1, 4], [ack, undefined]);
    const text = (Array.isArray(cut) ? Buffer.concat(cut) : (cut as Buffer)).toString('utf8');
    assert.equal(text, lines[0]! + '{"type":"ack"}\n' + lines[2]! + lines[3]!);
    // A burst's events keep no line of their own: one sent alone later is made then.
    assert.equal(enc.encode(burst[0]!).toString('utf8'), lines[0]);
  });

  test('the same event gives the same Buffer instance', () => {
    const enc = new JsonEncoder();
    assert.equal(enc.encode(event), enc.encode(event));
  });

  test('distinct events are encoded separately', () => {
    const enc = new JsonEncoder();
    const other: ServerEvent = { ...event, seq: 43 };
    assert.notEqual(enc.encode(event), enc.encode(other));
    assert.equal(JSON.parse(enc.encode(other).toString('utf8')).seq, 43);
  });

  test('error events keep id, code and retryAfterMs', () => {
    const e: ServerEvent = {
      type: 'error',
      id: 'c7',
      code: 'rate_limited',
      message: 'slow down',
      retryAfterMs: 800,
    };
    assert.deepEqual(JSON.parse(new JsonEncoder().encode(e).toString('utf8')), e);
  });

  test('every encoded line can be decoded as JSON and starts with {', () => {
    const enc = new JsonEncoder();
    const events: ServerEvent[] = [
      event,
      { type: 'ping' },
      { type: 'ack', id: 'a', op: 'say', seq: 1, ts: event.ts },
      { type: 'system', event: 'join', room: '#lobby', user: 'Bob', ts: event.ts },
    ];
    for (const e of events) {
      const s = enc.encode(e).toString('utf8');
      assert.ok(s.startsWith('{'));
      assert.equal(JSON.parse(s).type, e.type);
    }
  });
});

test('JSON mode reads no telnet: 0xFF bytes are invalid UTF-8, U+FFFD each, and nothing after them is lost (§1)', () => {
  const frame = Buffer.concat([
    Buffer.from('{"type":"say","text":"A'),
    Buffer.from([0xff, 0xfb, 0x42]),
    Buffer.from('C D'),
    Buffer.from([0xfe]),
    Buffer.from('E"}'),
  ]);
  const decoded = new JsonCodec().decode(frame);
  assert.equal(decoded.kind, 'request');
  assert.deepEqual(decoded.kind === 'request' && decoded.request, {
    type: 'say',
    text: 'A\uFFFD\uFFFDBC D\uFFFDE',
  });
});

test('discardedId: the top-level string id in the first bytes of a line, never one in a text or inner object', () => {
  const codec = new JsonCodec();
  const id = (s: string): string | undefined => codec.discardedId(Buffer.from(s), Buffer.alloc(0));
  assert.equal(id('{"type":"say","id":"c7","text":"xxxx'), 'c7');
  assert.equal(id(' { "id" : "a\\"b\\u0041" , "text": "…'), 'a"bA');
  assert.equal(id('{"type":"say","text":"\\",\\"id\\":\\"decoy\\"","id":"real"'), 'real');
  assert.equal(id('{"type":"hello","resume":{"id":"inner"},"name":"x'), undefined);
  assert.equal(id('{"type":"id","text":"xx'), undefined);
  assert.equal(id('{"type":"say","text":"the id comes after the cut'), undefined);
  assert.equal(id('{"id":7,"text":"x'), undefined);
  assert.equal(id(`{"id":"${'a'.repeat(129)}","text":"x`), undefined);
});

test('discardedId: the id as the last member of the top-level object, from the last bytes of a line', () => {
  const codec = new JsonCodec();
  const head = Buffer.from('{"type":"say","text":"xxxx');
  const id = (tail: string): string | undefined => codec.discardedId(head, Buffer.from(tail));
  assert.equal(id('xxxx","id":"c7"}'), 'c7');
  assert.equal(id('xx" , "id" : "a\\"b" }  '), 'a"b', 'an escaped quote does not end the value');
  assert.equal(id('xx","id":"c\\u0041"}'), 'cA');
  assert.equal(id('x\\\\","id":"after a backslash"}'), 'after a backslash');
  // Not the request's: in a text, in an inner object, not last, or not a string.
  assert.equal(id('x \\",\\"id\\":\\"decoy\\"}"}'), undefined);
  assert.equal(id('x","resume":{"id":"inner"}}'), undefined);
  assert.equal(id('x","id":"first","room":"#a"}'), undefined);
  assert.equal(id('x","id":7}'), undefined);
  assert.equal(id(`x","id":"${'a'.repeat(129)}"}`), undefined);
  // A first-bytes id wins over a last one.
  assert.equal(
    codec.discardedId(Buffer.from('{"id":"h","text":"x'), Buffer.from('x","id":"t"}')),
    'h',
  );
});

test('a line that is not valid JSON is refused with its id when a string id member can still be read (§4)', () => {
  const codec = new JsonCodec();
  const refusal = (line: string): Decoded => codec.decode(Buffer.from(line));
  assert.deepEqual(pick(refusal('{"type":"say","id":"m1","text":')), ['bad_request', 'm1']);
  assert.deepEqual(pick(refusal('{"type":"say" "id":"m2"}')), ['bad_request', 'm2']);
  assert.deepEqual(pick(refusal('{"type":"say","text":"\\"id\\":\\"no\\"')), [
    'bad_request',
    undefined,
  ]);
  assert.deepEqual(pick(refusal('not json at all')), ['bad_request', undefined]);
  // Past the end of the request object is not the request.
  assert.deepEqual(pick(refusal('{"type":"say","text":"x"} {"id":"second"}')), [
    'bad_request',
    undefined,
  ]);
  const hello = codec.hello(Buffer.from('{"type":"hello","id":"h1","version":1,"name":'));
  assert.equal(hello.kind, 'error');
  assert.equal(hello.kind === 'error' && hello.id, 'h1');
});

function pick(d: Decoded): [string | undefined, string | undefined] {
  return d.kind === 'error' ? [d.error.code, d.id] : [undefined, undefined];
}
