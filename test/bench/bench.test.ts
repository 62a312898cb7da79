/**
 * Keeps the benchmark from rotting: runs `bench/run.js --quick` once (and once
 * more as if ncat were not installed) and checks that it exits 0 and writes a
 * results file with every scenario. No timing is asserted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

interface Outcome {
  ok: boolean;
  skipped?: string;
  error?: string;
  result?: unknown;
}

interface Results {
  quick: boolean;
  servers: string[];
  notes: string[];
  scenarios: Record<string, { title: string; runs: Record<string, Outcome> }>;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the bench and resolves when it exits (no fixed waits). */
function runBench(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const cp = spawn(process.execPath, [RUN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    cp.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cp.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    cp.on('error', reject);
    cp.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function which(tool: string): string | null {
  for (const dir of (process.env['PATH'] ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(dir, tool);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

let tmp = '';
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-test-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

// Generous timeouts: every scenario starts chat-server at least once (twice in a,
// three times in g), and on a loaded 2-core machine a start alone takes seconds.
test(
  'bench --quick runs every scenario and writes the results JSON',
  { timeout: 180_000 },
  async () => {
    const out = path.join(tmp, 'quick.json');
    const r = await runBench(['--quick', '--out', out]);
    assert.equal(r.code, 0, `bench exited ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`);
    assert.ok(existsSync(out), 'results file written');
    const res = JSON.parse(readFileSync(out, 'utf8')) as Results;
    assert.equal(res.quick, true);
    assert.deepEqual(Object.keys(res.scenarios).sort(), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    assert.ok(res.servers.includes('chat-server'), 'chat-server was benchmarked');
    for (const [id, sc] of Object.entries(res.scenarios)) {
      assert.ok(Object.keys(sc.runs).length > 0, `scenario ${id} has runs`);
      for (const [name, o] of Object.entries(sc.runs)) {
        if (name.startsWith('chat-server')) {
          assert.ok(o.ok || o.skipped, `${id}/${name}: ${o.error ?? ''}`);
        }
      }
    }
    assert.match(r.stdout, /\(a\) fan-out/);
    assert.match(r.stdout, /Results written to /);
  },
);

test(
  'bench --quick without ncat runs the chat-server side and says how to install ncat',
  { timeout: 90_000 },
  async () => {
    // A PATH holding only the tools the bench uses besides ncat.
    const bin = path.join(tmp, 'bin');
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin };
    mkdirSync(bin);
    for (const tool of ['sh', 'taskset', 'getconf']) {
      const p = which(tool);
      if (p) symlinkSync(p, path.join(bin, tool));
    }
    const out = path.join(tmp, 'no-ncat.json');
    const r = await runBench(['--quick', '--scenario', 'a', '--out', out], env);
    assert.equal(r.code, 0, `bench exited ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`);
    assert.match(`${r.stdout}${r.stderr}`, /apt-get install -y ncat/);
    const res = JSON.parse(readFileSync(out, 'utf8')) as Results;
    assert.deepEqual(res.servers, ['chat-server']);
    assert.deepEqual(Object.keys(res.scenarios), ['a']);
    assert.equal(res.scenarios['a']?.runs['ncat'], undefined);
  },
);
