/**
 * The bench of the hostile-input suite (issue 5 item 7): a real chat-server
 * process whose memory is sampled from /proc, two ordinary clients that keep
 * chatting while an attack runs and count every message they receive, and
 * connections from other loopback source addresses (all of 127.0.0.0/8 is
 * local on Linux), so that the per-address limits an attacker runs into never
 * touch the ordinary clients on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { LineClient } from './line-client.js';
import { spawnServer, type ServerProcess, type SpawnOptions } from './server-process.js';
import { tempDir } from './env.js';

export type Json = Record<string, unknown>;

/** Source address number `i` for attackers: 127.1.0.2, 127.1.0.3, … (never 127.0.0.1). */
export function attackerAddress(i: number): string {
  return `127.1.${Math.floor(i / 250) % 250}.${(i % 250) + 2}`;
}

/** A TCP connection to 127.0.0.1:port from the loopback address `from`; resolves once connected. */
export async function connectSocket(port: number, from: string): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/**
 * A LineClient whose connection comes from the loopback address `from`.
 * LineClient.connect always uses the default source address; its constructor
 * is private only to steer tests to connect(), so it is called reflectively here.
 */
export async function connectFrom(port: number, from: string): Promise<LineClient> {
  const socket = await connectSocket(port, from);
  return Reflect.construct(LineClient, [socket]) as LineClient;
}

/** connectFrom, closed when the test ends. */
export async function clientFrom(t: TestContext, port: number, from: string): Promise<LineClient> {
  const c = await connectFrom(port, from);
  t.after(() => c.close());
  return c;
}

/** VmRSS of a process in KiB, or undefined when it is gone (or there is no /proc). */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/mu.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's resident memory every `intervalMs` and keeps the peak. */
export class RssSampler {
  readonly baselineKiB: number | undefined;
  peakKiB = 0;
  samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    intervalMs = 25,
  ) {
    this.baselineKiB = this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): number | undefined {
    const kib = rssKiB(this.pid);
    if (kib !== undefined) {
      this.samples++;
      this.peakKiB = Math.max(this.peakKiB, kib);
    }
    return kib;
  }

  /** Stop sampling; returns the peak in KiB. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakKiB;
  }
}

/**
 * What no user may ever receive in user text (docs/protocol.md §1): C0 controls
 * except TAB (and LF, which separates the lines of a multi-line JSON text),
 * DEL, C1, and the bidi embeddings/overrides/isolates.
 */
// eslint-disable-next-line no-control-regex
export const TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/u;

/** Every string inside a JSON value. */
function* strings(v: unknown): Generator<string> {
  if (typeof v === 'string') yield v;
  else if (Array.isArray(v)) for (const x of v) yield* strings(x);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      yield k;
      yield* strings(x);
    }
  }
}

export interface ChatterStats {
  name: string;
  sent: number;
  /** Distinct messages of the other chatter received. */
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
  maxLatencyMs: number;
}

const WATCHER_JSON = 'Watcher1';
const WATCHER_TEXT = 'Watcher2';
/** Messages one chatter may have sent that the other has not yet received. */
const WINDOW = 20;
const TICK_MS = 10;
/** Messages each chatter sends at least, however short the attack. */
const MIN_SENT = 20;

/** One side of the conversation: what it sent and when, and what it got from the other side. */
class Side {
  sent = 0;
  readonly sentAt = new Map<number, number>();
  readonly got = new Map<number, number>();
  lastGot = 0;
  reordered = 0;
  maxLatencyMs = 0;
  cursor = 0;

  constructor(
    readonly name: string,
    readonly client: LineClient,
  ) {}
}

/**
 * Two ordinary users chatting in #lobby while an attack runs, one in JSON mode
 * and one in text mode (like `nc`), each sending a numbered message every
 * tick while fewer than WINDOW of its messages are unreceived. Each counts
 * the other's messages: at the end every message sent must have arrived once,
 * in order. Every line either receives is also checked for terminal control
 * characters and for the attackers' addresses (issue 5 item 6).
 */
export class Chatters {
  private readonly json: Side;
  private readonly text: Side;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;
  private onTick: (() => void) | undefined;
  readonly violations: string[] = [];

