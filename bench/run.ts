/**
 * `npm run bench`: runs the benchmark scenarios against chat-server and, in
 * the same run, against `ncat --chat` as a reference; prints a table and
 * writes bench/results/<timestamp>.json. See docs/performance.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Ctx } from './lib/load.js';
import type { ServerKind } from './lib/messages.js';
import {
  CHAT_SERVER_JS,
  detectMachine,
  killAllStarted,
  loadAverage,
  nofileLimits,
} from './lib/procs.js';
import { renderTable } from './lib/report.js';
import type { Scenario, ScenarioReport } from './scenarios/common.js';
import { scenarioH } from './scenarios/cluster.js';
import { scenarioE } from './scenarios/db.js';
import { scenarioA } from './scenarios/fanout.js';
import { scenarioG } from './scenarios/ingest.js';
import { scenarioB } from './scenarios/latency.js';
import { scenarioC } from './scenarios/scale.js';
import { scenarioD } from './scenarios/slow.js';
import { scenarioF } from './scenarios/transfer.js';

const SCENARIOS: Record<string, { name: string; run: Scenario }> = {
  a: { name: 'fan-out', run: scenarioA },
  b: { name: 'latency', run: scenarioB },
  c: { name: 'scale', run: scenarioC },
  d: { name: 'slow reader', run: scenarioD },
  e: { name: 'fan-out with --db', run: scenarioE },
  f: { name: 'file transfer', run: scenarioF },
  g: { name: 'ingest', run: scenarioG },
  h: { name: 'cluster', run: scenarioH },
};

const HELP = `Usage: npm run bench -- [options]     (or: node dist/bench/run.js [options])

Runs each scenario against chat-server and against \`ncat --chat\` (the reference),
prints a table and writes bench/results/<timestamp>.json.

  a  fan-out: 100 clients, 10 senders with a window of 16 unanswered messages
  b  latency: 1000 clients, 2 senders at 100 msg/s each
  c  scale: 1,000 / 5,000 / 10,000 / 18,000 idle clients, all joined
  d  slow reader: one client never reads among 20 while 10 senders flood
  e  (a) with --db :memory: and with --db FILE
  f  file transfer: 10 MiB files through the server; others' chat p99 idle vs during
  g  ingest: 30 members, 10 senders at max rate, 512-byte lines; text and JSON senders,
     --db FILE and :memory:; messages/s and server CPU µs per message
  h  cluster: (a) on a redis-server started here, one chat-server vs two (clients
     spread over both): deliveries/s, Redis round trips per message, CPU-seconds
     per 1,000 deliveries per process (skipped without redis-server, except in CI)

Options:
  --quick             tiny sizes, windows under 1 s (what npm test runs)
  --scenario LIST     comma-separated subset, e.g. --scenario a,b (default: all)
  --workers N         load-generator worker threads (default 2)
  --server-arg=ARG    extra argument for every chat-server start, repeatable
                      (use the = form for values that start with a dash)
  --no-ncat           skip the ncat reference runs
  --out FILE          write the results JSON here instead of bench/results/
  -h, --help          this text
`;

interface Cli {
  quick: boolean;
  scenarios: string[];
  workers: number;
  serverArgs: string[];
  ncat: boolean;
  out: string | null;
  help: boolean;
}

function parseCli(argv: string[]): Cli {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      workers: { type: 'string' },
      'server-arg': { type: 'string', multiple: true },
      'no-ncat': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const scenarios = (values.scenario ?? Object.keys(SCENARIOS).join(','))
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const s of scenarios) {
    if (!SCENARIOS[s])
      throw new Error(`unknown scenario '${s}' (choose from ${Object.keys(SCENARIOS).join(',')})`);
  }
  const workers = values.workers === undefined ? 2 : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    throw new Error('--workers must be an integer from 1 to 64');
  }
  return {
    quick: values.quick ?? false,
    scenarios: [...new Set(scenarios)].sort(),
    workers,
    serverArgs: values['server-arg'] ?? [],
    ncat: !(values['no-ncat'] ?? false),
    out: values.out ?? null,
    help: values.help ?? false,
  };
}

/** Re-runs this script with the soft file-descriptor limit raised to the hard limit. */
function reexecWithRaisedLimit(): Promise<number> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    'sh',
    [
      '-c',
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
      'sh',
      process.execPath,
      ...process.execArgv,
      script,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: { ...process.env, CHAT_BENCH_NOFILE_RAISED: '1' } },
  );
  const forward = (sig: NodeJS.Signals): void => {
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, sig);
      } catch {
        // already gone
      }
    }
  };
  process.on('SIGINT', () => forward('SIGINT'));
  process.on('SIGTERM', () => forward('SIGTERM'));
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function defaultOut(startedAt: Date): string {
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  return path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
}

