/**
 * `npm run schema`: write docs/protocol.schema.json from the zod schemas
 * (src/protocol/json-schema.ts). Run from the repository root after `npm run build`.
 */
import { writeFileSync } from 'node:fs';
import { protocolJsonSchemaText } from '../protocol/json-schema.js';

const target = process.argv[2] ?? 'docs/protocol.schema.json';
writeFileSync(target, protocolJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
