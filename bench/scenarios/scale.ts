/** (c) scale: many idle clients, all joined; time to join and server RSS per connection. */
import {
  attempt,
  fmtCount,
  GENTLE_IN_FLIGHT,
  makeClients,
  measureLoad,
  prepare,
  serverDied,
  sizes,
  spreadAddresses,
  STORM_IN_FLIGHT,
  teardown,
  UNBOUND_LIMIT,
  type Ctx,
  type Outcome,
} from '../lib/load.js';
import type { ServerKind } from '../lib/messages.js';
import { int, mb, pct, ratio } from '../lib/report.js';
import { errorRow, type ScenarioReport } from './common.js';

export interface ScaleResult {
  server: ServerKind;
  clients: number;
  joined: number;
  failed: number;
  failReasons: Record<string, number>;
  joinTimedOut: boolean;
  /** From the first connect until every client joined (or failed). */
  joinMs: number;
  /** Clients that received a broadcast after joining, and how long that took. */
  probeReached: number;
  probeOf: number;
  probeMs: number;
  rssStartKb: number | null;
  rssJoinedKb: number | null;
  rssPerConnectionBytes: number | null;
  /** After sitting idle `idleS` seconds once joined (the biggest level only; see IDLE_S). */
  rssIdleKb?: number | null;
  rssIdlePerConnectionBytes?: number | null;
  idleS?: number;
  sourceAddresses: number;
  /** Load generator CPU share while joining (see the CPU note). */
  generatorCpu: number;
  /**
   * The biggest level only, chat-server only: then LOAD_SENDERS of the clients
   * send (window LOAD_WINDOW) to the room all of them are in; the server's
   * RSS at its highest while they do, and messages/s answered.
   */
  load?: { rssPeakKb: number | null; messagesPerSec: number; deliveriesPerSec: number };
}

/** Senders active in the memory-under-load phase (issue: RSS at 18,000 with 10 senders). */
const LOAD_SENDERS = 10;
const LOAD_WINDOW = 16;

/**
 * Seconds the biggest level sits idle once joined before RSS is read again
 * (CHAT_BENCH_C_IDLE_S overrides; 0 skips). RSS just after the storm still
 * holds the young generation the joins grew: V8's two semi-spaces (16 MB
 * each by default) stay touched until a scavenge finds the allocation rate
 * low and shrinks them, which for an idle chat-server at 18,000 came about
 * 35 s after the storm (docs/performance.md, fourth pass). The idle figure is
 * what a server that holds idle connections costs.
 */
const IDLE_S = 60;

/** File descriptors the generator process needs beyond its sockets. */
const FD_SLACK = 200;

const HEADERS = [
  'clients',
  'server',
  'joined',
  'join s',
  'probe reached',
  'probe s',
  'RSS before MB',
  'RSS joined MB',
  'bytes/conn',
  'RSS idle MB',
  'bytes/conn idle',
  'gen CPU',
  'RSS 10 senders MB',
];

