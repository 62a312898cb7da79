/**
 * (d) slow reader: one client connects and never reads while the others
 * flood; the others' delivery rate and server RSS second by second, and
 * whether (and when) the server disconnected the slow reader.
 */
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  attempt,
  makeClients,
  prepare,
  serverDied,
  sizes,
  teardown,
  type Ctx,
  type Outcome,
  type Prepared,
} from '../lib/load.js';
import type { ServerKind } from '../lib/messages.js';
import { HOST, machineTaskTicks, StartError } from '../lib/procs.js';
import { int, mb, pct, ratio } from '../lib/report.js';
import { errorRow, type ScenarioReport } from './common.js';

export interface SlowResult {
  server: ServerKind;
  clients: number;
  senders: number;
  /** --max-queued-bytes given to chat-server, or null if it ran with its default. */
  maxQueuedBytes: number | null;
  note: string;
  /** Deliveries/s over all other clients, each second, before the slow reader connected. */
  baselinePerSecond: number[];
  /** …and each second after it connected. */
  slowPerSecond: number[];
  rssKbPerSecond: { phase: 'baseline' | 'slow'; second: number; rssKb: number | null }[];
  baselineRate: number;
  slowRate: number;
  /** slowRate / baselineRate. */
  keptShare: number | null;
  slowReader: {
    connected: boolean;
    disconnected: boolean;
    /** Seconds after it connected. */
    disconnectedAfterS: number | null;
    how: string | null;
  };
  rssBaselineMaxKb: number | null;
  rssSlowMaxKb: number | null;
  rssEndKb: number | null;
  /** CPU share of one core used by other processes meanwhile (approximate). */
  otherCpu: number | null;
  lost: number;
  errors: Record<string, number>;
}

/** A client that joins and then never reads. It writes an empty line every 250 ms so that a
 * closed connection shows up as a write error (its unread receive queue hides the FIN). */
class SlowReader {
  readonly sock: net.Socket;
  connected = false;
  closedAt: number | null = null;
  how: string | null = null;
  private poke: NodeJS.Timeout | null = null;
  private closedByUs = false;
  readonly t0 = performance.now();

  constructor(port: number, kind: ServerKind) {
    const s = net.connect({ host: HOST, port });
    this.sock = s;
    s.setNoDelay(true);
    s.pause();
    s.on('connect', () => {
      this.connected = true;
      if (kind === 'chat-server') s.write('slowreader\n');
      this.poke = setInterval(() => {
        if (!s.destroyed) s.write('\n');
      }, 250);
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      this.how ??= e.code ?? e.message;
    });
    s.on('close', () => {
      if (this.closedByUs) return;
      this.closedAt ??= performance.now();
      this.how ??= 'closed';
      if (this.poke) clearInterval(this.poke);
    });
  }

  close(): void {
    this.closedByUs = true;
    if (this.poke) clearInterval(this.poke);
    this.sock.destroy();
  }
}

function mean(xs: number[]): number {
  return xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0;
}

function maxOf(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
}

export async function scenarioD(ctx: Ctx): Promise<ScenarioReport> {
  const s = sizes(
    ctx,
    {
      clients: 20,
      senders: 10,
      window: 16,
      warmupMs: 2000,
      baselineMs: 5000,
      slowMs: 12_000,
      maxQueuedBytes: 1 << 20,
    },
    {
      clients: 10,
      senders: 4,
      window: 16,
      warmupMs: 100,
      baselineMs: 400,
      slowMs: 1000,
      maxQueuedBytes: 256 << 10,
    },
  );
  const runs: Record<string, Outcome<unknown>> = {};
  for (const kind of ctx.servers) {
    const label = `(d) ${kind}`;
    runs[kind] = await attempt(ctx, label, async (): Promise<SlowResult> => {
      const base = {
        label,
        kind,
        clients: makeClients(s.clients - 1, s.senders),
        window: s.window,
        msgBytes: 100,
        joinTimeoutMs: 10_000,
        probeTimeoutMs: 5000,
      };
      let maxQueued: number | null = null;
      let note = '';
      let p: Prepared;
      if (kind === 'chat-server') {
        try {
          p = await prepare(ctx, {
            ...base,
            args: ['--max-queued-bytes', String(s.maxQueuedBytes)],
          });
          maxQueued = s.maxQueuedBytes;
        } catch (e) {
          if (!(e instanceof StartError)) throw e;
          note = 'chat-server rejected --max-queued-bytes; ran with its default limit';
          ctx.log(`${label}: ${note}`);
          p = await prepare(ctx, base);
        }
      } else {
        note = 'ncat has no output limit';
        p = await prepare(ctx, base);
      }
      try {
        return await slowRun(ctx, p, label, s, maxQueued, note);
      } finally {
        await teardown(p);
      }
    });
  }
  const rows = ctx.servers.map((kind) => {
    const o = runs[kind];
    if (!o?.ok) return errorRow(kind, o ?? { ok: false, skipped: 'not run' }, HEADERS.length);
    const r = o.result as SlowResult;
    return [
      kind,
      int(r.baselineRate),
      int(r.slowRate),
      pct(r.keptShare),
      r.slowReader.disconnected
        ? `after ${r.slowReader.disconnectedAfterS?.toFixed(1)} s (${r.slowReader.how})`
        : 'no',
      mb(r.rssBaselineMaxKb),
      mb(r.rssSlowMaxKb),
      mb(r.rssEndKb),
    ];
  });
  const notes: string[] = [];
  for (const kind of ctx.servers) {
    const o = runs[kind];
    if (!o?.ok) continue;
    const r = o.result as SlowResult;
    notes.push(
      `${kind} deliveries/s each second: baseline [${r.baselinePerSecond.map(int).join(' ')}] slow [${r.slowPerSecond.map(int).join(' ')}]`,
    );
    notes.push(
      `${kind} RSS MB each second: ${r.rssKbPerSecond.map((x) => `${x.phase === 'slow' ? 's' : 'b'}${x.second}:${mb(x.rssKb)}`).join(' ')}`,
    );
    if (r.note) notes.push(`${kind}: ${r.note}`);
    if (r.otherCpu !== null && r.otherCpu > 0.15) {
      notes.push(
        `WARNING ${kind}: other processes used ${Math.round(r.otherCpu * 100)}% of a core meanwhile; its figures are disturbed.`,
      );
    }
  }
  notes.push(
    'target: slow reader disconnected at --max-queued-bytes, others keep ≥ 90 % of their rate, RSS flat.',
  );
  const title = `(d) slow reader: 1 of ${s.clients} clients never reads while ${s.senders} senders flood (window ${s.window}); ${s.baselineMs / 1000} s baseline, ${s.slowMs / 1000} s with the slow reader`;
  const chat = runs['chat-server'];
  const nc = runs['ncat'];
  return {
    id: 'd',
    title,
    params: s,
    runs,
    ratios: {
      slowPhaseRate:
        chat?.ok && nc?.ok
          ? ratio((chat.result as SlowResult).slowRate, (nc.result as SlowResult).slowRate)
          : null,
    },
    table: { title, headers: HEADERS, rows, notes },
  };
}