  private constructor(json: LineClient, text: LineClient) {
    this.json = new Side(WATCHER_JSON, json);
    this.text = new Side(WATCHER_TEXT, text);
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Connect both chatters (from 127.0.0.1) and start the conversation. */
  static async start(t: TestContext, port: number): Promise<Chatters> {
    const json = await LineClient.json(port, WATCHER_JSON, { history: 0 });
    t.after(() => json.close());
    const text = await LineClient.text(port, WATCHER_TEXT);
    t.after(() => text.close());
    await json.waitForJson((o) => o.type === 'system' && o.user === WATCHER_TEXT);
    const c = new Chatters(json, text);
    t.after(() => c.stop());
    return c;
  }

  get sent(): number {
    return this.json.sent + this.text.sent;
  }

  private stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private tick(): void {
    this.read();
    if (this.stopped) return;
    if (this.json.sent - this.text.got.size < WINDOW && !this.json.client.closed) {
      const n = ++this.json.sent;
      this.json.sentAt.set(n, Date.now());
      this.json.client.sendJson({ type: 'say', id: `w${n}`, text: `${WATCHER_JSON} ${n}` });
    }
    if (this.text.sent - this.json.got.size < WINDOW && !this.text.client.closed) {
      const n = ++this.text.sent;
      this.text.sentAt.set(n, Date.now());
      this.text.client.send(`${WATCHER_TEXT} ${n}`);
    }
    this.onTick?.();
  }

  private read(): void {
    const now = Date.now();
    const json = this.json;
    for (; json.cursor < json.client.lines.length; json.cursor++) {
      const line = json.client.lines[json.cursor]!;
      if (!line.startsWith('{')) continue;
      let o: Json;
      try {
        o = JSON.parse(line) as Json;
      } catch {
        this.violations.push(
          `${json.name} received a line that is not JSON: ${line.slice(0, 300)}`,
        );
        continue;
      }
      this.check(json.name, line, [...strings(o)]);
      if (o.type === 'error' && typeof o.id === 'string' && o.id.startsWith('w')) {
        this.violations.push(`${json.name}: its message ${o.id} was refused: ${line}`);
      }
      if (o.type === 'message' && o.from === WATCHER_TEXT) {
        const m = /^Watcher2 (\d+|end)$/u.exec(o.text as string);
        if (m?.[1] && m[1] !== 'end') this.received(json, this.text, Number(m[1]), now);
      }
    }
    const text = this.text;
    const mine = /^\[\d\d:\d\d\] <Watcher1> Watcher1 (\d+)$/u;
    for (; text.cursor < text.client.lines.length; text.cursor++) {
      const line = text.client.lines[text.cursor]!;
      this.check(text.name, line, [line]);
      const m = mine.exec(line);
      if (m) this.received(text, json, Number(m[1]), now);
    }
  }

  private check(who: string, line: string, pieces: string[]): void {
    if (this.violations.length >= 20) return;
    for (const s of pieces) {
      if (TERMINAL_CONTROL.test(s)) {
        this.violations.push(
          `${who} received a terminal control character: ${JSON.stringify(line).slice(0, 300)}`,
        );
        return;
      }
      if (/127\.1\.\d+\.\d+/u.test(s)) {
        this.violations.push(`${who} received an attacker's address: ${line.slice(0, 300)}`);
        return;
      }
    }
  }

  private received(reader: Side, sender: Side, n: number, now: number): void {
    reader.got.set(n, (reader.got.get(n) ?? 0) + 1);
    if (n < reader.lastGot) reader.reordered++;
    reader.lastGot = Math.max(reader.lastGot, n);
    const at = sender.sentAt.get(n);
    if (at !== undefined) reader.maxLatencyMs = Math.max(reader.maxLatencyMs, now - at);
  }

  /**
   * Stop sending, send an end marker from each side and wait (up to
   * `timeoutMs`) until each side has the other's marker: everything sent
   * before it has had its chance to arrive. Returns both sides' books.
   */
  async finish(timeoutMs = 15_000): Promise<ChatterStats[]> {
    // However short the attack, some conversation has to have happened.
    if (this.json.sent < MIN_SENT || this.text.sent < MIN_SENT) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the chatters could not chat')), timeoutMs);
        this.onTick = () => {
          if (this.json.sent >= MIN_SENT && this.text.sent >= MIN_SENT) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
    }
    this.stop();
    this.json.client.sendJson({ type: 'say', id: 'wend', text: `${WATCHER_JSON} end` });
    this.text.client.send(`${WATCHER_TEXT} end`);
    await this.json.client.waitFor((l) => l.includes(`"text":"${WATCHER_TEXT} end"`), timeoutMs);
    await this.text.client.waitFor(
      (l) => l.endsWith(`<${WATCHER_JSON}> ${WATCHER_JSON} end`),
      timeoutMs,
    );
    this.read();
    return [this.stats(this.json, this.text), this.stats(this.text, this.json)];
  }

  private stats(reader: Side, sender: Side): ChatterStats {
    let duplicated = 0;
    for (const count of reader.got.values()) if (count > 1) duplicated++;
    let lost = 0;
    for (let n = 1; n <= sender.sent; n++) if (!reader.got.has(n)) lost++;
    return {
      name: reader.name,
      sent: reader.sent,
      received: reader.got.size,
      lost,
      duplicated,
      reordered: reader.reordered,
      maxLatencyMs: reader.maxLatencyMs,
    };
  }
}

/** A ceiling no attack may push the server's resident memory past. */
export const RSS_LIMIT_MIB = 320;

export interface BenchOptions {
  /** Extra chat-server arguments. */
  args?: string[];
  /** Extra CHAT_* environment (over server-process.ts FAULT_ENV: generous flood control and admission). */
  env?: Record<string, string>;
  /** Prepare the database before the server starts (e.g. create accounts with the CLI). */
  prepare?: (db: string) => Promise<void> | void;
}

export interface Bench {
  server: ServerProcess;
  port: number;
  db: string;
  chatters: Chatters;
  rss: RssSampler;
  /**
   * End the attack's measurement: the chatters lost nothing, the server
   * process is alive, answers a new client, logged no error, and its memory
   * stayed under RSS_LIMIT_MIB. Reports the figures with t.diagnostic.
   */
  finish(t: TestContext, attack: string, figures?: Record<string, number | string>): Promise<void>;
}

const mib = (kib: number): string => (kib / 1024).toFixed(1);

/** A spawned server (temp database file), its RSS sampler and two chatters. */
export async function startBench(t: TestContext, opts: BenchOptions = {}): Promise<Bench> {
  const db = join(tempDir(t, 'chat-hostile-'), 'chat.db');
  await opts.prepare?.(db);
  const spawnOpts: SpawnOptions = { db, args: opts.args ?? [], env: opts.env ?? {} };
  const server = await spawnServer(t, spawnOpts);
  const rss = new RssSampler(server.pid);
  t.after(() => rss.stop());
  const chatters = await Chatters.start(t, server.port);
  return {
    server,
    port: server.port,
    db,
    chatters,
    rss,
    async finish(t2, attack, figures = {}) {
      const stats = await chatters.finish();
      const peak = rss.stop();
      const alive = server.child.exitCode === null && server.child.signalCode === null;
      assert.ok(alive, `the server process died: ${server.stderr.join('\n')}`);
      const fresh = await LineClient.json(server.port, 'Newcomer', { history: 0 });
      fresh.close();
      const lost = stats.reduce((n, s) => n + s.lost, 0);
      const sent = stats.reduce((n, s) => n + s.sent, 0);
      const extra = Object.entries(figures)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      t2.diagnostic(
        `${attack}: ${extra ? extra + ', ' : ''}peak RSS ${mib(peak)} MiB ` +
          `(baseline ${rss.baselineKiB === undefined ? '?' : mib(rss.baselineKiB)} MiB, ${rss.samples} samples), ` +
          `chat messages ${sent} sent, ${lost} lost, max latency ${Math.max(...stats.map((s) => s.maxLatencyMs))} ms`,
      );
      for (const s of stats) {
        assert.equal(
          s.lost,
          0,
          `${s.name} lost ${s.lost} of ${s.sent} messages: ${JSON.stringify(s)}`,
        );
        assert.equal(s.duplicated, 0, `${s.name} got duplicates: ${JSON.stringify(s)}`);
        assert.equal(s.reordered, 0, `${s.name} got messages out of order: ${JSON.stringify(s)}`);
        assert.ok(s.received > 0, `${s.name} received nothing`);
      }
      assert.deepEqual(chatters.violations, [], 'what the ordinary users received');
      const errors = server.log.filter((l) => /"level":(50|60)/u.test(l));
      assert.deepEqual(errors.slice(0, 5), [], 'the server logged no error');
      if (rss.samples > 0) {
        assert.ok(peak < RSS_LIMIT_MIB * 1024, `peak RSS ${mib(peak)} MiB ≥ ${RSS_LIMIT_MIB} MiB`);
      } else {
        t2.diagnostic('no /proc: memory not measured');
      }
    },
  };
}
