/** The IRC line parser and serializer, and the codec's text rules (docs/protocol.md "IRC"). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IrcEventEncoder, ircTextIn } from '../../src/protocol/irc-codec.js';
import {
  formatIrc,
  formatTextLines,
  IRC_LINE_BYTES,
  IrcParseError,
  parseIrcLine,
  splitUtf8,
} from '../../src/protocol/irc-message.js';
import type { MessageEvent } from '../../src/protocol/messages.js';

function parseError(line: string): string {
  try {
    parseIrcLine(line);
  } catch (err) {
    assert.ok(err instanceof IrcParseError);
    return err.code;
  }
  assert.fail(`parsed: ${line}`);
}

test('a plain command with middle and trailing parameters', () => {
  assert.deepEqual(parseIrcLine('privmsg #lobby :hello there'), {
    tags: {},
    command: 'PRIVMSG',
    params: ['#lobby', 'hello there'],
  });
});

test('a prefix is taken apart from the command', () => {
  const m = parseIrcLine(':alice!a@host NICK bob');
  assert.equal(m.prefix, 'alice!a@host');
  assert.equal(m.command, 'NICK');
  assert.deepEqual(m.params, ['bob']);
});

test('tags are parsed and unescaped; a key without a value is empty', () => {
  const m = parseIrcLine(
    '@time=2024-01-01T00:00:00.000Z;+draft/x=a\\sb\\:c\\\\;flag :n PRIVMSG #a :x',
  );
  assert.deepEqual(m.tags, { time: '2024-01-01T00:00:00.000Z', '+draft/x': 'a b;c\\', flag: '' });
  assert.equal(m.prefix, 'n');
  assert.deepEqual(m.params, ['#a', 'x']);
});

test('a trailing parameter keeps its colons and spaces, and may be empty', () => {
  assert.deepEqual(parseIrcLine('PRIVMSG #a ::) a  b ').params, ['#a', ':) a  b ']);
  assert.deepEqual(parseIrcLine('TOPIC #a :').params, ['#a', '']);
});

test('repeated spaces between parameters are one separator; CR and LF at the end go', () => {
  assert.deepEqual(parseIrcLine('USER  bob   0 * :Bob B\r\n').params, ['bob', '0', '*', 'Bob B']);
});

test('missing parameters parse as fewer parameters (the session answers 461)', () => {
  assert.deepEqual(parseIrcLine('JOIN').params, []);
  assert.deepEqual(parseIrcLine('PRIVMSG #a').params, ['#a']);
});

test('more than 15 parameters fold into the last one', () => {
  const words = Array.from({ length: 20 }, (_, i) => `p${i}`);
  const m = parseIrcLine(`CMD ${words.join(' ')}`);
  assert.equal(m.params.length, 15);
  assert.equal(m.params[14], words.slice(14).join(' '));
});

test('bad input: NUL bytes, empty lines, tags or a prefix without a command', () => {
  assert.equal(parseError('PRIVMSG #a :x\0y'), 'nul');
  assert.equal(parseError(''), 'empty');
  assert.equal(parseError('   \r'), 'empty');
  assert.equal(parseError('@time=1'), 'bad_tags');
  assert.equal(parseError('@=x PING'), 'bad_tags');
  assert.equal(parseError(':prefix'), 'no_command');
});

test('unknown commands parse like any other (the session answers 421)', () => {
  assert.equal(parseIrcLine('frobnicate a b').command, 'FROBNICATE');
  assert.equal(parseIrcLine('001 a b').command, '001');
});

test('a 10 kB line parses without loss (the framer, not the parser, enforces length)', () => {
  const text = 'x'.repeat(10_000);
  assert.equal(parseIrcLine(`PRIVMSG #a :${text}`).params[1], text);
});

test('serializing: trailing only when needed or asked, tags escaped, round trip', () => {
  assert.equal(formatIrc({ tags: {}, command: 'JOIN', params: ['#a'] }), 'JOIN #a');
  assert.equal(formatIrc({ tags: {}, command: 'JOIN', params: ['#a'] }, true), 'JOIN :#a');
  assert.equal(
    formatIrc({ tags: {}, prefix: 's', command: 'NOTICE', params: ['*', 'two words'] }),
    ':s NOTICE * :two words',
  );
  assert.equal(formatIrc({ tags: {}, command: 'TOPIC', params: ['#a', ''] }), 'TOPIC #a :');
  const msg = {
    tags: { time: '2024-01-01T00:00:00Z', k: 'a b;c\\d' },
    prefix: 'n!u@h',
    command: 'PRIVMSG',
    params: ['#a', ':) hi'],
  };
  const line = formatIrc(msg);
  assert.equal(line, '@time=2024-01-01T00:00:00Z;k=a\\sb\\:c\\\\d :n!u@h PRIVMSG #a ::) hi');
  assert.deepEqual(parseIrcLine(line), msg);
});

test('splitUtf8 never cuts a character, never loses a byte, prefers spaces', () => {
  const text = 'héllo wörld ' + '€'.repeat(300) + ' 🎉🎉🎉 end';
  for (const max of [4, 5, 17, 100, 401]) {
    const pieces = splitUtf8(text, max);
    assert.equal(pieces.join(''), text);
    for (const p of pieces)
      assert.ok(Buffer.byteLength(p) <= max, `${Buffer.byteLength(p)} > ${max}`);
    assert.ok(!pieces.join('').includes('\ufffd'));
  }
  assert.deepEqual(splitUtf8('aaaa bbbb cccc', 10), ['aaaa bbbb ', 'cccc']);
  assert.deepEqual(splitUtf8('', 10), ['']);
});

test('formatTextLines: every line within 512 bytes, multi-line text one line per line', () => {
  const long = 'word '.repeat(600).trim();
  const lines = formatTextLines(
    { tags: {}, prefix: 'alice!alice@irc.example', command: 'PRIVMSG', params: ['#lobby'] },
    `first\n${long}\nlast`,
  );
  assert.ok(lines.length >= 8);
  for (const l of lines) assert.ok(Buffer.byteLength(l) + 2 <= IRC_LINE_BYTES, l);
  assert.equal(parseIrcLine(lines[0]!).params[1], 'first');
  assert.equal(parseIrcLine(lines.at(-1)!).params[1], 'last');
  const middle = lines
    .slice(1, -1)
    .map((l) => parseIrcLine(l).params[1])
    .join('');
  assert.equal(middle, long);
});

test('formatTextLines: an empty line of a multi-line message is left out (IRC cannot carry one)', () => {
  const msg = {
    tags: {},
    prefix: 'alice!alice@irc.example',
    command: 'PRIVMSG',
    params: ['#lobby'],
  };
  const lines = formatTextLines(msg, 'first\n\nsecond\r\n\r\nthird');
  assert.deepEqual(
    lines.map((l) => parseIrcLine(l).params[1]),
    ['first', 'second', 'third'],
  );
  const action = formatTextLines(msg, 'waves\n\nagain', ['\x01ACTION ', '\x01']);
  assert.deepEqual(
    action.map((l) => parseIrcLine(l).params[1]),
    ['\x01ACTION waves\x01', '\x01ACTION again\x01'],
  );
  // A line of spaces is not empty: IRC carries it.
  assert.equal(formatTextLines(msg, 'a\n  \nb').length, 3);
  const enc = new IrcEventEncoder('irc.example');
  const event: MessageEvent = {
    type: 'message',
    room: '#lobby',
    seq: 1,
    ts: '2024-01-01T00:00:00.000Z',
    from: 'alice',
    text: 'one\n\ntwo',
    action: false,
  };
  assert.deepEqual(enc.roomMessageLines(event), [
    ':alice!alice@irc.example PRIVMSG #lobby :one',
    ':alice!alice@irc.example PRIVMSG #lobby :two',
  ]);
});

test('ircTextIn: ACTION becomes an action; formatting and other CTCP go', () => {
  assert.deepEqual(ircTextIn('\x01ACTION waves\x01'), { text: 'waves', action: true });
  assert.deepEqual(ircTextIn('\x02bold\x02 \x0304,01red\x03 \x1ditalic\x0f'), {
    text: 'bold red italic',
    action: false,
  });
  assert.equal(ircTextIn('\x01VERSION\x01'), undefined);
  assert.deepEqual(ircTextIn('a\x1b[31mb'), { text: 'ab', action: false });
});

test('the event encoder: one Buffer per event and capability set, actions wrapped per line', () => {
  const enc = new IrcEventEncoder('irc.example');
  const event: MessageEvent = {
    type: 'message',
    room: '#lobby',
    seq: 1,
    ts: '2024-01-01T00:00:00.000Z',
    from: 'alice',
    text: 'one\ntwo',
    action: true,
  };
  const timed = enc.shared(event, true)!;
  assert.equal(enc.shared(event, true), timed);
  assert.equal(
    timed.toString(),
    '@time=2024-01-01T00:00:00.000Z :alice!alice@irc.example PRIVMSG #lobby :\x01ACTION one\x01\r\n' +
      '@time=2024-01-01T00:00:00.000Z :alice!alice@irc.example PRIVMSG #lobby :\x01ACTION two\x01\r\n',
  );
  assert.ok(!enc.shared(event, false)!.toString().includes('@time'));
});
