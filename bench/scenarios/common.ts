/** What every scenario returns: raw per-server outcomes for the JSON file and a table. */
import type { Ctx, LoadResult, Outcome } from '../lib/load.js';
import type { ServerKind } from '../lib/messages.js';
import { int, ms, pct, type Table } from '../lib/report.js';

export interface ScenarioReport {
  id: string;
  title: string;
  params: Record<string, unknown>;
  /** Per server (and variant), the outcome: a result, an error or a skip reason. */
  runs: Record<string, Outcome<unknown>>;
  ratios: Record<string, number | null>;
  table: Table;
}

export type Scenario = (ctx: Ctx, earlier: Map<string, ScenarioReport>) => Promise<ScenarioReport>;

export function errorRow(name: string, o: Outcome<unknown>, width: number): string[] {
  const text = o.ok ? '' : o.skipped ? `skipped: ${o.skipped}` : `error: ${o.error ?? 'unknown'}`;
  return [
    name,
    text.length > 120 ? `${text.slice(0, 117)}...` : text,
    ...Array<string>(Math.max(0, width - 2)).fill(''),
  ];
}

export const LOAD_HEADERS = [
  'server',
  'joined',
  'deliveries/s',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'max ms',
  'lost',
  'errors',
  'gen CPU',
  'gen loop',
  'srv CPU',
];

export function errorsText(e: Record<string, number>): string {
  const parts = Object.entries(e).map(([k, v]) => `${k}:${v}`);
  return parts.length ? parts.join(',') : '0';
}

export function loadRow(name: string, r: LoadResult): string[] {
  return [
    name,
    `${r.joined}/${r.clients}`,
    int(r.deliveriesPerSec),
    ms(r.latencyMs.p50),
    ms(r.latencyMs.p90),
    ms(r.latencyMs.p99),
    ms(r.latencyMs.max),
    int(r.lost),
    errorsText(r.errors),
    pct(r.generatorCpu),
    pct(r.workerEventLoopUtilization.length ? Math.max(...r.workerEventLoopUtilization) : null),
    pct(r.serverCpu),
  ];
}

/** Busy-machine warnings: other processes' CPU share above this is reported. */
const OTHER_CPU_WARN = 0.15;

/** Warns when a run measured a smaller room than asked for, or shared the machine. */
export function joinNotes(runs: Record<string, Outcome<unknown>>): string[] {
  const out: string[] = [];
  for (const [name, o] of Object.entries(runs)) {
    if (!o.ok) continue;
    const r = o.result as LoadResult;
    if (r.otherCpu !== null && r.otherCpu > OTHER_CPU_WARN) {
      out.push(
        `WARNING ${name}: other processes used ${Math.round(r.otherCpu * 100)}% of a core while it was measured; its figures are disturbed.`,
      );
    }
    if (r.joined < r.clients) {
      out.push(
        `WARNING ${name}: only ${r.joined} of ${r.clients} clients joined in time` +
          (Object.keys(r.joinFailures).length ? ` (refused: ${errorsText(r.joinFailures)})` : '') +
          '; its figures are for that smaller room and not comparable.',
      );
    }
  }
  return out;
}

export function loadRows(
  runs: Record<string, Outcome<unknown>>,
  servers: ServerKind[],
): string[][] {
  return servers.map((s) => {
    const o = runs[s];
    if (!o) return errorRow(s, { ok: false, skipped: 'not run' }, LOAD_HEADERS.length);
    return o.ok ? loadRow(s, o.result as LoadResult) : errorRow(s, o, LOAD_HEADERS.length);
  });
}

export function resultOf(o: Outcome<unknown> | undefined): LoadResult | null {
  return o?.ok ? (o.result as LoadResult) : null;
}

export const CPU_NOTE =
  'gen CPU = load generator CPU time / (wall time × its cores); gen loop = busiest worker event loop utilisation; near 100% means the generator, not the server, may be the limit. srv CPU = server CPU time as a share of one core.';
