/**
 * (g) ingest: what one message costs the server. A small room (30 members)
 * with 10 senders at the highest rate the server takes, 512-byte lines, so the
 * work is dominated by accepting messages (framing, decoding, validation,
 * storing, sequencing, acking) rather than by fan-out. Text and JSON senders in
 * separate runs, each with `--db FILE` and `--db :memory:`, beside `ncat --chat`
 * and beside the floor: a bare Node `net.Server` relaying each chunk it reads
 * to the other sockets (`node-relay`, bench/lib/floor-server.ts), which is
 * what the kernel and Node's own stream code cost per message on this machine
 * before chat-server does anything. Reports messages accepted per second,
 * deliveries per second, the server's CPU share and its CPU time per message.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
import type { ClientSpec, ServerKind } from '../lib/messages.js';
import { int, mb, pct, ratio, times } from '../lib/report.js';
import { errorRow, joinNotes, type ScenarioReport } from './common.js';

export type IngestSizes = {
  members: number;
  senders: number;
  /**
   * Unanswered messages each sender may have out. Bigger than (a)'s 16: the
   * point is that senders are never what limits the rate (max pressure).
   */
  window: number;
  msgBytes: number;
  warmupMs: number;
  measureMs: number;
  joinTimeoutMs: number;
};

export function ingestSizes(ctx: Ctx): IngestSizes {
  return sizes<IngestSizes>(
    ctx,
    {
      members: 30,
      senders: 10,
      window: 64,
      msgBytes: 512,
      warmupMs: 2000,
      measureMs: 10_000,
      joinTimeoutMs: 10_000,
    },
    {
      members: 8,
      senders: 3,
      window: 64,
      msgBytes: 512,
      warmupMs: 200,
      measureMs: 500,
      joinTimeoutMs: 5000,
    },
  );
}

/** What (g) reports per run, on top of the load figures. */
export interface IngestResult extends LoadResult {
  mode: 'text' | 'json';
  db: string;
  /** Messages the senders had accepted (sent within the window) per second. */
  messagesPerSec: number;
  /** Server CPU time per accepted message, in microseconds. */
  cpuUsPerMessage: number | null;
}

export async function ingestOnce(
  ctx: Ctx,
  kind: ServerKind,
  label: string,
  mode: 'text' | 'json',
  db: string | null,
): Promise<IngestResult> {
  const s = ingestSizes(ctx);
  const clients: ClientSpec[] = makeClients(s.members, s.senders).map((c) =>
    mode === 'json' && c.role === 'sender' ? { ...c, json: true } : c,
  );
  const p = await prepare(ctx, {
    label,
    kind,
    clients,
    window: s.window,
    msgBytes: s.msgBytes,
    args: db === null ? [] : ['--db', db],
    joinTimeoutMs: s.joinTimeoutMs,
    probeTimeoutMs: ctx.quick ? 3000 : 5000,
  });
  let r: LoadResult;
  try {
    r = await measureLoad(ctx, p, { label, warmupMs: s.warmupMs, measureMs: s.measureMs });
  } finally {
    await teardown(p);
  }
  // With a window, a sender sends exactly as fast as its messages are
  // answered (delivered to its worker's observer), so the steady-state send
  // rate is the accepted rate; messages that were lost are taken off.
  const accepted = Math.max(0, r.sent - r.lost);
  const messagesPerSec = Math.round(accepted / r.measureS);
  const cpuUsPerMessage =
    r.serverCpu !== null && accepted > 0
      ? Math.round(((r.serverCpu * r.measureS * 1e6) / accepted) * 10) / 10
      : null;
  return { ...r, mode, db: db ?? '-', messagesPerSec, cpuUsPerMessage };
}

const HEADERS = [
  'server',
  'joined',
  'msgs/s',
  'deliveries/s',
  'srv CPU',
  'CPU µs/msg',
  'p50 ms',
  'p99 ms',
  'lost',
  'errors',
  'gen CPU',
  'RSS end MB',
];

function row(name: string, r: IngestResult): string[] {
  return [
    name,
    `${r.joined}/${r.clients}`,
    int(r.messagesPerSec),
    int(r.deliveriesPerSec),
    pct(r.serverCpu),
    r.cpuUsPerMessage === null ? '-' : r.cpuUsPerMessage.toFixed(1),
    r.latencyMs.p50.toFixed(2),
    r.latencyMs.p99.toFixed(2),
    int(r.lost),
    Object.entries(r.errors)
      .map(([k, v]) => `${k}:${v}`)
      .join(',') || '0',
    pct(r.generatorCpu),
    mb(r.serverRssKb.end),
  ];
}

/** The row of the bare Node relay (the floor). */
const FLOOR = 'node relay (floor)';

