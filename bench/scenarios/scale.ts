/** (c) scale: many idle clients, all joined; time to join and server RSS per connection. */
import {
  attempt,
  fmtCount,
  GENTLE_IN_FLIGHT,
  makeClients,
  prepare,
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
  sourceAddresses: number;
  /** Load generator CPU share while joining (see the CPU note). */
  generatorCpu: number;
}

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
  'gen CPU',
];

export async function scenarioC(ctx: Ctx): Promise<ScenarioReport> {
  const levels = sizes(ctx, [1000, 5000, 10_000, 18_000], [50, 200]);
  const joinTimeoutMs = sizes(ctx, 20_000, 3000);
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
        const clients = makeClients(n, 0, 'idle', spreadAddresses(ctx));
        const p = await prepare(ctx, {
          label,
          kind,
          clients,
          joinTimeoutMs,
          probeTimeoutMs: sizes(ctx, 10_000, 3000),
          maxInFlight: sizes(ctx, STORM_IN_FLIGHT, GENTLE_IN_FLIGHT),
        });
        try {
          const grown =
            p.rssStartKb !== null && p.rssJoinedKb !== null ? p.rssJoinedKb - p.rssStartKb : null;
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
            rssJoinedKb: p.rssJoinedKb,
            rssPerConnectionBytes:
              grown !== null && p.join.joined > 0
                ? Math.round((grown * 1024) / p.join.joined)
                : null,
            sourceAddresses: new Set(clients.map((c) => c.localAddress ?? '127.0.0.1')).size,
            generatorCpu: p.generatorCpu,
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
          pct(r.generatorCpu),
        ]);
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
  );
  const title = `(c) scale: ${levels.map((l) => l.toLocaleString('en-US')).join(' / ')} idle clients, all joined`;
  return {
    id: 'c',
    title,
    params: { levels, joinTimeoutMs },
    runs,
    ratios,
    table: { title, headers: HEADERS, rows, notes },
  };
}