const HEADERS = [
  'server',
  'baseline deliv/s',
  'with slow deliv/s',
  'kept',
  'slow reader disconnected',
  'RSS base max MB',
  'RSS slow max MB',
  'RSS end MB',
];

async function slowRun(
  ctx: Ctx,
  p: Prepared,
  label: string,
  s: { warmupMs: number; baselineMs: number; slowMs: number; senders: number; clients: number },
  maxQueued: number | null,
  note: string,
): Promise<SlowResult> {
  const { fleet, server } = p;
  fleet.start();
  await delay(s.warmupMs);
  fleet.measure(true);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const srv0 = server.cpuTicks();
  const all0 = machineTaskTicks();
  const rss: SlowResult['rssKbPerSecond'] = [];
  const sample = async (
    phase: 'baseline' | 'slow',
    totalMs: number,
    out: number[],
    extra: () => string,
  ): Promise<void> => {
    const t0 = performance.now();
    let last = fleet.totals().deliveries;
    let second = 0;
    while (performance.now() - t0 < totalMs - 5 && server.running) {
      const step = Math.min(1000, totalMs - (performance.now() - t0));
      await delay(step);
      const now = fleet.totals().deliveries;
      const rate = Math.round((now - last) / (step / 1000));
      last = now;
      out.push(rate);
      second++;
      const kb = server.rssKb();
      rss.push({ phase, second, rssKb: kb });
      ctx.log(
        `${label}: ${phase} ${second} s  ${rate.toLocaleString('en-US')} deliveries/s  RSS ${mb(kb)} MB${extra()}`,
      );
    }
  };
  const baseline: number[] = [];
  await sample('baseline', s.baselineMs, baseline, () => '');
  const slow = new SlowReader(server.port, server.kind);
  const slowRates: number[] = [];
  try {
    await sample('slow', s.slowMs, slowRates, () =>
      slow.closedAt !== null
        ? `  slow reader disconnected (${slow.how})`
        : slow.connected
          ? '  slow reader connected'
          : '',
    );
  } finally {
    slow.close();
  }
  fleet.measure(false);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const srv1 = server.cpuTicks();
  const all1 = machineTaskTicks();
  const otherCpu =
    srv0 !== null && srv1 !== null && all0 !== null && all1 !== null
      ? Math.max(
          0,
          Math.round(
            (((all1 - all0 - (srv1 - srv0)) / ctx.machine.clockTicks -
              (cpu.user + cpu.system) / 1e6) /
              wallS) *
              100,
          ) / 100,
        )
      : null;
  const r = await fleet.stop();
  if (!server.running) throw serverDied(server);
  const baselineRate = mean(baseline);
  const slowRate = mean(slowRates);
  const disconnected = slow.closedAt !== null && slow.how !== null;
  return {
    server: server.kind,
    clients: s.clients,
    senders: s.senders,
    maxQueuedBytes: maxQueued,
    note,
    baselinePerSecond: baseline,
    slowPerSecond: slowRates,
    rssKbPerSecond: rss,
    baselineRate,
    slowRate,
    keptShare: ratio(slowRate, baselineRate),
    slowReader: {
      connected: slow.connected,
      disconnected,
      disconnectedAfterS:
        disconnected && slow.closedAt !== null
          ? Math.round((slow.closedAt - slow.t0) / 100) / 10
          : null,
      how: disconnected ? slow.how : null,
    },
    rssBaselineMaxKb: maxOf(rss.filter((x) => x.phase === 'baseline').map((x) => x.rssKb)),
    rssSlowMaxKb: maxOf(rss.filter((x) => x.phase === 'slow').map((x) => x.rssKb)),
    rssEndKb: server.rssKb(),
    otherCpu,
    lost: r.lost,
    errors: r.errors,
  };
}