export async function scenarioG(ctx: Ctx): Promise<ScenarioReport> {
  const s = ingestSizes(ctx);
  const file = path.join(os.tmpdir(), `chat-bench-ingest-${process.pid}-${Date.now()}.db`);
  const variants: { name: string; mode: 'text' | 'json'; db: string }[] = [
    { name: 'chat-server text --db FILE', mode: 'text', db: file },
    { name: 'chat-server text --db :memory:', mode: 'text', db: ':memory:' },
    { name: 'chat-server json --db FILE', mode: 'json', db: file },
    { name: 'chat-server json --db :memory:', mode: 'json', db: ':memory:' },
  ];
  const runs: Record<string, Outcome<unknown>> = {};
  const order: string[] = [];
  // --quick (what npm test runs) keeps two of the four chat-server runs, one
  // per mode and one per kind of db, so every code path still runs.
  // CHAT_BENCH_G_ONLY (e.g. `text-file,json-memory`) keeps only those runs,
  // for profiling one of them with CHAT_BENCH_NODE_ARGS.
  const only = (process.env['CHAT_BENCH_G_ONLY'] ?? '').split(',').filter(Boolean);
  const chosen = (ctx.quick ? variants.filter((_, i) => i === 0 || i === 3) : variants).filter(
    (v) => only.length === 0 || only.includes(`${v.mode}-${v.db === file ? 'file' : 'memory'}`),
  );
  if (ctx.servers.includes('chat-server')) {
    for (const v of chosen) {
      const label = `(g) ${v.name}`;
      try {
        runs[v.name] = await attempt(ctx, label, () =>
          ingestOnce(ctx, 'chat-server', label, v.mode, v.db),
        );
      } finally {
        for (const suffix of ['', '-wal', '-shm', '-journal'])
          rmSync(`${file}${suffix}`, { force: true });
      }
      order.push(v.name);
    }
  }
  if (ctx.servers.includes('chat-server') && only.length === 0) {
    runs[FLOOR] = await attempt(ctx, `(g) ${FLOOR}`, () =>
      ingestOnce(ctx, 'node-relay', `(g) ${FLOOR}`, 'text', null),
    );
    order.push(FLOOR);
  }
  if (ctx.servers.includes('ncat')) {
    runs['ncat'] = await attempt(ctx, '(g) ncat', () =>
      ingestOnce(ctx, 'ncat', '(g) ncat', 'text', null),
    );
    order.push('ncat');
  }
  const res = (name: string): IngestResult | null => {
    const o = runs[name];
    return o?.ok ? (o.result as IngestResult) : null;
  };
  const ncat = res('ncat');
  const ratios: Record<string, number | null> = {};
  const notes: string[] = [];
  for (const v of variants) {
    const r = res(v.name);
    ratios[`${v.name} deliveries / ncat`] = ratio(r?.deliveriesPerSec, ncat?.deliveriesPerSec);
  }
  for (const mode of ['text', 'json'] as const) {
    const f = res(`chat-server ${mode} --db FILE`);
    const m = res(`chat-server ${mode} --db :memory:`);
    const k = `${mode} FILE / :memory: msgs`;
    ratios[k] = ratio(f?.messagesPerSec, m?.messagesPerSec);
    notes.push(`${mode}: --db FILE / --db :memory: messages/s ${times(ratios[k] ?? null)}`);
  }
  const textFile = res('chat-server text --db FILE');
  const floor = res(FLOOR);
  ratios['text FILE CPU / floor CPU per message'] = ratio(
    textFile?.cpuUsPerMessage,
    floor?.cpuUsPerMessage,
  );
  if (textFile?.cpuUsPerMessage && floor?.cpuUsPerMessage) {
    notes.push(
      `floor: a bare Node relay costs ${floor.cpuUsPerMessage.toFixed(1)} µs of CPU per message in this run; ` +
        `chat-server text --db FILE ${textFile.cpuUsPerMessage.toFixed(1)} ` +
        `(${times(ratios['text FILE CPU / floor CPU per message'] ?? null)}), ` +
        `so ${(textFile.cpuUsPerMessage - floor.cpuUsPerMessage).toFixed(1)} µs is chat-server's own work`,
    );
  }
  notes.push(
    `deliveries/s chat-server text --db FILE / ncat: ${times(ratios['chat-server text --db FILE deliveries / ncat'] ?? null)}` +
      (textFile && textFile.cpuUsPerMessage !== null
        ? `; ${textFile.cpuUsPerMessage.toFixed(1)} µs of server CPU per message (target ≤ 10)`
        : ''),
    ...joinNotes(runs),
    'msgs/s = messages the senders had answered per second (a sender keeps at most ' +
      `${s.window} unanswered); CPU µs/msg = server user+system CPU time over the window / those messages. ` +
      'JSON senders send `say` with an id (acked); receivers are text clients.',
  );
  const rows = order.map((name) => {
    const o = runs[name];
    if (!o) return errorRow(name, { ok: false, skipped: 'not run' }, HEADERS.length);
    return o.ok ? row(name, o.result as IngestResult) : errorRow(name, o, HEADERS.length);
  });
  const title = `(g) ingest: ${s.members} members, ${s.senders} senders (window ${s.window}), ${s.msgBytes}-byte lines, ${s.measureMs / 1000} s measured`;
  return {
    id: 'g',
    title,
    params: s,
    runs,
    ratios,
    table: { title, headers: HEADERS, rows, notes },
  };
}
