/**
 * Building blocks shared by the scenarios: a bench context, starting a
 * server plus a joined fleet, and the "send, warm up, measure" loop.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Fleet, type JoinOutcome, type ProbeOutcome } from './fleet.js';
import type { ClientSpec, Role, ServerKind } from './messages.js';
import {
  HOST,
  machineTaskTicks,
  StartError,
  startServer,
  type Machine,
  type ServerProcess,
} from './procs.js';

export interface Ctx {
  machine: Machine;
  quick: boolean;
  workers: number;
  /** Extra arguments for every chat-server start (--server-arg). */
  serverArgs: string[];
  servers: ServerKind[];
  /** Second octet for bound source addresses (127.<tag>.<n>.<k>), random per run. */
  addrTag: number;
  log(line: string): void;
}

let serverInstances = 0;

export function sizes<T>(ctx: Ctx, full: T, quick: T): T {
  return ctx.quick ? quick : full;
}

/** Clients idx 0..senders-1 send; the rest receive (or idle). */
export function makeClients(
  n: number,
  senders: number,
  rest: Role = 'receiver',
  localAddress?: (idx: number) => string | undefined,
): ClientSpec[] {
  return Array.from({ length: n }, (_, idx) => {
    const c: ClientSpec = { idx, alias: `b${idx}`, role: idx < senders ? 'sender' : rest };
    const la = localAddress?.(idx);
    if (la) c.localAddress = la;
    return c;
  });
}

/** Connections beyond this many use explicitly bound source addresses. */
export const UNBOUND_LIMIT = 12_000;
const PER_ADDRESS = 10_000;

/** Source addresses for big fleets: past UNBOUND_LIMIT, 10,000 per 127.<tag>.<instance>.<k>. */
export function spreadAddresses(ctx: Ctx): (idx: number) => string | undefined {
  const instance = (serverInstances % 250) + 1;
  return (idx) =>
    idx < UNBOUND_LIMIT
      ? undefined
      : `127.${ctx.addrTag}.${instance}.${1 + Math.floor((idx - UNBOUND_LIMIT) / PER_ADDRESS)}`;
}

export interface Prepared {
  server: ServerProcess;
  fleet: Fleet;
  join: JoinOutcome;
  probe: ProbeOutcome;
  rssStartKb: number | null;
  rssJoinedKb: number | null;
  /** Generator CPU share while joining and probing. */
  generatorCpu: number;
}

/** CPU microseconds over a wall-clock span, as a share of the generator's cores. */
function share(cpuUs: number, wallMs: number, ctx: Ctx): number {
  return Math.round((cpuUs / 1000 / wallMs / ctx.machine.generatorCores) * 1000) / 1000;
}

/**
 * Connections in flight while a fleet joins, unless a scenario says otherwise:
 * few enough that ncat's listen backlog of 10 never overflows, so joining
 * (which is not what a or b measure) costs no SYN retransmission delays.
 */
export const GENTLE_IN_FLIGHT = 8;
/** Scenario (c) joins as a connection storm: this many connections in flight. */
export const STORM_IN_FLIGHT = 500;

export interface PrepareOptions {
  label: string;
  kind: ServerKind;
  clients: ClientSpec[];
  window?: number;
  ratePerSender?: number;
  msgBytes?: number;
  args?: string[];
  joinTimeoutMs: number;
  probeTimeoutMs: number;
  maxInFlight?: number;
}

export function fmtCount(n: Record<string, number>): string {
  const parts = Object.entries(n).map(([k, v]) => `${k}×${v}`);
  return parts.length ? parts.join(', ') : '-';
}

/**
 * Starts the server, connects and joins every client, then makes sure every
 * joined client really is in the room (a broadcast probe reaches it).
 * On failure everything started here is stopped again.
 */
