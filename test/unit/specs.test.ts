/**
 * The command table (docs/protocol.md §3) is the single source for text-mode
 * parsing, `/help` and completion: it must list exactly the §3 commands with
 * their documented usage, and every request it produces must be one the JSON
 * side (§4) accepts too.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMAND_SPECS, findCommand, type CommandSpec } from '../../src/protocol/commands.js';
import { decodeJsonRequest } from '../../src/protocol/json-codec.js';
import { decodeTextLine } from '../../src/protocol/text-codec.js';

/** docs/protocol.md §3, the command table, verbatim. */
const PROTOCOL_USAGE: Record<string, string> = {
  help: '/help [command]',
  who: '/who [#room | *] [from]',
  // Extended (docs/protocol.md §3).
  whois: '/whois nick',
  rooms: '/rooms [from]',
  join: '/join #room',
  part: '/part [#room]',
  msg: '/msg nick text',
  me: '/me text',
  // Extended (docs/protocol.md §3): a registered alias takes its password.
  nick: '/nick newnick [password]',
  topic: '/topic [text]',
  history: '/history [n]',
  register: '/register password',
  // Extended (docs/protocol.md §2): self-service password change.
  passwd: '/passwd old new',
  away: '/away [text]',
  ignore: '/ignore [nick]',
  unignore: '/unignore nick',
  kick: '/kick nick [reason]',
  // Extended (docs/protocol.md §3): expiry, reason, `-addr`, and the list.
  ban: '/ban nick [duration] [reason]',
  bans: '/bans',
  unban: '/unban name',
  // Extended (docs/protocol.md §2): operators' mutes.
  mute: '/mute nick [duration] [reason]',
  unmute: '/unmute nick',
  quit: '/quit [reason]',
};

const all = (_c: CommandSpec): boolean => true;

describe('COMMAND_SPECS', () => {
  test('lists exactly the commands of docs/protocol.md §3', () => {
    assert.deepEqual(COMMAND_SPECS.map((c) => c.name).sort(), Object.keys(PROTOCOL_USAGE).sort());
  });

  test('names are unique', () => {
    const names = COMMAND_SPECS.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
  });

  for (const spec of COMMAND_SPECS) {
    describe(`/${spec.name}`, () => {
      test('usage is the one docs/protocol.md §3 documents', () => {
        assert.equal(spec.usage, PROTOCOL_USAGE[spec.name]);
      });

      test('has a one-line summary', () => {
        assert.ok(spec.summary.trim().length > 0);
        assert.doesNotMatch(spec.summary, /\n/u);
      });

      test('only the last argument may take the rest of the line', () => {
        spec.args.forEach((a, i) => {
          if (a.take === 'rest') assert.equal(i, spec.args.length - 1, a.field);
        });
      });

      test('no required argument follows an optional one', () => {
        let seenOptional = false;
        for (const a of spec.args) {
          if (a.optional) seenOptional = true;
          else assert.equal(seenOptional, false, `${a.field} is required after an optional one`);
        }
      });

      test('argument count and optionality match the usage', () => {
        const words = spec.usage
          .replace(/\[#room \| \*\]/u, '[room]')
          .split(' ')
          .slice(1);
        // A last argument that takes the rest of the line may be documented as
        // several optional words (`/ban nick [duration] [reason]`).
        const last = spec.args[spec.args.length - 1];
        if (last?.take === 'rest' && last.optional && words.length > spec.args.length) {
          assert.ok(
            words.slice(spec.args.length - 1).every((w) => w.startsWith('[')),
            spec.usage,
          );
          words.splice(spec.args.length);
        }
        assert.equal(spec.args.length, words.length, spec.usage);
        spec.args.forEach((a, i) => {
          const w = words[i] ?? '';
          assert.equal(Boolean(a.optional), w.startsWith('['), `${a.field} vs ${w}`);
        });
      });

      test('argument fields are distinct', () => {
        const fields = spec.args.map((a) => a.field);
        assert.equal(new Set(fields).size, fields.length);
      });
    });
  }

  test('only /kick, /ban, /bans, /unban, /mute and /unmute are for operators', () => {
    assert.deepEqual(
      COMMAND_SPECS.filter((c) => c.operator)
        .map((c) => c.name)
        .sort(),
      ['ban', 'bans', 'kick', 'mute', 'unban', 'unmute'],
    );
  });

  test('/msg is a dm, /me is an action say', () => {
    assert.equal(findCommand('msg')?.request, 'dm');
    assert.equal(findCommand('me')?.request, 'say');
    assert.deepEqual(findCommand('me')?.fixed, { action: true });
  });

  test('/history n is an int limit', () => {
    const arg = findCommand('history')?.args[0];
    assert.equal(arg?.field, 'limit');
    assert.equal(arg?.int, true);
    assert.equal(arg?.optional, true);
  });

  test('texts, reasons and passwords take the rest of the line', () => {
    for (const [cmd, field] of [
      ['msg', 'text'],
      ['me', 'text'],
      ['topic', 'text'],
      ['away', 'text'],
      ['kick', 'reason'],
      ['quit', 'reason'],
      ['register', 'password'],
    ] as const) {
      const arg = findCommand(cmd)?.args.find((a) => a.field === field);
      assert.equal(arg?.take, 'rest', `/${cmd} ${field}`);
    }
  });
});

describe('findCommand', () => {
  test('finds every command by name', () => {
    for (const spec of COMMAND_SPECS) assert.equal(findCommand(spec.name), spec);
  });

  test('is case-insensitive', () => {
    assert.equal(findCommand('JOIN'), findCommand('join'));
    assert.equal(findCommand('Msg')?.name, 'msg');
  });

  test('unknown names give undefined', () => {
    for (const name of ['', 'x', 'joinx', '/join', 'say', 'dm', 'constructor', '__proto__']) {
      assert.equal(findCommand(name), undefined, name);
    }
  });
});

describe('text commands and JSON requests agree', () => {
  const lines = [
    'hello there',
    '//literal',
    '/help',
    '/help nick',
    '/who',
    '/who #dev',
    '/who *',
    '/who * bob',
    '/whois Bob',
    '/rooms',
    '/rooms #dev',
    '/join #dev',
    '/part',
    '/part #dev',
    '/msg Bob hi there',
    '/me waves',
    '/nick Robert',
    '/topic',
    '/topic CI is green',
    '/history',
    '/history 50',
    '/register hunter2',
    '/passwd hunter2 correct horse',
    '/topic -lock Exam at 10',
    '/away',
    '/away lunch',
    '/ignore',
    '/ignore Zed',
    '/unignore Zed',
    '/kick Zed',
    '/kick Zed spam',
    '/ban Zed',
    '/ban Zed 1h spam',
    '/ban -addr 10.0.0.0/8 7d',
    '/bans',
    '/unban Zed',
    '/mute Zed',
    '/mute Zed 10m spam',
    '/unmute Zed',
    '/quit',
    '/quit bye',
  ];
  for (const line of lines) {
    test(`${line} → JSON → same request`, () => {
      const req = decodeTextLine(line, all);
      assert.deepEqual(decodeJsonRequest(JSON.stringify(req)), req);
    });
  }

  test('every command is covered above', () => {
    const covered = new Set(
      lines.filter((l) => /^\/[a-z]/u.test(l)).map((l) => l.slice(1).split(' ')[0]),
    );
    for (const spec of COMMAND_SPECS) assert.ok(covered.has(spec.name), spec.name);
  });
});
