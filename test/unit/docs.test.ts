/**
 * The README's option table is generated from the option table by hand; this
 * test keeps the two from drifting (STYLE.md: options are one table).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { envName, flagName, SERVER_OPTIONS } from '../../src/server/options.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

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
