/**
 * Main-thread side of the load generator: a fleet of bench clients spread
 * over worker threads, driven through connect → join → probe → send →
 * measure → stop → close.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Histogram } from './histogram.js';
import {
  emptyProgress,
  type ClientSpec,
  type FromWorker,
  type Progress,
  type ServerKind,
  type ToWorker,
  type WorkerInit,
  type WorkerResult,
} from './messages.js';

export interface FleetOptions {
  host: string;
  port: number;
  kind: ServerKind;
  clients: ClientSpec[];
  workers: number;
  msgBytes: number;
  window: number;
  ratePerSender: number;
  /** Total connections in flight at once, over all workers. */
  maxInFlight: number;
  answerTimeoutMs: number;
}

export interface JoinOutcome {
  total: number;
  joined: number;
  failed: number;
  /** From the first connect until every client had joined or failed (or the timeout). */
  ms: number;
  timedOut: boolean;
  failReasons: Record<string, number>;
}

export interface ProbeOutcome {
  /** Clients (besides the probe sender) that received a broadcast probe. */
  reached: number;
  of: number;
  ms: number;
  probesSent: number;
}

export interface FleetResult {
  clients: number;
  joined: number;
  closedAfterJoin: number;
  deliveries: number;
  measuredDeliveries: number;
  sent: number;
  measuredSent: number;
  lost: number;
  errors: Record<string, number>;
  failReasons: Record<string, number>;
  hist: Histogram;
}

/** Rounds client indexes over workers; the first receiver of each worker is its observer. */
export function assignClients(clients: ClientSpec[], workers: number): ClientSpec[][] {
  const out: ClientSpec[][] = Array.from({ length: workers }, () => []);
  for (const c of clients) out[c.idx % workers]?.push(c);
  for (const list of out) {
    const hasSender = list.some((c) => c.role === 'sender');
    const obs = list.find((c) => c.role === 'receiver');
    if (hasSender && obs) obs.observer = true;
  }
  return out;
}

function sumInto(acc: Record<string, number>, add: Record<string, number>): void {
  for (const [k, v] of Object.entries(add)) acc[k] = (acc[k] ?? 0) + v;
}

export class Fleet extends EventEmitter {
  private readonly workers: Worker[] = [];
  private readonly latest: Progress[] = [];
  private readonly results = new Map<number, WorkerResult>();
  private closedCount = 0;
  private fatal: string | null = null;
  readonly size: number;

  constructor(private readonly opts: FleetOptions) {
    super();
    this.size = opts.clients.length;
    const n = Math.max(1, Math.min(opts.workers, opts.clients.length || 1));
    const parts = assignClients(opts.clients, n);
    parts.forEach((clients, workerId) => {
      const init: WorkerInit = {
        workerId,
        host: opts.host,
        port: opts.port,
        kind: opts.kind,
        clients,
        msgBytes: opts.msgBytes,
        window: opts.window,
        ratePerSender: opts.ratePerSender,
        maxInFlight: Math.max(1, Math.ceil(opts.maxInFlight / n)),
        answerTimeoutMs: opts.answerTimeoutMs,
      };
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
      this.latest[workerId] = emptyProgress(workerId, clients.length);
      w.on('message', (m: FromWorker) => this.onMessage(workerId, m));
      w.on('error', (e) => {
        this.fatal = `worker ${workerId}: ${e.stack ?? e.message}`;
        this.emit('update');
      });
      w.on('exit', () => this.emit('update'));
      this.workers.push(w);
    });
  }

  private onMessage(workerId: number, m: FromWorker): void {
    switch (m.ev) {
      case 'progress':
        this.latest[workerId] = m.p;
        break;
      case 'result':
        this.latest[workerId] = m.r;
        this.results.set(workerId, m.r);
        break;
      case 'closed':
        this.closedCount++;
        break;
      case 'fatal':
        this.fatal = `worker ${workerId}: ${m.message}`;
        break;
    }
    this.emit('update');
  }

  private send(m: ToWorker, only?: number): void {
    this.workers.forEach((w, i) => {
      if (only === undefined || only === i) w.postMessage(m);
    });
  }

