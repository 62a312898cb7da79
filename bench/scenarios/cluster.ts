/**
 * (h) cluster: the fan-out of (a) on Redis, once with one chat-server and
 * once with two chat-servers sharing the same redis-server (started here),
 * senders and receivers spread over both. Besides deliveries/s it reports
 * what a message costs Redis (round trips from the servers, and commands run
 * in all) and CPU-seconds per 1,000 deliveries for each process.
 */
import net from 'node:net';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { Fleet } from '../lib/fleet.js';
import {
  fmtCount,
  GENTLE_IN_FLIGHT,
  makeClients,
  measureLoad,
  serverDied,
  type Ctx,
  type LoadResult,
  type Outcome,
  type Prepared,
} from '../lib/load.js';
import {
  HOST,
  RedisProcess,
  redisServerAvailable,
  startServer,
  type ServerProcess,
} from '../lib/procs.js';
import { int, ratio, times } from '../lib/report.js';
import { CPU_NOTE, errorRow, joinNotes, loadRow, resultOf, type ScenarioReport } from './common.js';
import { fanoutSizes } from './fanout.js';

/** What one run of (h) measured beyond the usual load figures. */
export interface ClusterResult extends LoadResult {
  nodes: number;
  /** Commands the chat-servers sent Redis per message stored (a script counts once), from MONITOR during warm-up. */
  roundTripsPerMessage: number | null;
  /** Which commands those were, per message. */
  roundTripsByCommand: Record<string, number>;
  /** Every command Redis ran per message in the measured span, the ones inside scripts included. */
  commandsPerMessage: number | null;
  /** CPU-seconds per 1,000 deliveries in the measured span, per process. */
  cpuSecondsPer1000: Record<string, number | null>;
}

const VARIANTS: Array<{ name: string; nodes: number }> = [
  { name: '1 node on Redis', nodes: 1 },
  { name: '2 nodes on Redis', nodes: 2 },
];

/**
 * Where client `idx` connects: node `floor(idx / 2) % nodes`. Generator
 * workers take clients by `idx % workers`, so with two workers every worker
 * has senders and receivers on both nodes.
 */
function nodeOf(idx: number, nodes: number): number {
  return Math.floor(idx / 2) % nodes;
}

/**
 * Run MONITOR on a plain connection and call `onCommand` for every command a
 * client sent (not those a script ran: MONITOR marks them `[0 lua]`).
 * Returns a function that ends it.
 */
function monitor(port: number, onCommand: (cmd: string) => void, onAppend: () => void): () => void {
  const socket = net.connect(port, HOST);
  socket.write('MONITOR\r\n');
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 2);
      // `+1700000000.123456 [0 127.0.0.1:5000] "evalsha" "…" …`
      const m = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]*)"(?: "[^"]*" "([^"]*)")?/.exec(line);
      if (!m) continue;
      if (m[1] !== 'lua') onCommand(m[2]!.toLowerCase());
      // The append script counts each stored message once: HINCRBY <meta> top 1.
      else if (m[2]!.toLowerCase() === 'hincrby' && m[3] === 'top') onAppend();
    }
  });
  socket.on('error', () => undefined);
  return () => socket.destroy();
}

/** Messages stored in #lobby so far (its seq). */
async function lobbyTop(redis: Redis): Promise<number> {
  return Number((await redis.hget(new RedisKeys('chat:').stream('#lobby').meta, 'top')) ?? 0);
}

/** Redis's count of commands processed so far (scripts' inner commands included). */
async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  const m = /total_commands_processed:(\d+)/.exec(info);
  return m?.[1] ? Number(m[1]) : NaN;
}

