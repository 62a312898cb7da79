/** (e) the fan-out of (a) with durable history: --db :memory: and --db FILE. */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attempt, type Ctx, type LoadResult, type Outcome } from '../lib/load.js';
import { StartError } from '../lib/procs.js';
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
import { fanoutOnce, fanoutSizes } from './fanout.js';

export async function scenarioE(
  ctx: Ctx,
  earlier: Map<string, ScenarioReport>,
): Promise<ScenarioReport> {
  const s = fanoutSizes(ctx);
  const runs: Record<string, Outcome<unknown>> = {};
  const file = path.join(os.tmpdir(), `chat-bench-${process.pid}-${Date.now()}.db`);
  const variants: [string, string][] = [
    ['chat-server --db :memory:', ':memory:'],
    ['chat-server --db FILE', file],
  ];
  const notes: string[] = [];
  if (ctx.servers.includes('chat-server')) {
    let rejected: string | null = null;
    for (const [name, db] of variants) {
      if (rejected) {
        runs[name] = { ok: false, skipped: rejected };
        continue;
      }
      const label = `(e) ${name}`;
      try {
        const result = await fanoutOnce(ctx, 'chat-server', label, ['--db', db]);
        runs[name] = { ok: true, result };
      } catch (e) {
        if (e instanceof StartError && /--db|\bdb\b|unknown option/i.test(e.output)) {
          const said = e.output.trim().split('\n').slice(-2).join(' | ');
          rejected = `chat-server rejected --db (${said || e.message}); durable history not available yet`;
          ctx.log(`${label}: SKIPPED: ${rejected}`);
          runs[name] = { ok: false, skipped: rejected };
        } else {
          const msg = e instanceof Error ? e.message : String(e);
          ctx.log(`${label}: ERROR ${msg}`);
          runs[name] = { ok: false, error: msg };
        }
      } finally {
        for (const suffix of ['', '-wal', '-shm', '-journal'])
          rmSync(`${file}${suffix}`, { force: true });
      }
    }
  }
  if (ctx.servers.includes('ncat')) {
    const fromA = earlier.get('a')?.runs['ncat'];
    if (fromA?.ok) {
      runs['ncat'] = fromA;
      notes.push('ncat row: the ncat run of scenario (a) in this same run (ncat has no history).');
    } else {
      runs['ncat'] = await attempt(ctx, '(e) ncat', () => fanoutOnce(ctx, 'ncat', '(e) ncat'));
    }
  }
  const plainChat = resultOf(earlier.get('a')?.runs['chat-server']);
  const ncat = resultOf(runs['ncat']);
  const ratios: Record<string, number | null> = {};
  for (const [name] of variants) {
    const r = resultOf(runs[name]);
    ratios[`${name} / ncat`] = ratio(r?.deliveriesPerSec, ncat?.deliveriesPerSec);
    ratios[`${name} / no db`] = ratio(r?.deliveriesPerSec, plainChat?.deliveriesPerSec);
    notes.push(
      `${name}: deliveries/s ${times(ratios[`${name} / ncat`] ?? null)} ncat` +
        (plainChat
          ? `, ${times(ratios[`${name} / no db`] ?? null)} chat-server without --db (a)`
          : ''),
    );
  }
  notes.push(...joinNotes(runs), CPU_NOTE);
  const rows: string[][] = [];
  for (const name of [...variants.map((v) => v[0]), 'ncat']) {
    const o = runs[name];
    if (!o) continue;
    rows.push(
      o.ok ? loadRow(name, o.result as LoadResult) : errorRow(name, o, LOAD_HEADERS.length),
    );
  }
  const title = `(e) fan-out as (a) with durable history: --db :memory: and --db FILE`;
  return {
    id: 'e',
    title,
    params: { ...s, dbFile: 'temporary file in ' + os.tmpdir() },
    runs,
    ratios,
    table: { title, headers: LOAD_HEADERS, rows, notes },
  };
}
