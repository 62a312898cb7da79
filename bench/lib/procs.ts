/**
 * Processes the bench starts (chat-server and ncat), the machine facts it
 * reports (CPU pinning, file-descriptor limits) and readings from /proc.
 *
 * Every process started here is remembered by PID and only those PIDs are
 * ever signalled; an exit hook kills whatever is still running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerKind } from './messages.js';

export const HOST = '127.0.0.1';

/**
 * The chat-server the bench starts: this build's, or CHAT_BENCH_SERVER_JS
 * (another build's `dist/src/bin/chat-server.js`, to measure a before/after
 * pair with the same bench code).
 */
export const CHAT_SERVER_JS =
  process.env['CHAT_BENCH_SERVER_JS'] ??
  fileURLToPath(new URL('../../src/bin/chat-server.js', import.meta.url));

/** The `node-relay` server: this bench's own floor (floor-server.ts). */
const NODE_RELAY_JS = fileURLToPath(new URL('./floor-server.js', import.meta.url));

// ---- machine facts ---------------------------------------------------------

export interface Machine {
  cpus: number;
  tasksetAvailable: boolean;
  /** Server on CPU 0 and generator (this process) on CPU 1. */
  pinned: boolean;
  pinNote: string;
  /** CPU cores the generator can use (1 when pinned). */
  generatorCores: number;
  nofileSoft: number;
  nofileHard: number;
  ncatPath: string | null;
  ncatVersion: string | null;
  chatServerBuilt: boolean;
  /**
   * Environment for every chat-server the bench starts: its per-connection
   * message rate limit lifted to the maxima it accepts (a benchmark sender is
   * a flood by design, and ncat has no such limit). chat-server ignores
   * CHAT_* variables it does not know.
   */
  chatServerEnv: Record<string, string>;
  clockTicks: number;
}

/**
 * chat-server's protection limits (docs/protocol.md §6) that a one-host load test
 * trips by design, lifted for the bench: message flood control (defaults
 * burst 10, 5/s, queue 20) and per-address connection admission (defaults
 * 100 connections and 20 accepts/s per address; every bench client comes
 * from 127.0.0.x). The total connection cap is left alone.
 */
export const RATE_LIFT: Record<string, string> = {
  CHAT_RATE_BURST: '10000',
  CHAT_RATE_PER_SECOND: '100000',
  CHAT_RATE_QUEUE: '10000',
  CHAT_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
  CHAT_ACCEPTS_PER_SECOND: '1000000',
};

function commandWorks(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

export function nofileLimits(): { soft: number; hard: number } {
  const r = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' });
  const [soft, hard] = (r.stdout ?? '').trim().split(/\s+/);
  const num = (s: string | undefined): number =>
    s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s) || 1024;
  return { soft: num(soft), hard: num(hard) };
}

export function detectMachine(): Machine {
  const cpus = os.availableParallelism();
  const tasksetAvailable = commandWorks('taskset', ['--version']);
  let pinned = false;
  let pinNote: string;
  if (!tasksetAvailable) pinNote = 'not pinned: taskset not found (apt-get install -y util-linux)';
  else if (cpus < 2) pinNote = `not pinned: only ${cpus} CPU available`;
  else {
    // -a: every thread of this process (libuv and V8 threads exist already);
    // worker threads created later inherit the mask.
    const r = spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], {
      stdio: 'ignore',
    });
    pinned = !r.error && r.status === 0;
    pinNote = pinned
      ? 'pinned: server on CPU 0, load generator on CPU 1 (taskset)'
      : 'not pinned: taskset failed';
  }
  const lim = nofileLimits();
  const nv = spawnSync('ncat', ['--version'], { encoding: 'utf8' });
  const ncatOk = !nv.error && nv.status === 0;
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  return {
    cpus,
    tasksetAvailable,
    pinned,
    pinNote,
    generatorCores: pinned ? 1 : cpus,
    nofileSoft: lim.soft,
    nofileHard: lim.hard,
    ncatPath: ncatOk ? 'ncat' : null,
    ncatVersion: ncatOk
      ? (/Version ([^\s]+)/.exec(`${nv.stdout}${nv.stderr}`)?.[1] ?? 'unknown')
      : null,
    chatServerBuilt: existsSync(CHAT_SERVER_JS),
    chatServerEnv: { ...RATE_LIFT },
    clockTicks: ticks,
  };
}

