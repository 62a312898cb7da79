/**
 * (f) file transfer: the rate of a 10 MiB file relayed through chat-server
 * (real client code on both ends: Connection + ClientTransfers), and the
 * chat-line latency of two other users while it runs beside while idle
 * (docs/protocol.md §5: chunks must never hold chat lines back; target p99
 * during the transfer ≤ 2× idle). ncat relays no files, so it has no column.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import split2 from 'split2';
import { Connection } from '../../src/client/connection.js';
import { ClientTransfers } from '../../src/client/transfers.js';
import type { Ctx, Outcome } from '../lib/load.js';
import { attempt, sizes } from '../lib/load.js';
import { HOST, startServer } from '../lib/procs.js';
import { ms, ratio, times } from '../lib/report.js';
import type { ScenarioReport } from './common.js';

interface TransferResult {
  fileBytes: number;
  transfers: number;
  mibPerSec: number;
  idle: { p50: number; p99: number; samples: number };
  during: { p50: number; p99: number; samples: number };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Two raw JSON clients: `a` says a numbered line every `everyMs`, `b` notes when each arrives. */
class Probe {
  private readonly sent = new Map<number, number>();
  private samples: number[] = [];
  private n = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly a: net.Socket,
    private readonly b: net.Socket,
  ) {
    b.pipe(split2()).on('data', (line: string) => {
      const m = /"text":"probe (\d+)"/u.exec(line);
      if (!m) return;
      const t0 = this.sent.get(Number(m[1]));
      if (t0 !== undefined) this.samples.push(performance.now() - t0);
    });
  }

  static async open(port: number): Promise<Probe> {
    const join = async (name: string): Promise<net.Socket> => {
      const s = net.connect({ host: HOST, port });
      s.setNoDelay(true);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        let buf = '';
        const onData = (d: Buffer): void => {
          buf += d.toString();
          if (buf.includes('"welcome"')) {
            s.off('data', onData);
            resolve();
          }
        };
        s.on('data', onData);
        s.write(JSON.stringify({ type: 'hello', version: 1, name, history: 0 }) + '\n');
      });
      return s;
    };
    return new Probe(await join('probe-a'), await join('probe-b'));
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      const n = ++this.n;
      this.sent.set(n, performance.now());
      this.a.write(JSON.stringify({ type: 'say', text: `probe ${n}` }) + '\n');
    }, everyMs);
  }

  /** Latencies since the last take, sorted. */
  take(): number[] {
    const out = this.samples.sort((x, y) => x - y);
    this.samples = [];
    return out;
  }

  close(): void {
    clearInterval(this.timer);
    this.a.destroy();
    this.b.destroy();
  }
}

async function transferClient(
  port: number,
  name: string,
  dir: string,
): Promise<{ conn: Connection; t: ClientTransfers }> {
  const conn = new Connection({ host: HOST, port, name, history: 0 });
  const t = new ClientTransfers(
    {
      send: (r) => conn.send(r),
      limits: () => ({
        maxLineBytes: conn.welcome?.limits.maxLineBytes ?? 16384,
        ...(conn.welcome?.limits.maxFileBytes !== undefined && {
          maxFileBytes: conn.welcome.limits.maxFileBytes,
        }),
      }),
    },
    { downloadDir: dir },
  );
  conn.on('event', (e) => {
    t.onEvent(e);
    // The receiver accepts every offer at once.
    if (e.type === 'file-offer') t.accept(e.id);
  });
  await conn.connect();
  return { conn, t };
}

/** Resolves with the first notice matching `re`; rejects on an error notice. */
function notice(t: ClientTransfers, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const on = ({ text, error }: { text: string; error: boolean }): void => {
      if (error) {
        t.off('notice', on);
        reject(new Error(text));
      } else if (re.test(text)) {
        t.off('notice', on);
        resolve(text);
      }
    };
    t.on('notice', on);
  });
}

