/**
 * docs/protocol.md §4, docs/protocol.schema.json and the zod schemas agree:
 * the committed schema is the one the code generates, every request type and
 * field in it is documented under "### Requests" of docs/protocol.md, and
 * everything documented there exists in the code.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { protocolJsonSchema, protocolJsonSchemaText } from '../../src/protocol/json-schema.js';

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

const root = repoRoot();

interface ObjectSchema {
  properties: Record<string, { const?: string }>;
}

/** Request type → its field names, from the generated schema (hello included). */
function schemaFields(): Map<string, string[]> {
  const defs = protocolJsonSchema().$defs as {
    hello: ObjectSchema;
    request: { oneOf: ObjectSchema[] };
  };
  const out = new Map<string, string[]>();
  for (const s of [defs.hello, ...defs.request.oneOf]) {
    const type = s.properties.type?.const;
    assert.ok(type, 'every request schema has a constant type');
    out.set(
      type,
      Object.keys(s.properties).filter((f) => f !== 'type'),
    );
  }
  return out;
}

/** Request type → the fields in its table, from the "### Requests" section of docs/protocol.md. */
function documentedFields(): Map<string, string[]> {
  const doc = readFileSync(join(root, 'docs', 'protocol.md'), 'utf8');
  const start = doc.indexOf('\n### Requests');
  assert.ok(start >= 0, 'docs/protocol.md has no "### Requests" section');
  const end = doc.indexOf('\n### ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const out = new Map<string, string[]>();
  for (const part of section.split(/\n#### /u).slice(1)) {
    const type = /^`([a-z-]+)`/u.exec(part)?.[1];
    assert.ok(type, `a request heading is not \`type\`: ${part.slice(0, 40)}`);
    const fields = [...part.matchAll(/^\|\s*`([A-Za-z]+)`\s*\|/gmu)].map((m) => m[1]!);
    out.set(
      type,
      fields.filter((f) => f !== 'type'),
    );
  }
  return out;
}

describe('docs/protocol.schema.json', () => {
  test('is the schema the code generates', () => {
    const committed = readFileSync(join(root, 'docs', 'protocol.schema.json'), 'utf8');
    assert.ok(
      committed === protocolJsonSchemaText(),
      'docs/protocol.schema.json is out of date with the zod schemas: run `npm run schema`',
    );
  });
});

describe('docs/protocol.md §4 Requests', () => {
  const schema = schemaFields();
  const documented = documentedFields();

  test('documents every request type of the schema, with every field', () => {
    assert.ok(schema.size > 15, 'the schema parsed to few requests');
    for (const [type, fields] of schema) {
      const doc = documented.get(type);
      assert.ok(doc, `request "${type}" has no "#### \`${type}\`" entry in docs/protocol.md`);
      const missing = fields.filter((f) => !doc.includes(f));
      assert.deepEqual(
        missing,
        [],
        `fields of "${type}" missing from its table in docs/protocol.md`,
      );
    }
  });

  test('documents no request type or field the code does not have', () => {
    for (const [type, fields] of documented) {
      const real = schema.get(type);
      assert.ok(
        real,
        `docs/protocol.md documents request "${type}", which the server does not accept`,
      );
      const extra = fields.filter((f) => !real.includes(f));
      assert.deepEqual(
        extra,
        [],
        `docs/protocol.md documents fields of "${type}" that do not exist`,
      );
    }
  });
});
