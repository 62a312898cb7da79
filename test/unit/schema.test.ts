/**
 * docs/protocol.md §4 and §5, docs/protocol.schema.json and the zod schemas agree:
 * the committed schema is the one the code generates, every request type and
 * field in it is documented under "### Requests" (§4) or "### File requests" (§5), and
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

/** The `### Requests` (§4) and `### File requests` (§5) sections of docs/protocol.md. */
function requestSections(doc: string): string[] {
  const out: string[] = [];
  for (const title of ['\n### Requests', '\n### File requests']) {
    const start = doc.indexOf(title);
    assert.ok(start >= 0, `docs/protocol.md has no "${title.trim()}" section`);
    const end = doc.slice(start + 1).search(/\n##{1,2} /u);
    out.push(end < 0 ? doc.slice(start) : doc.slice(start, start + 1 + end));
  }
  return out;
}

/** Request type → the fields in its table, from the request sections of docs/protocol.md. */
function documentedFields(): Map<string, string[]> {
  const doc = readFileSync(join(root, 'docs', 'protocol.md'), 'utf8');
  const out = new Map<string, string[]>();
  for (const section of requestSections(doc)) {
    for (const part of section.split(/\n#### /u).slice(1)) {
      const type = /^`([a-z-]+)`/u.exec(part)?.[1];
      assert.ok(type, `a request heading is not \`type\`: ${part.slice(0, 40)}`);
      assert.ok(!out.has(type), `request "${type}" is documented twice`);
      const fields = [...part.matchAll(/^\|\s*`([A-Za-z0-9]+)`\s*\|/gmu)].map((m) => m[1]!);
      out.set(
        type,
        fields.filter((f) => f !== 'type'),
      );
    }
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