async function run(ctx: Ctx, s: { fileBytes: number; measureMs: number }): Promise<TransferResult> {
  const server = await startServer({
    kind: 'chat-server',
    pin: ctx.machine.pinned,
    args: ['--db', ':memory:', '--max-file-bytes', String(s.fileBytes), ...ctx.serverArgs],
    env: ctx.machine.chatServerEnv,
  });
  const work = mkdtempSync(path.join(tmpdir(), 'chat-bench-f-'));
  const file = path.join(work, 'payload.bin');
  writeFileSync(file, randomBytes(s.fileBytes));
  const probe = await Probe.open(server.port);
  const sender = await transferClient(server.port, 'sender', path.join(work, 'sender'));
  const receiver = await transferClient(server.port, 'receiver', path.join(work, 'received'));
  try {
    probe.start(10);
    await new Promise((resolve) => setTimeout(resolve, s.measureMs));
    const idle = probe.take();
    // Transfer back to back until the measurement window is over (at least once).
    const t0 = performance.now();
    let transfers = 0;
    while (transfers === 0 || performance.now() - t0 < s.measureMs) {
      const received = notice(receiver.t, /^Received/u);
      await sender.t.send('receiver', file);
      await received;
      transfers++;
    }
    const seconds = (performance.now() - t0) / 1000;
    const during = probe.take();
    return {
      fileBytes: s.fileBytes,
      transfers,
      mibPerSec: (transfers * s.fileBytes) / (1024 * 1024) / seconds,
      idle: { p50: percentile(idle, 0.5), p99: percentile(idle, 0.99), samples: idle.length },
      during: {
        p50: percentile(during, 0.5),
        p99: percentile(during, 0.99),
        samples: during.length,
      },
    };
  } finally {
    probe.close();
    sender.t.close();
    receiver.t.close();
    sender.conn.destroy();
    receiver.conn.destroy();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

export async function scenarioF(ctx: Ctx): Promise<ScenarioReport> {
  const s = sizes(
    ctx,
    { fileBytes: 10 * 1024 * 1024, measureMs: 5000 },
    { fileBytes: 1024 * 1024, measureMs: 500 },
  );
  const runs: Record<string, Outcome<unknown>> = {};
  if (ctx.servers.includes('chat-server')) {
    runs['chat-server'] = await attempt(ctx, '(f) chat-server', () => run(ctx, s));
  }
  if (ctx.servers.includes('ncat')) runs['ncat'] = { ok: false, skipped: 'ncat relays no files' };
  const r = runs['chat-server']?.ok ? (runs['chat-server'].result as TransferResult) : null;
  const p99ratio = ratio(r?.during.p99, r?.idle.p99);
  const mib = (s.fileBytes / (1024 * 1024)).toFixed(0);
  const title = `(f) file transfer: ${mib} MiB files relayed back to back; chat lines of two other users (100/s) idle vs during`;
  const headers = [
    'server',
    'transfers',
    'MiB/s',
    'idle p50',
    'idle p99',
    'during p50',
    'during p99',
    'p99 during/idle',
  ];
  const rows = Object.entries(runs).map(([name, o]) => {
    if (!o.ok)
      return [
        name,
        o.skipped ? `skipped: ${o.skipped}` : `error: ${o.error ?? ''}`,
        '',
        '',
        '',
        '',
        '',
        '',
      ];
    const x = o.result as TransferResult;
    return [
      name,
      String(x.transfers),
      x.mibPerSec.toFixed(1),
      ms(x.idle.p50),
      ms(x.idle.p99),
      ms(x.during.p50),
      ms(x.during.p99),
      times(p99ratio),
    ];
  });
  return {
    id: 'f',
    title,
    params: s,
    runs,
    ratios: { p99DuringOverIdle: p99ratio },
    table: {
      title,
      headers,
      rows,
      notes: [
        'Target: chat-line p99 during a transfer ≤ 2× idle. Sender, receiver and probes run in the bench process; the server is a separate process.',
      ],
    },
  };
}
