/**
 * Issue 5 item 5, docs/protocol.md §4: every JSON request is validated before it
 * reaches the core. Wrong types, missing fields, out-of-range numbers, huge
 * strings, deep nesting, unknown types, non-objects and malformed JSON are
 * answered with `bad_request` (carrying the request's id when it had a usable
 * one); the connection stays open; nothing invalid is stored or relayed; and
 * an inherited-looking key (`__proto__`) grants nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonFence, jsonUser, serve } from '../helpers/fixtures.js';

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** [raw line, expected code (or reply type), id the reply must carry]. */
const CASES: ReadonlyArray<readonly [string, string, string | undefined]> = [
  ['{"type":"frobnicate","id":"v1"}', 'bad_request', 'v1'],
  ['{"id":"v2","text":"no type"}', 'bad_request', 'v2'],
  ['{"type":5,"id":"v3"}', 'bad_request', 'v3'],
  ['{"type":"join","id":"v4"}', 'bad_request', 'v4'],
  ['{"type":"say","id":"v5","text":42}', 'bad_request', 'v5'],
  ['{"type":"say","id":"v6","text":"hi","action":"yes"}', 'bad_request', 'v6'],
  ['{"type":"say","id":"v7","text":null}', 'bad_request', 'v7'],
  ['{"type":"say","id":"v8","text":["a","b"]}', 'bad_request', 'v8'],
  ['{"type":"dm","id":"v9","text":"to whom?"}', 'bad_request', 'v9'],
  ['{"type":"history","id":"v10","limit":"ten"}', 'bad_request', 'v10'],
  ['{"type":"history","id":"v11","limit":0}', 'bad_request', 'v11'],
  ['{"type":"history","id":"v12","limit":501}', 'bad_request', 'v12'],
  ['{"type":"history","id":"v13","before":-1}', 'bad_request', 'v13'],
  ['{"type":"history","id":"v14","before":1.5}', 'bad_request', 'v14'],
  ['{"type":"history","id":"v15","limit":1e999}', 'bad_request', 'v15'],
  ['{"type":"register","id":"v16","password":""}', 'bad_request', 'v16'],
  [`{"type":"register","id":"v17","password":"${'p'.repeat(1025)}"}`, 'bad_request', 'v17'],
  [`{"type":"nick","id":"v18","name":"${'n'.repeat(257)}"}`, 'bad_request', 'v18'],
  [`{"type":"say","id":"v19","text":"${'t'.repeat(65_537)}"}`, 'bad_request', 'v19'],
  [`{"type":"say","id":"v20","text":${nested(50_000)}}`, 'bad_request', 'v20'],
  [`{"type":"topic","id":"v21","text":{"a":${nested(10_000)}}}`, 'bad_request', 'v21'],
  ['{"type":"hello","id":"v22","version":1,"name":"Again"}', 'bad_request', 'v22'],
  ['{"type":"kick","id":"v23","name":"Wit","__proto__":{"operator":true}}', 'bad_request', 'v23'],
  [
    '{"type":"ban","id":"v24","name":"Wit","constructor":{"prototype":{"operator":true}}}',
    'bad_request',
    'v24',
  ],
  ['{"type":"ping","id":"v25","unknown":"keys are refused"}', 'bad_request', 'v25'],
  ['{"type":"join","id":"v25b","room":"#x","histroy":0}', 'bad_request', 'v25b'],
  // Over-long, so invalid: its refusal still carries it (§4: one reply with the id).
  [`{"type":"ping","id":"${'i'.repeat(129)}"}`, 'bad_request', 'i'.repeat(129)],
  ['{"type":"ping","id":5}', 'bad_request', undefined],
  ['{"type":"say","text":"unclosed"', 'bad_request', undefined],
  ["{'type':'say','text':'single quotes'}", 'bad_request', undefined],
  ['[{"type":"say","text":"in an array"}]', 'bad_request', undefined],
  ['null', 'bad_request', undefined],
  ['"a string"', 'bad_request', undefined],
  ['42', 'bad_request', undefined],
  [nested(100_000), 'bad_request', undefined],
];

test('invalid JSON requests are bad_request, carry their id, and reach nobody', async (t) => {
  const { port } = await serve(t, { maxLineBytes: 1_048_576 });
  const witness = await jsonUser(t, port, 'Wit', { history: 0 });
  const c = await jsonUser(t, port, 'Fuzzy', { history: 0 });
  await witness.waitForJson((o) => o.event === 'join' && o.user === 'Fuzzy');
  for (const [line, expected, id] of CASES) {
    c.send(line);
    const o = await c.nextJson();
    const got = o.type === 'error' ? o.code : o.type;
    assert.equal(got, expected, `${line.slice(0, 80)} → ${JSON.stringify(o).slice(0, 200)}`);
    assert.equal(o.id, id, `the id of the reply to ${line.slice(0, 80)}`);
    await jsonFence(c);
  }
  // Nothing reached the room: the witness's next object is the reply to its own fence.
  await jsonFence(witness);
  witness.sendJson({ type: 'history', id: 'h', limit: 50 });
  const history = await witness.nextJson();
  assert.deepEqual(history.messages, [], 'nothing was stored');
});