export async function prepare(ctx: Ctx, o: PrepareOptions): Promise<Prepared> {
  serverInstances++;
  const server = await startServer({
    kind: o.kind,
    pin: ctx.machine.pinned,
    args: o.kind === 'chat-server' ? [...ctx.serverArgs, ...(o.args ?? [])] : [],
    maxConns: o.clients.length + 16,
    env: o.kind === 'chat-server' ? ctx.machine.chatServerEnv : {},
  });
  let fleet: Fleet | null = null;
  try {
    const rssStartKb = server.rssKb();
    fleet = new Fleet({
      host: HOST,
      port: server.port,
      kind: o.kind,
      clients: o.clients,
      workers: ctx.workers,
      msgBytes: o.msgBytes ?? 100,
      window: o.window ?? 0,
      ratePerSender: o.ratePerSender ?? 0,
      maxInFlight: o.maxInFlight ?? GENTLE_IN_FLIGHT,
      answerTimeoutMs: ctx.quick ? 2000 : 5000,
    });
    const f = fleet;
    const ticker = setInterval(() => {
      const t = f.totals();
      ctx.log(`${o.label}: joining ${t.joined}/${f.size} (failed ${t.failed})`);
    }, 1000);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let join: JoinOutcome;
    try {
      join = await f.join(o.joinTimeoutMs);
    } finally {
      clearInterval(ticker);
    }
    ctx.log(
      `${o.label}: ${join.joined}/${join.total} joined in ${(join.ms / 1000).toFixed(2)} s` +
        (join.failed ? ` (${join.failed} failed: ${fmtCount(join.failReasons)})` : '') +
        (join.timedOut ? ' (timed out)' : ''),
    );
    const probe = await f.probe(o.probeTimeoutMs, ctx.quick ? 100 : 250);
    if (probe.reached < probe.of) {
      ctx.log(`${o.label}: only ${probe.reached}/${probe.of} clients received the join probe`);
    }
    if (!server.running) throw serverDied(server);
    const cpu = process.cpuUsage(cpu0);
    const generatorCpu = share(cpu.user + cpu.system, performance.now() - t0, ctx);
    return { server, fleet: f, join, probe, rssStartKb, rssJoinedKb: server.rssKb(), generatorCpu };
  } catch (e) {
    await fleet?.close();
    await server.stop();
    throw e;
  }
}

export function serverDied(server: ServerProcess): Error {
  const tail = server.output().trim().split('\n').slice(-5).join('\n');
  return new Error(
    `${server.kind} exited during the run (code ${server.exit?.code ?? 'none'}, signal ${server.exit?.signal ?? 'none'})` +
      (tail ? `: ${tail}` : ''),
  );
}

export async function teardown(p: Prepared): Promise<void> {
  await p.fleet.close();
  await p.server.stop();
}

export interface LoadResult {
  server: ServerKind;
  clients: number;
  joined: number;
  joinMs: number;
  /** Why clients failed to join, by reason (e.g. an error code from the server). */
  joinFailures: Record<string, number>;
  probeReached: string;
  measureS: number;
  sent: number;
  deliveries: number;
  deliveriesPerSec: number;
  latencyMs: { count: number; p50: number; p90: number; p99: number; max: number; mean: number };
  /** Windowed messages never answered (dropped, refused or timed out). */
  lost: number;
  errors: Record<string, number>;
  closedAfterJoin: number;
  /** Share of the generator's CPU cores used while measuring (1 = saturated). */
  generatorCpu: number;
  generatorCores: number;
  workerEventLoopUtilization: number[];
  /** Server CPU while measuring, as a share of one core. */
  serverCpu: number | null;
  /**
   * CPU used by every other process on the machine while measuring, as a share
   * of one core (approximate). Well above 0 means the figures were disturbed.
   */
  otherCpu: number | null;
  serverRssKb: { start: number | null; joined: number | null; end: number | null };
  deliveriesPerSecond: number[];
}

export interface MeasureOptions {
  label: string;
  warmupMs: number;
  measureMs: number;
  /** Called once a second while measuring. */
  onSecond?: (second: number, deliveriesThisSecond: number) => void;
  /** Runs for the warm-up instead of a plain wait (it must last about warmupMs). */
  warmup?: (ms: number) => Promise<void>;
  /** Called right before and right after the measured span (e.g. to read other processes' counters). */
  onMeasureStart?: () => void | Promise<void>;
  onMeasureEnd?: () => void | Promise<void>;
}

