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
  joinNotes,
  LOAD_HEADERS,
  loadRows,
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
      warmupMs: 300,
      measureMs: 1000,
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

export async function scenarioA(ctx: Ctx): Promise<ScenarioReport> {
  const s = fanoutSizes(ctx);
  const runs: Record<string, Outcome<unknown>> = {};
  for (const kind of ctx.servers) {
    const label = `(a) ${kind}`;
    runs[kind] = await attempt(ctx, label, () => fanoutOnce(ctx, kind, label));
  }
  const chat = resultOf(runs['chat-server']);
  const ncat = resultOf(runs['ncat']);
  const r = ratio(chat?.deliveriesPerSec, ncat?.deliveriesPerSec);
  const title = `(a) fan-out: ${s.clients} clients, ${s.senders} senders, window ${s.window}, ${s.msgBytes}-byte lines, ${s.measureMs / 1000} s measured`;
  return {
    id: 'a',
    title,
    params: s,
    runs,
    ratios: { deliveriesPerSec: r },
    table: {
      title,
      headers: LOAD_HEADERS,
      rows: loadRows(runs, ctx.servers),
      notes: [
        ...joinNotes(runs),
        `deliveries/s chat-server/ncat: ${times(r)} (target ≥ 6×)`,
        CPU_NOTE,
      ],
    },
  };
}
