/**
 * docs/protocol.md §4: the stable error codes. The code list must match the
 * contract, and the Error codes table of docs/protocol.md must list exactly
 * the codes in src/protocol/errors.ts, both ways.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ChatError, ERROR_CODES, ERROR_DETAILS, toChatError } from '../../src/protocol/errors.js';

/** The repository root: the nearest ancestor holding package.json (works from src and dist). */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('package.json not found above the test file');
    d = up;
  }
  return d;
}

/** docs/protocol.md §4 "Stable error codes", in its order. */
const PROTOCOL_CODES = [
  'bad_request',
  'bad_alias',
  'alias_taken',
  'auth_required',
  'auth_failed',
  'not_found',
  'not_member',
  'forbidden',
  'banned',
  'rate_limited',
  'line_too_long',
  'too_large',
  'server_full',
  'timeout',
  'shutting_down',
  'internal',
];

describe('ERROR_CODES', () => {
  test('are exactly the stable codes of docs/protocol.md §4', () => {
    assert.deepEqual([...ERROR_CODES], PROTOCOL_CODES);
  });

  test('are unique', () => {
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
  });

  test('are snake_case identifiers', () => {
    for (const code of ERROR_CODES) assert.match(code, /^[a-z]+(?:_[a-z]+)*$/u);
  });
});

describe('docs/protocol.md', () => {
  const path = join(repoRoot(), 'docs', 'protocol.md');

  /** The codes in the first column of the "Error codes" table, in order. */
  function documentedCodes(): string[] {
    assert.ok(existsSync(path), `${path} does not exist yet`);
    const doc = readFileSync(path, 'utf8');
    const start = doc.indexOf('\n## Error codes');
    assert.ok(start >= 0, 'docs/protocol.md has no "## Error codes" section');
    const end = doc.indexOf('\n## ', start + 1);
    const section = doc.slice(start, end < 0 ? undefined : end);
    // The codes' table ends where the details' subsection begins.
    const codes = section.slice(0, section.indexOf('\n### Details'));
    return [...codes.matchAll(/^\|\s*`([a-z_]+)`\s*\|/gmu)].map((m) => m[1]!);
  }

  test('the details table lists exactly the details, each under a stable code', () => {
    const doc = readFileSync(path, 'utf8');
    const start = doc.indexOf('\n### Details');
    assert.ok(start >= 0, 'docs/protocol.md has no "### Details" subsection');
    const end = doc.indexOf('\n## ', start + 1);
    const rows = [
      ...doc.slice(start, end).matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*`([a-z_]+)`\s*\|/gmu),
    ];
    assert.deepEqual(
      rows.map((m) => m[1]),
      [...ERROR_DETAILS],
    );
    for (const m of rows) assert.ok((ERROR_CODES as readonly string[]).includes(m[2]!), m[0]);
  });

  test('every error code is in the docs/protocol.md table', () => {
    const documented = new Set(documentedCodes());
    const missing = ERROR_CODES.filter((code) => !documented.has(code));
    assert.deepEqual(missing, [], `codes missing from the Error codes table of ${path}`);
  });

  test('the table documents no code that does not exist, and none twice', () => {
    const documented = documentedCodes();
    const known = new Set<string>(ERROR_CODES);
    assert.deepEqual(
      documented.filter((code) => !known.has(code)),
      [],
      'documented but not in src/protocol/errors.ts',
    );
    assert.equal(new Set(documented).size, documented.length, 'a code is documented twice');
    assert.ok(documented.length > 0, 'the table parsed to nothing');
  });
});

describe('ChatError', () => {
  test('carries code, message and retryAfterMs', () => {
    const e = new ChatError('rate_limited', 'Slow down', 800);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'ChatError');
    assert.equal(e.code, 'rate_limited');
    assert.equal(e.message, 'Slow down');
    assert.equal(e.retryAfterMs, 800);
  });

  test('retryAfterMs is optional', () => {
    assert.equal(new ChatError('not_found', 'x').retryAfterMs, undefined);
  });
});

describe('toChatError', () => {
  test('passes a ChatError through unchanged', () => {
    const e = new ChatError('forbidden', 'No');
    assert.equal(toChatError(e), e);
  });

  for (const [label, thrown] of [
    ['an Error', new Error('SQLITE_BUSY at /var/lib/secret.db')],
    ['a TypeError', new TypeError('x is undefined')],
    ['a string', 'oops'],
    ['undefined', undefined],
    ['null', null],
    ['an object', { code: 'bad_request', message: 'forged' }],
  ] as const) {
    test(`wraps ${label} as internal without leaking it`, () => {
      const e = toChatError(thrown);
      assert.ok(e instanceof ChatError);
      assert.equal(e.code, 'internal');
      assert.ok(e.message.length > 0);
      assert.doesNotMatch(e.message, /SQLITE|secret|undefined|oops|forged/u);
    });
  }
});