async function clusterOnce(
  ctx: Ctx,
  redisProc: RedisProcess,
  nodes: number,
  label: string,
): Promise<ClusterResult> {
  const s = fanoutSizes(ctx);
  const servers: ServerProcess[] = [];
  const admin = new Redis(redisProc.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let fleet: Fleet | null = null;
  try {
    await admin.connect();
    // Each run starts from an empty Redis: no history replayed into the join.
    await admin.flushall();
    for (let i = 0; i < nodes; i++) {
      servers.push(
        await startServer({
          kind: 'chat-server',
          pin: ctx.machine.pinned,
          args: [...ctx.serverArgs, '--redis', redisProc.url],
          env: ctx.machine.chatServerEnv,
        }),
      );
    }
    const clients = makeClients(s.clients, s.senders).map((c) => ({
      ...c,
      port: servers[nodeOf(c.idx, nodes)]!.port,
    }));
    const rssStartKb = servers[0]!.rssKb();
    fleet = new Fleet({
      host: HOST,
      port: servers[0]!.port,
      kind: 'chat-server',
      clients,
      workers: ctx.workers,
      msgBytes: s.msgBytes,
      window: s.window,
      ratePerSender: 0,
      maxInFlight: GENTLE_IN_FLIGHT,
      answerTimeoutMs: ctx.quick ? 2000 : 5000,
    });
    const join = await fleet.join(s.joinTimeoutMs);
    ctx.log(
      `${label}: ${join.joined}/${join.total} joined in ${(join.ms / 1000).toFixed(2)} s` +
        (join.failed ? ` (${join.failed} failed: ${fmtCount(join.failReasons)})` : ''),
    );
    const probe = await fleet.probe(ctx.quick ? 3000 : 5000, ctx.quick ? 100 : 250);
    if (probe.reached < probe.of) {
      ctx.log(`${label}: only ${probe.reached}/${probe.of} clients received the join probe`);
    }
    for (const sp of servers) if (!sp.running) throw serverDied(sp);
    const p: Prepared = {
      server: servers[0]!,
      fleet,
      join,
      probe,
      rssStartKb,
      rssJoinedKb: servers[0]!.rssKb(),
      generatorCpu: 0,
    };

    // Round trips: MONITOR during the warm-up (it slows Redis, so not while
    // measuring) tells the servers' own commands from those inside scripts.
    const byCommand: Record<string, number> = {};
    let roundTrips = 0;
    let warmSent = 0;
    const warmup = async (ms: number): Promise<void> => {
      const stop = monitor(
        redisProc.port,
        (cmd) => {
          byCommand[cmd] = (byCommand[cmd] ?? 0) + 1;
          roundTrips++;
        },
        () => warmSent++,
      );
      try {
        await new Promise((resolve) => setTimeout(resolve, ms));
      } finally {
        stop();
      }
    };

    const procs: Array<[string, () => number | null]> = [
      ...servers.map((sp, i): [string, () => number | null] => [
        `chat-server ${String.fromCharCode(65 + i)}`,
        () => sp.cpuTicks(),
      ]),
      ['redis-server', () => redisProc.cpuTicks()],
    ];
    let ticks0: Array<number | null> = [];
    let ticks1: Array<number | null> = [];
    let gen0 = process.cpuUsage();
    let gen = process.cpuUsage(gen0);
    let cmds0 = 0;
    let cmds1 = 0;
    let top0 = 0;
    let top1 = 0;
    const result = await measureLoad(ctx, p, {
      label,
      warmupMs: s.warmupMs,
      measureMs: s.measureMs,
      warmup,
      onMeasureStart: async () => {
        cmds0 = await commandsProcessed(admin);
        top0 = await lobbyTop(admin);
        ticks0 = procs.map(([, read]) => read());
        gen0 = process.cpuUsage();
      },
      onMeasureEnd: async () => {
        ticks1 = procs.map(([, read]) => read());
        gen = process.cpuUsage(gen0);
        top1 = await lobbyTop(admin);
        cmds1 = await commandsProcessed(admin);
      },
    });
    const perK = result.deliveries / 1000;
    const cpuSecondsPer1000: Record<string, number | null> = {};
    procs.forEach(([name], i) => {
      const a = ticks0[i];
      const b = ticks1[i];
      cpuSecondsPer1000[name] =
        a === null || a === undefined || b === null || b === undefined || perK === 0
          ? null
          : round4((b - a) / ctx.machine.clockTicks / perK);
    });
    cpuSecondsPer1000['load generator'] =
      perK === 0 ? null : round4((gen.user + gen.system) / 1e6 / perK);
    return {
      ...result,
      nodes,
      roundTripsPerMessage: warmSent > 0 ? round2(roundTrips / warmSent) : null,
      roundTripsByCommand: Object.fromEntries(
        Object.entries(byCommand).map(([k, v]) => [k, warmSent > 0 ? round2(v / warmSent) : 0]),
      ),
      // The readings themselves (INFO, HGET: 4 commands) are not the servers'.
      commandsPerMessage: top1 > top0 ? round2((cmds1 - cmds0 - 4) / (top1 - top0)) : null,
      cpuSecondsPer1000,
    };
  } finally {
    await fleet?.close();
    await Promise.all(servers.map((sp) => sp.stop()));
    admin.disconnect();
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

const HEADERS = [
  'server',
  'joined',
  'deliveries/s',
  'p50 ms',
  'p99 ms',
  'lost',
  'errors',
  'RTT/msg',
  'cmds/msg',
  'CPU-s/1k: nodes',
  'redis',
  'gen',
];

function clusterRow(name: string, r: ClusterResult): string[] {
  const base = loadRow(name, r);
  const cpu = r.cpuSecondsPer1000;
  const nodeCpu = Object.entries(cpu)
    .filter(([k]) => k.startsWith('chat-server'))
    .map(([, v]) => (v === null ? '-' : v.toFixed(4)))
    .join(' + ');
  return [
    base[0]!,
    base[1]!,
    base[2]!,
    base[3]!,
    base[5]!,
    base[7]!,
    base[8]!,
    r.roundTripsPerMessage === null ? '-' : r.roundTripsPerMessage.toFixed(2),
    r.commandsPerMessage === null ? '-' : r.commandsPerMessage.toFixed(2),
    nodeCpu,
    cpu['redis-server'] === null || cpu['redis-server'] === undefined
      ? '-'
      : cpu['redis-server'].toFixed(4),
    cpu['load generator'] === null || cpu['load generator'] === undefined
      ? '-'
      : cpu['load generator'].toFixed(4),
  ];
}

export async function scenarioH(
  ctx: Ctx,
  earlier: Map<string, ScenarioReport>,
): Promise<ScenarioReport> {
  const s = fanoutSizes(ctx);
  const title = `(h) cluster: fan-out as (a) on one redis-server, 1 node vs 2 nodes (clients spread over both), ${s.measureMs / 1000} s measured`;
  const runs: Record<string, Outcome<unknown>> = {};
  const notes: string[] = [];
  const params = { ...s, redis: 'appendonly yes, appendfsync always, noeviction' };
  const done = (): ScenarioReport => {
    const rows = VARIANTS.map(({ name }) => {
      const o = runs[name];
      if (!o) return errorRow(name, { ok: false, skipped: 'not run' }, HEADERS.length);
      return o.ok ? clusterRow(name, o.result as ClusterResult) : errorRow(name, o, HEADERS.length);
    });
    const one = resultOf(runs[VARIANTS[0]!.name]);
    const two = resultOf(runs[VARIANTS[1]!.name]);
    const plain = resultOf(earlier.get('a')?.runs['chat-server']);
    const ratios = {
      'two nodes / one node': ratio(two?.deliveriesPerSec, one?.deliveriesPerSec),
      'one node on Redis / no Redis (a)': ratio(one?.deliveriesPerSec, plain?.deliveriesPerSec),
    };
    if (one && two) {
      notes.push(
        `deliveries/s two nodes / one node: ${times(ratios['two nodes / one node'])}` +
          (plain
            ? `; one node on Redis / chat-server without Redis (a): ${times(ratios['one node on Redis / no Redis (a)'])}`
            : ''),
      );
    }
    notes.push(
      'RTT/msg = commands the chat-servers sent Redis per message said (a script counts once; MONITOR during warm-up). cmds/msg = every command Redis ran per message, those inside scripts included. CPU-s/1k = CPU-seconds per 1,000 deliveries in the measured span, per process.',
      `Every process of a run shares this machine's ${ctx.machine.cpus} cores${ctx.machine.pinned ? ' (servers and Redis pinned to CPU 0, the generator to CPU 1)' : ''}: two nodes cannot show scale-out here, only what a second node costs. See docs/performance.md for what the figures predict for more nodes.`,
      ...joinNotes(runs),
      CPU_NOTE,
    );
    return {
      id: 'h',
      title,
      params,
      runs,
      ratios,
      table: { title, headers: HEADERS, rows, notes },
    };
  };

  if (!ctx.servers.includes('chat-server')) {
    for (const { name } of VARIANTS) runs[name] = { ok: false, skipped: 'chat-server not built' };
    return done();
  }
  if (!redisServerAvailable()) {
    const why = 'redis-server is not installed (Debian package redis-server)';
    // CI installs it (.ci/run): there a missing Redis is a failure, not a skip.
    if (process.env['CI'] === 'true') {
      for (const { name } of VARIANTS) runs[name] = { ok: false, error: `${why}; CI must have it` };
    } else {
      ctx.log(`(h) SKIPPED: ${why}; install it to run this scenario`);
      for (const { name } of VARIANTS) runs[name] = { ok: false, skipped: why };
    }
    return done();
  }

  let redisProc: RedisProcess;
  try {
    redisProc = await RedisProcess.start(ctx.machine.pinned);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    for (const { name } of VARIANTS) runs[name] = { ok: false, error: msg };
    return done();
  }
  try {
    for (const { name, nodes } of VARIANTS) {
      const label = `(h) ${name}`;
      try {
        runs[name] = { ok: true, result: await clusterOnce(ctx, redisProc, nodes, label) };
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        ctx.log(`${label}: ERROR ${msg}`);
        runs[name] = { ok: false, error: msg };
      }
    }
  } finally {
    await redisProc.stop();
  }
  const two = resultOf(runs[VARIANTS[1]!.name]) as ClusterResult | null;
  if (two) ctx.log(`(h) two nodes: ${int(two.deliveriesPerSec)} deliveries/s`);
  return done();
}
