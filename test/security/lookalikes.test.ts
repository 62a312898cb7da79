/**
 * Issue 16 item 4 and issue 18 item 2 (docs/protocol.md §2 look-alikes): an
 * alias that looks like someone online or like an account is refused, over
 * real sockets in both modes: invisible characters (joiners, variation
 * selectors, Hangul fillers), marks where they can hide, digits of another
 * script, and look-alikes by skeleton (Cyrillic `аре`, Greek `ΑΒΕ`, `B0b`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectJsonError, jsonUser, raw, serve, textUser } from '../helpers/fixtures.js';
import { createAccount } from '../helpers/security.js';

/** A JSON hello as `name`: the error code it gets, or 'welcome'. */
async function helloResult(
  t: Parameters<typeof raw>[0],
  port: number,
  name: string,
): Promise<string> {
  const c = await raw(t, port);
  c.sendJson({ type: 'hello', version: 1, name });
  const o = await c.waitForJson((x) => x.type === 'error' || x.type === 'welcome');
  c.close();
  return o.type === 'welcome' ? 'welcome' : String(o.code);
}

const INVISIBLE = [
  'Bob\u034F', // combining grapheme joiner
  'Bob\uFE0F', // variation selector 16
  'Bob\u{E0100}', // variation selector 17
  'Bob\u180B', // Mongolian free variation selector
  '\u3164', // Hangul filler: an invisible alias
  '\u115F',
  '\u1160',
  '\uFFA0',
  'Bo\u3164b',
  'Bob\u200B', // zero width space
  'Bob\u0338', // a combining overlay on a Latin letter
  'Bo\u0301\u0301\u0301\u0301', // stacked marks
  'B\u0665b', // an Arabic-Indic five between Latin letters reads as "o"
  'Bob1\u0661', // two kinds of digits
];

test('invisible characters, hiding marks and foreign digits are refused as bad_alias', async (t) => {
  const { port } = await serve(t);
  await jsonUser(t, port, 'Bob', { history: 0 });
  for (const name of INVISIBLE) {
    assert.equal(await helloResult(t, port, name), 'bad_alias', JSON.stringify(name));
  }
  // Names that need marks or their own digits still pass.
  for (const name of ['हिन्दी', 'ภาษาไทย', 'محمد٣', 'Zoë', 'Ελένη', '日本語']) {
    assert.equal(await helloResult(t, port, name), 'welcome', name);
  }
});

test('aliases that look like someone online are refused by skeleton, in both modes', async (t) => {
  const { port } = await serve(t);
  const bob = await jsonUser(t, port, 'Bob', { history: 0 });
  await jsonUser(t, port, 'ape', { history: 0 });
  await jsonUser(t, port, 'ABE', { history: 0 });
  // Whole-script look-alikes (Cyrillic, Greek) and digits: refused by skeleton.
  for (const name of ['B0b', 'bob', 'аре', 'АРЕ', 'ΑΒΕ', 'Ape']) {
    assert.equal(await helloResult(t, port, name), 'alias_taken', name);
  }
  // Mixed scripts never get that far.
  for (const name of ['аbe', 'Вob']) {
    assert.equal(await helloResult(t, port, name), 'bad_alias', name);
  }
  // Text mode: refused with the same code, and the connection may try again.
  const c = await raw(t, port);
  c.send('аре');
  const line = await c.waitFor((l) => l.startsWith('!'));
  assert.match(line, /looks like ape.*\[alias_taken\]$/u);
  // /nick to a look-alike is refused too, and nobody saw a rename.
  const eve = await textUser(t, port, 'Eve');
  eve.send('/nick B0b');
  assert.match(await eve.next(), /looks like Bob.*\[alias_taken\]$/u);
  bob.sendJson({ type: 'ping', id: 'after-nick' });
  await bob.waitForJson((o) => o.type === 'pong');
  assert.ok(!bob.lines.some((l) => l.includes('"nick"')), bob.lines.join('\n'));
  // Unlike names still pass.
  assert.equal(await helloResult(t, port, 'Bobby'), 'welcome');
});

test('guests may not look like an account or an operator, even offline', async (t) => {
  const server = await serve(t);
  await createAccount(server, 'TA-Ali', 'ta password 1', true);
  await createAccount(server, 'Prof_Lee', 'prof password 1');
  await createAccount(server, 'Pope', 'pope password 1');
  const { port } = server;
  for (const name of ['TA-AIi', 'TA-A1i', 'TA-AIl', 'Pr0f_Lee', 'PR0F_LEE', 'Роре', 'РОРЕ']) {
    assert.equal(await helloResult(t, port, name), 'alias_taken', name);
  }
  // The account's own name (any case) asks for its password instead.
  assert.equal(await helloResult(t, port, 'prof_lee'), 'auth_required');
  const guest = await jsonUser(t, port, 'Student', { history: 0 });
  guest.sendJson({ type: 'nick', id: 'n1', name: 'TA-AIi' });
  const err = await expectJsonError(guest, 'alias_taken', 'n1');
  assert.match(String(err.message), /operator TA-Ali/u);
});