export async function scenarioC(ctx: Ctx): Promise<ScenarioReport> {
  // CHAT_BENCH_C_LEVELS (e.g. `18000`) runs only those levels.
  const only = (process.env['CHAT_BENCH_C_LEVELS'] ?? '').split(',').filter(Boolean).map(Number);
  const levels = only.length > 0 ? only : sizes(ctx, [1000, 5000, 10_000, 18_000], [50, 200]);
  const top = Math.max(...levels);
  // CHAT_BENCH_C_JOIN_TIMEOUT_MS: more time to join on a machine shared with other work.
  const joinTimeoutMs =
    Number(process.env['CHAT_BENCH_C_JOIN_TIMEOUT_MS']) || sizes(ctx, 20_000, 3000);
  const idleEnv = process.env['CHAT_BENCH_C_IDLE_S'];
  const idleS = idleEnv !== undefined && idleEnv !== '' ? Number(idleEnv) : sizes(ctx, IDLE_S, 0);
  const runs: Record<string, Outcome<unknown>> = {};
  const rows: string[][] = [];
  const notes: string[] = [
    `generator ulimit -n: soft ${ctx.machine.nofileSoft}, hard ${ctx.machine.nofileHard}; servers are started with their soft limit raised to the hard limit.`,
    `connections past ${UNBOUND_LIMIT.toLocaleString('en-US')} use bound source addresses 127.${ctx.addrTag}.x.y (10,000 each).`,
    'joined = got its welcome (chat-server) or first announce line (ncat); probe = a broadcast line from one joined client then reached that many of the others.',
    `clients connect as a storm: up to ${sizes(ctx, STORM_IN_FLIGHT, GENTLE_IN_FLIGHT)} connections in flight (connecting or awaiting the welcome) at once; ncat listens with a backlog of 10.`,
  ];
  const ratios: Record<string, number | null> = {};
  /** A server that could not take every client at one level is not tried at bigger ones. */
  const incomplete = new Map<ServerKind, string>();
  for (const n of levels) {
    for (const kind of ctx.servers) {
      const key = `${kind}@${n}`;
      const label = `(c) ${kind} ${n.toLocaleString('en-US')} clients`;
      const short = incomplete.get(kind);
      if (short) {
        runs[key] = { ok: false, skipped: short };
        ctx.log(`${label}: skipped, ${short}`);
        rows.push([int(n), ...errorRow(kind, runs[key], HEADERS.length - 1)]);
        continue;
      }
      if (n + FD_SLACK > ctx.machine.nofileSoft) {
        const why = `needs about ${n + FD_SLACK} file descriptors, ulimit -n is ${ctx.machine.nofileSoft} (raise it: ulimit -n ${n + FD_SLACK} or more, as root)`;
        runs[key] = { ok: false, skipped: why };
        ctx.log(`${label}: skipped, ${why}`);
        rows.push([int(n), ...errorRow(kind, runs[key], HEADERS.length - 1)]);
        continue;
      }
      const o = await attempt(ctx, label, async (): Promise<ScaleResult> => {
        const withLoad = n === top && kind === 'chat-server';
        const clients = makeClients(n, withLoad ? LOAD_SENDERS : 0, 'idle', spreadAddresses(ctx));
        // Observers (one ordinary receiver per generator worker) answer the senders' windows.
        if (withLoad)
          for (const c of clients.slice(LOAD_SENDERS, 2 * LOAD_SENDERS)) c.role = 'receiver';
        const p = await prepare(ctx, {
          label,
          kind,
          clients,
          joinTimeoutMs,
          probeTimeoutMs: sizes(ctx, 10_000, 3000),
          maxInFlight: sizes(ctx, STORM_IN_FLIGHT, GENTLE_IN_FLIGHT),
          window: LOAD_WINDOW,
        });
        try {
          const rssJoinedKb = p.rssJoinedKb;
          const grown =
            p.rssStartKb !== null && rssJoinedKb !== null ? rssJoinedKb - p.rssStartKb : null;
          let idle: Pick<ScaleResult, 'rssIdleKb' | 'rssIdlePerConnectionBytes' | 'idleS'> = {};
          if (n === top && idleS > 0 && p.join.joined > 0) {
            ctx.log(`${label}: idle ${idleS} s before reading RSS again`);
            await new Promise((resolve) => setTimeout(resolve, idleS * 1000));
            if (!p.server.running) throw serverDied(p.server);
            const rssIdleKb = p.server.rssKb();
            idle = {
              idleS,
              rssIdleKb,
              rssIdlePerConnectionBytes:
                rssIdleKb !== null && p.rssStartKb !== null
                  ? Math.round(((rssIdleKb - p.rssStartKb) * 1024) / p.join.joined)
                  : null,
            };
          }
          let load: ScaleResult['load'];
          if (withLoad && p.join.joined === n) {
            let rssPeakKb = p.server.rssKb();
            const sample = (): void => {
              const kb = p.server.rssKb();
              if (kb !== null && (rssPeakKb === null || kb > rssPeakKb)) rssPeakKb = kb;
            };
            const r = await measureLoad(ctx, p, {
              label: `${label}, ${LOAD_SENDERS} senders`,
              warmupMs: sizes(ctx, 2000, 100),
              measureMs: sizes(ctx, 8000, 300),
              onSecond: sample,
              onMeasureEnd: sample,
            });
            load = {
              rssPeakKb,
              messagesPerSec: Math.round(Math.max(0, r.sent - r.lost) / r.measureS),
              deliveriesPerSec: r.deliveriesPerSec,
            };
          }
          return {
            server: kind,
            clients: n,
            joined: p.join.joined,
            failed: p.join.failed,
            failReasons: p.join.failReasons,
            joinTimedOut: p.join.timedOut,
            joinMs: p.join.ms,
            probeReached: p.probe.reached,
            probeOf: p.probe.of,
            probeMs: p.probe.ms,
            rssStartKb: p.rssStartKb,
            rssJoinedKb,
            rssPerConnectionBytes:
              grown !== null && p.join.joined > 0
                ? Math.round((grown * 1024) / p.join.joined)
                : null,
            sourceAddresses: new Set(clients.map((c) => c.localAddress ?? '127.0.0.1')).size,
            generatorCpu: p.generatorCpu,
            ...idle,
            ...(load ? { load } : {}),
          };
        } finally {
          await teardown(p);
        }
      });
      runs[key] = o;
      if (o.ok) {
        const r = o.result;
        rows.push([
          int(n),
          kind,
          `${int(r.joined)}/${int(n)}`,
          (r.joinMs / 1000).toFixed(2) + (r.joinTimedOut ? '+' : ''),
          `${int(r.probeReached)}/${int(r.probeOf)}`,
          (r.probeMs / 1000).toFixed(2),
          mb(r.rssStartKb),
          mb(r.rssJoinedKb),
          int(r.rssPerConnectionBytes),
          r.idleS !== undefined ? mb(r.rssIdleKb ?? null) : '-',
          r.idleS !== undefined ? int(r.rssIdlePerConnectionBytes ?? null) : '-',
          pct(r.generatorCpu),
          r.load ? mb(r.load.rssPeakKb) : '-',
        ]);
        if (r.load) {
          notes.push(
            `${key} with ${LOAD_SENDERS} senders (window ${LOAD_WINDOW}) in the room of all ${int(n)}: RSS peak ${mb(r.load.rssPeakKb)} MB (target < 300), ${int(r.load.messagesPerSec)} messages/s, ${int(r.load.deliveriesPerSec)} deliveries/s.`,
          );
        }
        if (r.failed > 0)
          notes.push(`${key}: ${r.failed} failed to join (${fmtCount(r.failReasons)})`);
        if (r.joined < n) {
          incomplete.set(kind, `only ${r.joined} of ${n} clients joined at the previous level`);
        }
      } else {
        rows.push([int(n), ...errorRow(kind, o, HEADERS.length - 1)]);
      }
    }
    const chat = runs[`chat-server@${n}`];
    const nc = runs[`ncat@${n}`];
    if (chat?.ok && nc?.ok) {
      const c = chat.result as ScaleResult;
      const k = nc.result as ScaleResult;
      ratios[`joinMs@${n}`] = ratio(c.joinMs, k.joinMs);
      ratios[`rssPerConnection@${n}`] = ratio(c.rssPerConnectionBytes, k.rssPerConnectionBytes);
    }
  }
  notes.push(
    "'+' after join s: the join timeout was reached before every client had joined (clients still joining during the probe count in 'probe reached').",
    'bytes/conn = (RSS once joined − RSS before the first connection) / clients joined; gen CPU = load generator CPU share while joining.',
    ...(idleS > 0
      ? [
          `RSS idle, bytes/conn idle: the same, read after the biggest level sat idle ${idleS} s once joined (CHAT_BENCH_C_IDLE_S), when V8 has had the chance to give back the young generation the joins grew.`,
        ]
      : []),
  );
  const title = `(c) scale: ${levels.map((l) => l.toLocaleString('en-US')).join(' / ')} idle clients, all joined`;
  return {
    id: 'c',
    title,
    params: { levels, joinTimeoutMs, idleS },
    runs,
    ratios,
    table: { title, headers: HEADERS, rows, notes },
  };
}
