/**
 * The JSON Schema of JSON mode (docs/protocol.md §4), generated from the zod
 * schemas the server validates with, so the published schema cannot drift
 * from what the server accepts. `npm run schema` writes it to
 * docs/protocol.schema.json; a test checks the committed file is current.
 *
 * Schemas describe what a client sends (`io: 'input'`): sanitizing transforms
 * run after validation and change nothing a client must know.
 */
import { z } from 'zod';
import { requestSchema } from './commands.js';
import { helloSchema } from './json-codec.js';
import { PROTOCOL_VERSION } from './messages.js';

/** The schema document: `hello` (the first line) and `request` (every later line). */
export function protocolJsonSchema(): Record<string, unknown> {
  const options = { io: 'input', target: 'draft-2020-12' } as const;
  const strip = (s: Record<string, unknown>): Record<string, unknown> => {
    // One `$schema` at the top is enough; nested ones are noise.
    const { $schema: _drop, ...rest } = s;
    return rest;
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `chat wire protocol, version ${PROTOCOL_VERSION}: JSON-mode client lines`,
    description:
      'The first line of a JSON client is a hello; every later line is one request. ' +
      'Generated from the server validation by `npm run schema`; see docs/protocol.md §4.',
    oneOf: [{ $ref: '#/$defs/hello' }, { $ref: '#/$defs/request' }],
    $defs: {
      hello: strip(z.toJSONSchema(helloSchema, options)),
      request: strip(z.toJSONSchema(requestSchema, options)),
    },
  };
}

/** The schema as committed: pretty-printed with a final newline (.prettierignore skips it). */
export function protocolJsonSchemaText(): string {
  return JSON.stringify(protocolJsonSchema(), null, 2) + '\n';
}
