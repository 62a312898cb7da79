/** (b) latency: a big room, two senders at a fixed rate; delivery latency percentiles. */
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
import { ratio, times } from '../lib/report.js';
import {
  CPU_NOTE,
  joinNotes,
  LOAD_HEADERS,
  loadRows,
  resultOf,
  type ScenarioReport,
} from './common.js';

export async function scenarioB(ctx: Ctx): Promise<ScenarioReport> {
  const s = sizes(
    ctx,
    {
      clients: 1000,
      senders: 2,
      rate: 100,
      warmupMs: 2000,
      measureMs: 10_000,
      // ncat needs about 11 s to admit 1000 clients (every join is O(N) lines).
      joinTimeoutMs: 30_000,
    },
    { clients: 10, senders: 2, rate: 100, warmupMs: 100, measureMs: 400, joinTimeoutMs: 5000 },
  );
  const runs: Record<string, Outcome<unknown>> = {};
  for (const kind of ctx.servers) {
    const label = `(b) ${kind}`;
    runs[kind] = await attempt(ctx, label, async (): Promise<LoadResult> => {
      const p = await prepare(ctx, {
        label,
        kind,
        clients: makeClients(s.clients, s.senders),
        ratePerSender: s.rate,
        msgBytes: 100,
        joinTimeoutMs: s.joinTimeoutMs,
        probeTimeoutMs: ctx.quick ? 3000 : 8000,
      });
      try {
        return await measureLoad(ctx, p, { label, warmupMs: s.warmupMs, measureMs: s.measureMs });
      } finally {
        await teardown(p);
      }
    });
  }
  const chat = resultOf(runs['chat-server']);
  const ncat = resultOf(runs['ncat']);
  const r50 = ratio(chat?.latencyMs.p50, ncat?.latencyMs.p50);
  const r99 = ratio(chat?.latencyMs.p99, ncat?.latencyMs.p99);
  const title = `(b) latency: ${s.clients} clients, ${s.senders} senders at ${s.rate} msg/s each, ${s.measureMs / 1000} s measured`;
  return {
    id: 'b',
    title,
    params: s,
    runs,
    ratios: { p50: r50, p99: r99 },
    table: {
      title,
      headers: LOAD_HEADERS,
      rows: loadRows(runs, ctx.servers),
      notes: [
        ...joinNotes(runs),
        `latency chat-server/ncat: p50 ${times(r50)}, p99 ${times(r99)} (lower is better; target p99 ≤ 20 ms)`,
        CPU_NOTE,
      ],
    },
  };
}
