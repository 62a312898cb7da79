/**
 * JSON mode decodes a plain `say` without zod (protocol/json-codec.ts
 * sayFastPath); it must give exactly what the schema gives, and leave every
 * line the schema refuses (or might word differently) to the schema.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestSchema } from '../../src/protocol/commands.js';
import { decodeJsonRequest, sayFastPath } from '../../src/protocol/json-codec.js';

const long = (n: number): string => 'x'.repeat(n);

const CASES: Record<string, unknown>[] = [
  { type: 'say', text: 'hi' },
  { type: 'say', id: 'c7', text: 'hi' },
  { type: 'say', id: 'c7', room: '#lobby', text: 'hi', action: true },
  { type: 'say', room: '#lobby', text: 'two\nlines', action: false },
  { type: 'say', text: 'escape \u001b[31mred\u001b[0m and bidi \u202e' },
  { type: 'say', text: 'a\r\nb' },
  { type: 'say', text: '' },
  { type: 'say', id: long(128), room: long(256), text: long(65536) },
  { type: 'say', id: long(129), text: 'hi' },
  { type: 'say', room: long(257), text: 'hi' },
  { type: 'say', text: long(65537) },
  { type: 'say', id: 7, text: 'hi' },
  { type: 'say', room: null, text: 'hi' },
  { type: 'say', text: 42 },
  { type: 'say' },
  { type: 'say', text: 'hi', action: 'yes' },
  { type: 'say', text: 'hi', extra: 1 },
  { type: 'say', text: 'hi', constructor: 1 },
  JSON.parse('{"type":"say","text":"hi","__proto__":{"x":1}}') as Record<string, unknown>,
  { type: 'dm', to: 'bob', text: 'hi' },
  { type: 'Say', text: 'hi' },
];

test('sayFastPath gives what requestSchema gives, or leaves the line to it', () => {
  let fast = 0;
  for (const obj of CASES) {
    const r = requestSchema.safeParse(obj);
    const got = sayFastPath(obj);
    const what = JSON.stringify(obj).slice(0, 80);
    if (got === undefined) continue;
    fast++;
    assert.ok(r.success, `the schema refuses what the fast path took: ${what}`);
    assert.deepEqual(got, r.data, what);
  }
  assert.equal(fast, 8, 'the plain says take the fast path');
});

test('a JSON say line decodes on the fast path, sanitized, with its id', () => {
  const line = '{"type":"say","id":"b1","text":"B|1|2|3|\\u001b[2Jx"}';
  assert.ok(sayFastPath(JSON.parse(line) as Record<string, unknown>));
  assert.deepEqual(decodeJsonRequest(line), requestSchema.parse(JSON.parse(line)));
  assert.throws(
    () => decodeJsonRequest('{"type":"say","text":"hi","txet":1}'),
    /Unknown key "txet"/,
  );
});