async function main(): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n\n${HELP}`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const lim = nofileLimits();
  if (lim.soft < lim.hard && !process.env['CHAT_BENCH_NOFILE_RAISED']) {
    return reexecWithRaisedLimit();
  }

  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: stopping every process this bench started`);
    killAllStarted();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const startedAt = new Date();
  const loadAtStart = loadAverage();
  const machine = detectMachine();
  const notes: string[] = [];
  const servers: ServerKind[] = [];
  if (machine.chatServerBuilt) servers.push('chat-server');
  else {
    const msg = `chat-server is not built (${path.relative(process.cwd(), CHAT_SERVER_JS)} is missing): run \`npm run build\`. Running the ncat side only.`;
    notes.push(msg);
    log(msg);
  }
  if (!cli.ncat) notes.push('ncat reference runs skipped (--no-ncat).');
  else if (machine.ncatPath) servers.push('ncat');
  else {
    const msg =
      'ncat not found, so there is no reference column. Install it with:  apt-get install -y ncat   (Debian/Ubuntu; as root or with sudo). Running the chat-server side only.';
    notes.push(msg);
    log(msg);
  }
  if (servers.length === 0) {
    log('nothing to benchmark: neither chat-server nor ncat is available');
    return 1;
  }
  notes.push(machine.pinNote);
  if (servers.includes('chat-server')) {
    notes.push(
      `chat-server's flood control and per-address connection limits are lifted for the bench: ${Object.entries(
        machine.chatServerEnv,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  }
  log(
    `${cli.quick ? 'quick run' : 'full run'}: scenarios ${cli.scenarios.join(',')} against ${servers.join(' and ')}; ${machine.pinNote}; ulimit -n ${machine.nofileSoft}/${machine.nofileHard}`,
  );

  const ctx: Ctx = {
    machine,
    quick: cli.quick,
    workers: cli.workers,
    serverArgs: cli.serverArgs,
    servers,
    addrTag: 1 + Math.floor(Math.random() * 250),
    log,
  };
  const reports = new Map<string, ScenarioReport>();
  let failed = false;
  for (const id of cli.scenarios) {
    const sc = SCENARIOS[id];
    if (!sc) continue;
    log(`scenario (${id}) ${sc.name}`);
    const t0 = performance.now();
    try {
      reports.set(id, await sc.run(ctx, reports));
    } catch (e) {
      failed = true;
      const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
      log(`scenario (${id}) failed: ${msg}`);
      reports.set(id, {
        id,
        title: `(${id}) ${sc.name}`,
        params: {},
        runs: {},
        ratios: {},
        table: { title: `(${id}) ${sc.name}`, headers: ['error'], rows: [[msg]], notes: [] },
      });
    }
    log(`scenario (${id}) done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  killAllStarted();

  // A chat-server run that errored (not one that was skipped) fails the bench.
  for (const r of reports.values()) {
    for (const [k, o] of Object.entries(r.runs)) {
      if (k.startsWith('chat-server') && !o.ok && o.error) failed = true;
    }
  }

  const finishedAt = new Date();
  const out = cli.out ?? defaultOut(startedAt);
  const json = {
    bench: 'chat-server',
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    quick: cli.quick,
    argv: process.argv.slice(2),
    machine: {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: machine.cpus,
      pinned: machine.pinned,
      pinNote: machine.pinNote,
      generatorCores: machine.generatorCores,
      generatorWorkers: cli.workers,
      nofile: { soft: machine.nofileSoft, hard: machine.nofileHard },
      ncat: machine.ncatVersion,
      chatServer: machine.chatServerBuilt,
      loadAverage1m: { start: loadAtStart, end: loadAverage() },
    },
    servers,
    serverArgs: cli.serverArgs,
    notes,
    scenarios: Object.fromEntries(
      [...reports].map(([id, r]) => [
        id,
        { title: r.title, params: r.params, runs: r.runs, ratios: r.ratios },
      ]),
    ),
  };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);

  const lines = [
    '',
    `chat-server benchmark — ${startedAt.toISOString()} — node ${process.version}, ${machine.cpus} CPUs, ${machine.pinNote}`,
    `reference: ${servers.includes('ncat') ? `ncat ${machine.ncatVersion} --chat` : 'none'}; load generator: ${cli.workers} worker threads; ulimit -n ${machine.nofileSoft}; load average ${loadAtStart} at start, ${loadAverage()} at end`,
    ...notes.filter((n) => n !== machine.pinNote).map((n) => `note: ${n}`),
    '',
  ];
  for (const r of reports.values()) lines.push(renderTable(r.table), '');
  lines.push(`Results written to ${out}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    killAllStarted();
    process.exit(code);
  },
  (e: unknown) => {
    killAllStarted();
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