// ---- /proc readings --------------------------------------------------------

/** Resident set size of a process in KiB, or null once it is gone. */
export function rssKb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) used by a process so far, in clock ticks. */
export function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/**
 * Machine-wide CPU time spent in processes (user + nice + system + steal,
 * not interrupts: loopback packet work is mostly counted as softirq), in clock
 * ticks, from /proc/stat.
 */
export function machineTaskTicks(): number | null {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const f = first.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[7] ?? 0);
  } catch {
    return null;
  }
}

/** The 1-minute load average. */
export function loadAverage(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}

// ---- starting and stopping servers -----------------------------------------

const started = new Map<number, { cp: ChildProcess; workDir: string | null }>();

/** SIGKILLs every process this bench started that is still running (by PID, nothing else). */
export function killAllStarted(): void {
  for (const [pid, { cp, workDir }] of started) {
    if (cp.exitCode === null && cp.signalCode === null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
  started.clear();
}

process.on('exit', killAllStarted);

export async function freePort(host = HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** SIGTERM `pid`, then SIGKILL if `exited` has not settled after graceMs. */
async function stopProcess(pid: number, exited: Promise<void>, graceMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

export class StartError extends Error {
  constructor(
    message: string,
    readonly output: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

export interface ServerOptions {
  kind: ServerKind;
  pin: boolean;
  /** Extra command-line arguments (chat-server only). */
  args?: string[];
  /** ncat --max-conns. */
  maxConns?: number;
  /** Extra environment (chat-server). */
  env?: Record<string, string>;
}

export class ServerProcess {
  readonly pid: number;
  private out = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly kind: ServerKind,
    readonly port: number,
    readonly argv: string[],
    private readonly cp: ChildProcess,
    private readonly workDir: string | null,
  ) {
    if (cp.pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
    this.pid = cp.pid;
    const keep = (d: Buffer): void => {
      this.out = (this.out + d.toString('utf8')).slice(-16_384);
    };
    cp.stdout?.on('data', keep);
    cp.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      cp.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        started.delete(this.pid);
        if (this.workDir) rmSync(this.workDir, { recursive: true, force: true });
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.exitInfo;
  }

  output(): string {
    return this.out;
  }

  rssKb(): number | null {
    return rssKb(this.pid);
  }

  cpuTicks(): number | null {
    return cpuTicks(this.pid);
  }

  /** SIGTERM, then SIGKILL if it has not exited after graceMs. */
  async stop(graceMs = 7000): Promise<void> {
    if (this.running) await stopProcess(this.pid, this.exited, graceMs);
  }
}

/**
 * Starts a server on a free loopback port, pinned to CPU 0 when pin is set,
 * with its soft file-descriptor limit raised to the hard limit, and resolves
 * once a TCP connect to it succeeds. Rejects with StartError if it exits first.
 */
export async function startServer(o: ServerOptions): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOn(await freePort(), o);
    } catch (err) {
      if (attempt >= 3 || !lostPortRace(err)) throw err;
    }
  }
}

/**
 * freePort's port was free when it answered, but nothing holds it until the
 * server binds it: another process may take it first, as a listening port or
 * as the source port of an outgoing connection (the load generator makes
 * thousands). Then the server exits with EADDRINUSE, and a new port is tried.
 */
function lostPortRace(err: unknown): boolean {
  return err instanceof StartError && /EADDRINUSE|already in use/iu.test(err.output);
}

async function startServerOn(port: number, o: ServerOptions): Promise<ServerProcess> {
  const cmd =
    o.kind === 'chat-server'
      ? [
          process.execPath,
          // e.g. CHAT_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to
          // profile every chat-server the bench starts (docs/performance.md).
          ...(process.env['CHAT_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
          CHAT_SERVER_JS,
          '--host',
          HOST,
          '--port',
          String(port),
          '--log-level',
          'warn',
          ...(o.args ?? []),
        ]
      : o.kind === 'node-relay'
        ? [process.execPath, NODE_RELAY_JS, '--host', HOST, '--port', String(port)]
        : [
            'ncat',
            '--chat',
            '--listen',
            HOST,
            String(port),
            '--max-conns',
            String(o.maxConns ?? 100),
          ];
  const full = o.pin ? ['taskset', '-c', '0', ...cmd] : cmd;
  // sh raises the soft limit, then execs: the PID we hold is the server's own.
  // chat-server keeps its history in ./chat.db by default: give every server
  // a fresh working directory, removed when it exits, so runs share no state.
  const workDir =
    o.kind === 'chat-server' ? mkdtempSync(path.join(os.tmpdir(), 'chat-bench-')) : null;
  const cp = spawn(
    'sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...full],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: workDir ?? process.cwd(),
      env: { ...process.env, ...(o.env ?? {}) },
    },
  );
  const sp = new ServerProcess(o.kind, port, full, cp, workDir);
  started.set(sp.pid, { cp, workDir });
  const deadline = performance.now() + 15_000;
  while (sp.running && performance.now() < deadline) {
    if (await tryConnect(HOST, port)) return sp;
    await Promise.race([sp.exited, new Promise((r) => setTimeout(r, 50))]);
  }
  if (sp.running) {
    await sp.stop(1000);
    throw new StartError(`${o.kind} did not accept connections within 15 s`, sp.output(), null);
  }
  throw new StartError(
    `${o.kind} exited during start-up (code ${sp.exit?.code ?? 'none'}, signal ${sp.exit?.signal ?? 'none'})`,
    sp.output(),
    sp.exit?.code ?? null,
  );
}

// ---- Redis (scenario h) ----------------------------------------------------

/** The redis-server binary on PATH, or null when there is none. */
export function redisServerAvailable(): boolean {
  return commandWorks('redis-server', ['--version']);
}

/**
 * A redis-server the bench started on a free loopback port, in a fresh
 * directory, configured as docs recommend for cluster mode (append-only file
 * fsynced on every write, no eviction), so chat-server's startup check passes.
 */
export class RedisProcess {
  readonly exited: Promise<void>;
  private running = true;
  private out = '';

  private constructor(
    readonly pid: number,
    readonly port: number,
    cp: ChildProcess,
    dir: string,
  ) {
    const keep = (d: Buffer): void => {
      this.out = (this.out + d.toString('utf8')).slice(-8192);
    };
    cp.stdout?.on('data', keep);
    cp.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      cp.once('exit', () => {
        this.running = false;
        started.delete(this.pid);
        rmSync(dir, { recursive: true, force: true });
        resolve();
      });
    });
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  cpuTicks(): number | null {
    return cpuTicks(this.pid);
  }

  static async start(pin: boolean): Promise<RedisProcess> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await RedisProcess.startOn(await freePort(), pin);
      } catch (err) {
        if (attempt >= 3 || !lostPortRace(err)) throw err;
      }
    }
  }

  private static async startOn(port: number, pin: boolean): Promise<RedisProcess> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chat-bench-redis-'));
    const cmd = [
      'redis-server',
      '--port',
      String(port),
      '--bind',
      HOST,
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--maxmemory-policy',
      'noeviction',
    ];
    const full = pin ? ['taskset', '-c', '0', ...cmd] : cmd;
    const cp = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    if (cp.pid === undefined) throw new StartError('could not start redis-server', '', null);
    const r = new RedisProcess(cp.pid, port, cp, dir);
    started.set(cp.pid, { cp, workDir: dir });
    const deadline = performance.now() + 15_000;
    while (r.running && performance.now() < deadline) {
      if (await tryConnect(HOST, port)) return r;
      await Promise.race([r.exited, new Promise((res) => setTimeout(res, 50))]);
    }
    await r.stop();
    throw new StartError('redis-server did not start within 15 s', r.out, null);
  }

  /** SIGTERM (Redis flushes its append-only file and exits), SIGKILL after a grace. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.running) await stopProcess(this.pid, this.exited, graceMs);
  }
}
