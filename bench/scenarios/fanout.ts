/** (a) fan-out: windowed senders flooding a room; deliveries per second and latency. */
import {
  attempt,
  makeClients,
  measureLoad,
  prepare,
  sizes,
  teardown,
  type Ctx,
  type LoadResult,
  type Outcome,
} from '../lib/load.js';
import type { ServerKind } from '../lib/messages.js';
import { ratio, times } from '../lib/report.js';
import {
  CPU_NOTE,
  errorRow,
  joinNotes,
  LOAD_HEADERS,
  loadRow,
  resultOf,
  type ScenarioReport,
} from './common.js';

export function fanoutSizes(ctx: Ctx): {
  clients: number;
  senders: number;
  window: number;
  msgBytes: number;
  warmupMs: number;
  measureMs: number;
  joinTimeoutMs: number;
} {
  return sizes(
    ctx,
    {
      clients: 100,
      senders: 10,
      window: 16,
      msgBytes: 100,
      warmupMs: 2000,
      measureMs: 10_000,
      joinTimeoutMs: 10_000,
    },
    {
      clients: 10,
      senders: 3,
      window: 16,
      msgBytes: 100,
      warmupMs: 150,
      measureMs: 400,
      joinTimeoutMs: 5000,
    },
  );
}

/** One fan-out run against one server (extra chat-server args for scenario e). */
export async function fanoutOnce(
  ctx: Ctx,
  kind: ServerKind,
  label: string,
  args: string[] = [],
): Promise<LoadResult> {
  const s = fanoutSizes(ctx);
  const p = await prepare(ctx, {
    label,
    kind,
    clients: makeClients(s.clients, s.senders),
    window: s.window,
    msgBytes: s.msgBytes,
    args,
    joinTimeoutMs: s.joinTimeoutMs,
    probeTimeoutMs: ctx.quick ? 3000 : 5000,
  });
  try {
    return await measureLoad(ctx, p, { label, warmupMs: s.warmupMs, measureMs: s.measureMs });
  } finally {
    await teardown(p);
  }
}

/** Scenario (a)'s second chat-server run: the same load with Prometheus metrics served. */
export const METRICS_RUN = 'chat-server --metrics';

export async function scenarioA(ctx: Ctx): Promise<ScenarioReport> {
  const s = fanoutSizes(ctx);
  const runs: Record<string, Outcome<unknown>> = {};
  const order: string[] = [];
  for (const kind of ctx.servers) {
    const label = `(a) ${kind}`;
    runs[kind] = await attempt(ctx, label, () => fanoutOnce(ctx, kind, label));
    order.push(kind);
    if (kind === 'chat-server') {
      // The same load with --metrics on (docs/operations.md): counting must
      // not slow the fan-out, so both are measured in one run (issue #13).
      // Port 0: the metrics listener takes any free loopback port.
      const mLabel = `(a) ${METRICS_RUN}`;
      runs[METRICS_RUN] = await attempt(ctx, mLabel, () =>
        fanoutOnce(ctx, kind, mLabel, ['--metrics', '127.0.0.1:0']),
      );
      order.push(METRICS_RUN);
    }
  }
  const chat = resultOf(runs['chat-server']);
  const withMetrics = resultOf(runs[METRICS_RUN]);
  const ncat = resultOf(runs['ncat']);
  const r = ratio(chat?.deliveriesPerSec, ncat?.deliveriesPerSec);
  const rm = ratio(withMetrics?.deliveriesPerSec, ncat?.deliveriesPerSec);
  const onOff = ratio(withMetrics?.deliveriesPerSec, chat?.deliveriesPerSec);
  const title = `(a) fan-out: ${s.clients} clients, ${s.senders} senders, window ${s.window}, ${s.msgBytes}-byte lines, ${s.measureMs / 1000} s measured`;
  const rows = order.map((name) => {
    const o = runs[name];
    if (!o) return errorRow(name, { ok: false, skipped: 'not run' }, LOAD_HEADERS.length);
    return o.ok ? loadRow(name, o.result as LoadResult) : errorRow(name, o, LOAD_HEADERS.length);
  });
  return {
    id: 'a',
    title,
    params: s,
    runs,
    ratios: { deliveriesPerSec: r, metricsPerSec: rm, metricsOnOff: onOff },
    table: {
      title,
      headers: LOAD_HEADERS,
      rows,
      notes: [
        ...joinNotes(runs),
        `deliveries/s chat-server/ncat: ${times(r)} (target ≥ 6×); with --metrics: ${times(rm)}`,
        `deliveries/s with --metrics / without: ${times(onOff)} (counting must not slow the fan-out)`,
        CPU_NOTE,
      ],
    },
  };
}