/** Starts the senders, warms up, measures, stops. Leaves server and fleet running. */
export async function measureLoad(ctx: Ctx, p: Prepared, o: MeasureOptions): Promise<LoadResult> {
  const { fleet, server } = p;
  fleet.start();
  await (o.warmup ? o.warmup(o.warmupMs) : delay(o.warmupMs));
  await o.onMeasureStart?.();
  fleet.measure(true);
  fleet.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const srv0 = server.cpuTicks();
  const all0 = machineTaskTicks();
  const t0 = performance.now();
  let last = fleet.totals().deliveries;
  const perSecond: number[] = [];
  let second = 0;
  while (performance.now() - t0 < o.measureMs - 5) {
    const left = o.measureMs - (performance.now() - t0);
    const step = Math.min(1000, left);
    await delay(step);
    const now = fleet.totals();
    const rate = Math.round((now.deliveries - last) / (step / 1000));
    last = now.deliveries;
    perSecond.push(rate);
    second++;
    o.onSecond?.(second, rate);
    ctx.log(
      `${o.label}: ${second}/${Math.ceil(o.measureMs / 1000)} s  ${rate.toLocaleString('en-US')} deliveries/s` +
        (now.errorLines ? `  errors ${fmtCount(now.errors)}` : ''),
    );
    if (!server.running) break;
  }
  fleet.measure(false);
  const wallMs = performance.now() - t0;
  await o.onMeasureEnd?.();
  const cpu = process.cpuUsage(cpu0);
  const srv1 = server.cpuTicks();
  const all1 = machineTaskTicks();
  const elu = fleet.eventLoopUtilization();
  const r = await fleet.stop();
  if (!server.running) throw serverDied(server);
  const lat = r.hist.summaryMs();
  return {
    server: server.kind,
    clients: r.clients,
    joined: p.join.joined,
    joinMs: p.join.ms,
    joinFailures: p.join.failReasons,
    probeReached: `${p.probe.reached}/${p.probe.of}`,
    measureS: Math.round(wallMs) / 1000,
    sent: r.measuredSent,
    deliveries: r.measuredDeliveries,
    deliveriesPerSec: Math.round(r.measuredDeliveries / (wallMs / 1000)),
    latencyMs: lat,
    lost: r.lost,
    errors: r.errors,
    closedAfterJoin: r.closedAfterJoin,
    generatorCpu: share(cpu.user + cpu.system, wallMs, ctx),
    generatorCores: ctx.machine.generatorCores,
    workerEventLoopUtilization: elu,
    serverCpu:
      srv0 !== null && srv1 !== null
        ? Math.round((((srv1 - srv0) / ctx.machine.clockTicks) * 1000 * 1000) / wallMs) / 1000
        : null,
    otherCpu:
      srv0 !== null && srv1 !== null && all0 !== null && all1 !== null
        ? Math.max(
            0,
            Math.round(
              (((all1 - all0 - (srv1 - srv0)) / ctx.machine.clockTicks -
                (cpu.user + cpu.system) / 1e6) /
                (wallMs / 1000)) *
                100,
            ) / 100,
          )
        : null,
    serverRssKb: { start: p.rssStartKb, joined: p.rssJoinedKb, end: server.rssKb() },
    deliveriesPerSecond: perSecond,
  };
}

export type Outcome<T> = { ok: true; result: T } | { ok: false; skipped?: string; error?: string };

/** Runs fn; a StartError or other failure becomes an error outcome (logged) instead of a throw. */
export async function attempt<T>(
  ctx: Ctx,
  label: string,
  fn: () => Promise<T>,
): Promise<Outcome<T>> {
  try {
    return { ok: true, result: await fn() };
  } catch (e) {
    const msg =
      e instanceof StartError
        ? `${e.message}${e.output.trim() ? `: ${e.output.trim().split('\n').slice(-3).join(' | ')}` : ''}`
        : e instanceof Error
          ? e.message
          : String(e);
    ctx.log(`${label}: ERROR ${msg}`);
    return { ok: false, error: msg };
  }
}
