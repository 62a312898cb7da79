/**
 * The option tables of the README and of docs/protocol.md §7 are written
 * from the option table by hand; this test keeps them from drifting
 * (STYLE.md: options are one table).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { envName, flagName, SERVER_OPTIONS } from '../../src/server/options.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const protocol = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

test('every server option is in the README with its environment variable and default', () => {
  for (const spec of SERVER_OPTIONS) {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`--${flagName(spec.key)}\``));
    assert.ok(row, `README has no row for --${flagName(spec.key)}`);
    assert.ok(
      row.includes(`\`${envName(spec.key)}\``),
      `README row of --${flagName(spec.key)} lacks ${envName(spec.key)}`,
    );
    if (spec.default !== undefined) {
      assert.ok(
        row.includes(`\`${String(spec.default)}\``),
        `README row of --${flagName(spec.key)} lacks its default`,
      );
    }
  }
});

test('every server option is in docs/protocol.md §7 with its environment variable and default', () => {
  const section = protocol.slice(protocol.indexOf('## §7'), protocol.indexOf('## §8'));
  for (const spec of SERVER_OPTIONS) {
    const row = section.split('\n').find((l) => l.startsWith(`| \`--${flagName(spec.key)}\``));
    assert.ok(row, `docs/protocol.md §7 has no row for --${flagName(spec.key)}`);
    assert.ok(
      row.includes(`\`${envName(spec.key)}\``),
      `§7 row of --${flagName(spec.key)} lacks its variable`,
    );
    if (spec.default !== undefined) {
      assert.ok(
        row.includes(`\`${String(spec.default)}\``),
        `§7 row of --${flagName(spec.key)} lacks its default`,
      );
    }
  }
});
