/**
 * Real Redis for tests: each helper starts its own `redis-server` on a free
 * loopback port with a temporary directory and stops it by PID. Nothing is
 * shared with a Redis the developer may run. Without the binary the tests are
 * skipped on a workstation but fail in CI (`CI=true`), where .ci/run installs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const REDIS_CLI = '/usr/bin/redis-cli';

/** Why Redis tests cannot run here, or undefined when they can; throws in CI instead of skipping. */
export function redisMissing(): string | undefined {
  if (existsSync(REDIS_SERVER) && existsSync(REDIS_CLI)) return undefined;
  const why = `${REDIS_SERVER} or ${REDIS_CLI} is missing (Debian package redis-server)`;
  if (process.env.CI === 'true') throw new Error(`${why}; .ci/run should have installed it`);
  return why;
}

/** A free TCP port on loopback (and, for cluster nodes, port + 10000 free as well: the cluster bus). */
async function freePort(withBus = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenAndClose(0);
    if (!withBus) return port;
    if (port + 10_000 > 65_535) continue;
    try {
      await listenAndClose(port + 10_000);
      return port;
    } catch {
      // The bus port is taken: try another.
    }
  }
  throw new Error('no free port pair for a Redis cluster node');
}

async function listenAndClose(port: number): Promise<number> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface RedisServerOptions {
  /** `appendonly yes` + `appendfsync always` (what production needs); default false. */
  aof?: boolean;
  /** Extra `--name value` pairs. */
  args?: string[];
}

/** One redis-server child process; restartable on the same port and directory. */
export class RedisServer {
  private proc: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  static async start(options: RedisServerOptions = {}, port?: number): Promise<RedisServer> {
    const dir = await mkdtemp(join(tmpdir(), 'chat-redis-'));
    const aof = options.aof ?? false;
    const args = [
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      aof ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--maxmemory-policy',
      'noeviction',
      ...(options.args ?? []),
    ];
    const server = new RedisServer(port ?? (await freePort()), dir, args);
    await server.launch();
    return server;
  }

  /** Start the process and resolve once it accepts commands. */
  async launch(): Promise<void> {
    this.output = '';
    const proc = spawn(REDIS_SERVER, ['--port', String(this.port), ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        this.output += chunk.toString();
        if (this.output.includes('Ready to accept connections')) resolve();
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code, signal) =>
        reject(
          new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${this.output}`),
        ),
      );
    });
    await ready;
  }

  /** Stop by PID: SIGTERM (a clean shutdown, AOF flushed) or SIGKILL (a crash). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(signal);
    await exited;
  }

  /** Stop and start again on the same port and directory. */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    await this.launch();
  }

  /** Stop and delete the data directory. */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Three masters, no replicas, formed with `redis-cli --cluster create`. */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  /** `host:port` of every master, the form `--redis-cluster` and ioredis Cluster take. */
  get addresses(): Array<{ host: string; port: number }> {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  static async start(masters = 3): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) {
        const port = await freePort(true);
        nodes.push(
          await RedisServer.start(
            { args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] },
            port,
          ),
        );
      }
      const create = spawnSync(
        REDIS_CLI,
        [
          '--cluster',
          'create',
          ...nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (create.status !== 0) {
        throw new Error(`redis-cli --cluster create failed:\n${create.stdout}\n${create.stderr}`);
      }
      const cluster = new RedisCluster(nodes);
      await cluster.waitHealthy();
      return cluster;
    } catch (err) {
      await Promise.all(nodes.map((n) => n.destroy()));
      throw err;
    }
  }

  /** Every node reports `cluster_state:ok` (slots assigned and gossip converged). */
  private async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const clients = this.nodes.map((n) => new Redis(n.port, '127.0.0.1', { lazyConnect: false }));
    try {
      for (;;) {
        const infos = await Promise.all(clients.map((c) => c.cluster('INFO')));
        if (infos.every((i) => String(i).includes('cluster_state:ok'))) return;
        if (Date.now() > deadline) throw new Error(`cluster not ok:\n${infos.join('\n')}`);
        // Gossip converges in a few hundred ms; poll rather than sleep a fixed time.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      clients.forEach((c) => c.disconnect());
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.destroy()));
  }
}