  /** Resolves when pred() holds (checked on every worker update) or after timeoutMs (false). */
  private waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.fatal) {
          done();
          reject(new Error(this.fatal));
        } else if (pred()) {
          done();
          resolve(true);
        }
      };
      const timer = setTimeout(() => {
        done();
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.off('update', check);
      };
      this.on('update', check);
      check();
    });
  }

  totals(): Progress {
    const t = emptyProgress(-1, 0);
    for (const p of this.latest) {
      t.clients += p.clients;
      t.joined += p.joined;
      t.failed += p.failed;
      t.probed += p.probed;
      t.closedAfterJoin += p.closedAfterJoin;
      t.deliveries += p.deliveries;
      t.sent += p.sent;
      t.lost += p.lost;
      t.errorLines += p.errorLines;
      sumInto(t.errors, p.errors);
      sumInto(t.failReasons, p.failReasons);
    }
    return t;
  }

  /** Connects and joins every client; resolves when all joined or failed, or at the timeout. */
  async join(timeoutMs: number): Promise<JoinOutcome> {
    const t0 = performance.now();
    this.send({ cmd: 'connect' });
    const ok = await this.waitFor(() => {
      const t = this.totals();
      return t.joined + t.failed >= this.size;
    }, timeoutMs);
    const t = this.totals();
    return {
      total: this.size,
      joined: t.joined,
      failed: t.failed,
      ms: Math.round(performance.now() - t0),
      timedOut: !ok,
      failReasons: t.failReasons,
    };
  }

  /**
   * One joined client broadcasts a probe line every intervalMs until every
   * other joined client has received one: proof that the relay has really
   * admitted them all to the room.
   */
  async probe(timeoutMs: number, intervalMs: number): Promise<ProbeOutcome> {
    const t0 = performance.now();
    let seq = 0;
    const target = (): number => this.totals().joined;
    // The first worker with a joined client sends; the others only receive.
    const fire = (): void => {
      const w = this.latest.findIndex((p) => p.joined > 0);
      if (w >= 0) this.send({ cmd: 'probe', seq: ++seq }, w);
    };
    fire();
    const timer = setInterval(fire, intervalMs);
    try {
      await this.waitFor(() => this.totals().probed >= target(), timeoutMs);
    } finally {
      clearInterval(timer);
    }
    const t = this.totals();
    return {
      reached: Math.max(0, t.probed - 1),
      of: Math.max(0, t.joined - 1),
      ms: Math.round(performance.now() - t0),
      probesSent: seq,
    };
  }

  start(): void {
    this.send({ cmd: 'start' });
  }

  measure(on: boolean): void {
    this.send({ cmd: 'measure', on });
  }

  async stop(timeoutMs = 10_000): Promise<FleetResult> {
    this.results.clear();
    this.send({ cmd: 'stop' });
    const ok = await this.waitFor(() => this.results.size === this.workers.length, timeoutMs);
    if (!ok) throw new Error('load-generator workers did not report results in time');
    const hist = new Histogram();
    const r: FleetResult = {
      clients: this.size,
      joined: 0,
      closedAfterJoin: 0,
      deliveries: 0,
      measuredDeliveries: 0,
      sent: 0,
      measuredSent: 0,
      lost: 0,
      errors: {},
      failReasons: {},
      hist,
    };
    for (const w of this.results.values()) {
      r.joined += w.joined;
      r.closedAfterJoin += w.closedAfterJoin;
      r.deliveries += w.deliveries;
      r.measuredDeliveries += w.measuredDeliveries;
      r.sent += w.sent;
      r.measuredSent += w.measuredSent;
      r.lost += w.lost;
      sumInto(r.errors, w.errors);
      sumInto(r.failReasons, w.failReasons);
      hist.add(w.hist);
    }
    return r;
  }

  /** Event-loop utilisation of each worker since the previous call (0..1). */
  private eluPrev: (ReturnType<Worker['performance']['eventLoopUtilization']> | undefined)[] = [];
  eventLoopUtilization(): number[] {
    return this.workers.map((w, i) => {
      const now = w.performance.eventLoopUtilization();
      const prev = this.eluPrev[i];
      this.eluPrev[i] = now;
      const d = prev ? w.performance.eventLoopUtilization(now, prev) : now;
      return Math.round(d.utilization * 1000) / 1000;
    });
  }

  /** Destroys every client socket and ends the worker threads. */
  async close(): Promise<void> {
    this.send({ cmd: 'close' });
    await this.waitFor(() => this.closedCount === this.workers.length, 5000).catch(() => false);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
