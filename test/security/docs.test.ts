/**
 * docs/security.md names options with their defaults; this keeps those
 * figures true to the option table (src/server/options.ts), and makes sure
 * every limit of docs/protocol.md §6 is in the threat table.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { flagName, SERVER_OPTIONS } from '../../src/server/options.js';

const doc = readFileSync(new URL('../../../docs/security.md', import.meta.url), 'utf8');

const LIMITS = [
  'handshakeTimeout',
  'maxLineBytes',
  'maxQueuedBytes',
  'maxMessageLines',
  'requireAccount',
  'maxConnections',
  'maxConnectionsPerAddress',
  'acceptsPerSecond',
  'rateBurst',
  'ratePerSecond',
  'rateQueue',
  'announceLimit',
  'heartbeat',
];

test('docs/security.md gives each option it names with its real default', () => {
  const named = [...doc.matchAll(/`--([a-z-]+)` \(`([^`]*)`\)/gu)];
  assert.ok(named.length > 10, 'the threat table names options with defaults');
  for (const [, flag, value] of named) {
    const spec = SERVER_OPTIONS.find((o) => flagName(o.key) === flag);
    assert.ok(spec, `docs/security.md names --${flag}, which is not an option`);
    assert.equal(value, String(spec.default), `the default of --${flag}`);
  }
  for (const key of LIMITS) {
    const spec = SERVER_OPTIONS.find((o) => o.key === key);
    if (!spec) continue;
    assert.ok(
      named.some(([, flag]) => flag === flagName(key)),
      `docs/security.md does not list --${flagName(key)}`,
    );
  }
});
