/**
 * `--metrics HOST:PORT`: Prometheus `/metrics`, `/healthz` and `/readyz` on a
 * separate HTTP listener. Counters are read from the server's Tally at scrape
 * time, so the fan-out path pays one integer add per delivery whether or not
 * anyone scrapes; gauges (users, rooms, connections) are counted at scrape
 * time too. Only the store's append is wrapped, to time it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type LabelValues,
} from 'prom-client';
import { ERROR_CODES, type ErrorCode } from '../protocol/errors.js';
import type { App } from './app.js';
import type { ListenAddress } from './options.js';
import type { Tally } from './tally.js';

export interface MetricsServer {
  readonly address: AddressInfo;
  readonly registry: Registry;
  close(): Promise<void>;
}

/** A counter whose value is copied from a Tally field when scraped. */
function mirror(
  registry: Registry,
  name: string,
  help: string,
  read: () => number,
): Counter<string> {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A counter by error code, copied from one of the Tally's per-code records. */
function mirrorByCode(
  registry: Registry,
  name: string,
  help: string,
  read: () => Record<ErrorCode, number>,
): Counter<'code'> {
  return new Counter({
    name,
    help,
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = read();
      for (const code of ERROR_CODES) this.inc({ code }, counts[code]);
    },
  });
}

/** Build the registry: the default process metrics plus the chat's own. */
export function buildRegistry(app: App): { registry: Registry; appendSeconds: Histogram } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const t: Tally = app.tally;
  new Gauge({
    name: 'chat_connections',
    help: 'Open connections by mode (handshake: not logged in yet)',
    labelNames: ['mode'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [mode, n] of app.listener.connectionsByMode())
        this.set({ mode } as LabelValues<'mode'>, n);
    },
  });
  new Gauge({
    name: 'chat_users',
    help: 'Users logged in',
    registers: [registry],
    collect() {
      this.set(app.chat.users.size);
    },
  });
  new Gauge({
    name: 'chat_rooms',
    help: 'Rooms with at least one member (and #lobby)',
    registers: [registry],
    collect() {
      this.set(app.chat.rooms.size);
    },
  });
  new Gauge({
    name: 'chat_ready',
    help: '1 when /readyz would answer 200',
    registers: [registry],
    collect() {
      this.set(ready(app) ? 1 : 0);
    },
  });
  const messagesIn = new Counter({
    name: 'chat_messages_in_total',
    help: 'Chat messages accepted and stored, by kind (room, private)',
    labelNames: ['kind'],
    registers: [registry],
  });
  mirror(
    registry,
    'chat_messages_out_total',
    'Chat messages delivered to connections (one per recipient)',
    () => t.messagesOut,
  );
  mirror(
    registry,
    'chat_deliveries_total',
    'Events of any kind queued to connections (one per recipient)',
    () => t.deliveries,
  );
  mirror(registry, 'chat_bytes_in_total', 'Bytes read from clients', () => t.bytesIn);
  mirror(registry, 'chat_bytes_out_total', 'Bytes queued to clients', () => t.bytesOut);
  mirror(
    registry,
    'chat_slow_reader_disconnects_total',
    'Connections dropped for not reading their output',
    () => t.slowReaderDisconnects,
  );
  mirror(
    registry,
    'chat_flood_disconnects_total',
    'Connections dropped for sustained flooding',
    () => t.floodDisconnects,
  );
  mirror(
    registry,
    'chat_internal_errors_total',
    'Failures that were the server’s fault (see the error log)',
    () => t.internalErrors,
  );
  mirrorByCode(
    registry,
    'chat_refusals_total',
    'Error events sent to clients, by code',
    () => t.refusals,
  );
  mirrorByCode(
    registry,
    'chat_login_failures_total',
    'Handshakes refused, by code',
    () => t.loginFailures,
  );
  const appendSeconds = new Histogram({
    name: 'chat_store_append_seconds',
    help: 'Time from a message append to its commit',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const appendFailures = new Counter({
    name: 'chat_store_append_failures_total',
    help: 'Message appends the store refused or failed',
    registers: [registry],
  });
  instrumentStore(app, appendSeconds, appendFailures, messagesIn);
  return { registry, appendSeconds };
}

/** The last append failed and none has succeeded since: the store is not writable. */
const appendBroken = new WeakSet<App>();

/**
 * Time every append. The instance's own `append` shadows the class method,
 * so this works for any Store without knowing its other methods.
 */
function instrumentStore(
  app: App,
  seconds: Histogram,
  failures: Counter,
  messagesIn: Counter<'kind'>,
): void {
  const store = app.store;
  const original = store.append.bind(store);
  const room = messagesIn.labels('room');
  const priv = messagesIn.labels('private');
  store.append = async (stream, msg, key) => {
    const start = process.hrtime.bigint();
    try {
      const result = await original(stream, msg, key);
      seconds.observe(Number(process.hrtime.bigint() - start) / 1e9);
      appendBroken.delete(app);
      if (!result.duplicate) (stream.startsWith('@') ? priv : room).inc();
      return result;
    } catch (err) {
      failures.inc();
      appendBroken.add(app);
      throw err;
    }
  };
}

/** Listening, not stopping, and the store can take writes. */
export function ready(app: App): boolean {
  return app.listener.listening && !app.stopping && !appendBroken.has(app) && app.storeWritable();
}

/** Start the metrics listener. Rejects (EADDRINUSE, ...) when it cannot listen. */
export async function startMetrics(
  app: App,
  at: ListenAddress,
  log: Logger,
): Promise<MetricsServer> {
  const { registry } = buildRegistry(app);
  const answer = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(res, 405, 'text/plain', 'GET only\n');
      return;
    }
    switch (path) {
      case '/metrics':
        registry.metrics().then(
          (text) => answer(res, 200, registry.contentType, text),
          (err: unknown) => {
            log.error({ err }, 'metrics collection failed');
            answer(res, 500, 'text/plain', 'metrics collection failed\n');
          },
        );
        return;
      case '/healthz':
        answer(res, 200, 'text/plain', 'ok\n');
        return;
      case '/readyz': {
        const ok = ready(app);
        answer(res, ok ? 200 : 503, 'text/plain', ok ? 'ready\n' : 'not ready\n');
        return;
      }
      default:
        answer(res, 404, 'text/plain', 'try /metrics, /healthz or /readyz\n');
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: at.host, port: at.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'metrics listener error'));
  return {
    address: server.address() as AddressInfo,
    registry,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
