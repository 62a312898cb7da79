/**
 * Load-generator worker thread: owns a share of the bench clients, connects
 * them, joins them, sends and receives bench messages and records latency.
 * Driven by the main thread through ToWorker commands (see fleet.ts).
 */
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Histogram } from './histogram.js';
import {
  encodeJsonSay,
  encodeMessage,
  nowUs,
  type ClientSpec,
  type FromWorker,
  type Progress,
  type ToWorker,
  type WorkerInit,
} from './messages.js';

const NL = 0x0a;
const BANG = 0x21;
const MARK_P = Buffer.from('P|');
const BRACE = 0x7b;
const JSON_ERROR = Buffer.from('"type":"error"');
/** Of a line longer than this (ncat's join lines can be huge) only the start is kept. */
const MAX_PARTIAL = 1 << 20;

type State = 'pending' | 'connecting' | 'joined' | 'failed' | 'closed';

interface Sender {
  seq: number;
  outSeq: number[];
  outTime: number[];
  timer: NodeJS.Timeout | null;
  startedAt: number;
  paced: number;
}

class Client {
  state: State = 'pending';
  sock: net.Socket | null = null;
  /** The incomplete last line of the previous read. */
  carry: Buffer = Buffer.allocUnsafe(256);
  carryLen = 0;
  carryOverflow = false;
  readonly aliasBytes: Buffer;
  gotProbe = false;
  lastError = '';
  sender: Sender | null = null;
  constructor(readonly spec: ClientSpec) {
    this.aliasBytes = Buffer.from(spec.alias);
  }
}

const port = parentPort;
if (!port) throw new Error('bench worker must run in a worker thread');
const init = workerData as WorkerInit;

const clients = init.clients.map((s) => new Client(s));
const localSenders = new Map<number, Client>();
for (const c of clients) {
  if (c.spec.role === 'sender') {
    c.sender = { seq: 0, outSeq: [], outTime: [], timer: null, startedAt: 0, paced: 0 };
    localSenders.set(c.spec.idx, c);
  }
}
/** The client that broadcasts join probes, chosen when the first probe is asked for. */
let probeSender: Client | null = null;

const hist = new Histogram();
const errors: Record<string, number> = {};
const failReasons: Record<string, number> = {};
const shared = Buffer.allocUnsafe(1 << 16);
const dirty = new Set<Client>();

let joined = 0;
let failed = 0;
let probed = 0;
let closedAfterJoin = 0;
let deliveries = 0;
let measuredDeliveries = 0;
let sent = 0;
let measuredSent = 0;
let lost = 0;
let errorLines = 0;
let measuring = false;
let sending = false;
let closing = false;
let inFlight = 0;
let nextToConnect = 0;
let chunkNow = 0;
let changed = true;

function post(msg: FromWorker): void {
  port?.postMessage(msg);
}

function progress(): Progress {
  return {
    workerId: init.workerId,
    clients: clients.length,
    joined,
    failed,
    probed,
    closedAfterJoin,
    deliveries,
    sent,
    lost,
    errorLines,
    errors,
    failReasons,
  };
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

// ---- connecting and joining ------------------------------------------------

function pumpConnects(): void {
  while (!closing && inFlight < init.maxInFlight && nextToConnect < clients.length) {
    const c = clients[nextToConnect++];
    if (c) connect(c);
  }
}

function connect(c: Client): void {
  c.state = 'connecting';
  inFlight++;
  const opts: net.NetConnectOpts = {
    host: init.host,
    port: c.spec.port ?? init.port,
    onread: {
      buffer: shared,
      callback: (n: number) => {
        onData(c, n);
        return true;
      },
    },
  };
  if (c.spec.localAddress) opts.localAddress = c.spec.localAddress;
  const s = net.connect(opts);
  c.sock = s;
  s.setNoDelay(true);
  s.on('connect', () => {
    // chat-server: the first line is the alias (text mode) or a JSON hello
    // without history (as a bot says it); node-relay takes (and answers) the
    // alias line too. ncat: no handshake.
    if (init.kind !== 'ncat') {
      s.write(
        c.spec.json
          ? `{"type":"hello","version":1,"name":"${c.spec.alias}","history":0}\n`
          : `${c.spec.alias}\n`,
      );
    }
  });
  s.on('error', (e: NodeJS.ErrnoException) => {
    c.lastError = e.code ?? e.message;
  });
  s.on('close', () => onClose(c));
}

function settle(c: Client, ok: boolean, reason = ''): void {
  if (c.state !== 'connecting') return;
  inFlight--;
  changed = true;
  if (ok) {
    c.state = 'joined';
    joined++;
    if (c.gotProbe) probed++;
  } else {
    c.state = 'failed';
    failed++;
    bump(failReasons, reason || 'failed');
    c.sock?.destroy();
  }
  if (joined + failed === clients.length) post({ ev: 'progress', p: progress() });
  pumpConnects();
}

function onClose(c: Client): void {
  if (c.state === 'connecting') settle(c, false, c.lastError || 'closed by server');
  else if (c.state === 'joined' && !closing) {
    closedAfterJoin++;
    changed = true;
  }
  if (c.state !== 'failed') c.state = 'closed';
  stopSender(c);
}

// ---- receiving -------------------------------------------------------------
//
// The receive path is the generator's hot loop (millions of lines a second),
// so it scans bytes in plain JavaScript, allocates nothing per line, and after
// finding `B|` jumps straight to where the line must end (a bench message body
// is exactly msgBytes long), checking that the byte there really is LF.

function onData(c: Client, n: number): void {
  chunkNow = nowUs();
  let i = 0;
  if (c.carryLen > 0 || c.carryOverflow) {
    // Finish the line that the previous read left incomplete.
    while (i < n && shared[i] !== NL) i++;
    appendCarry(c, shared, 0, i);
    if (i === n) return;
    const line = c.carry;
    const len = c.carryLen;
    c.carryLen = 0;
    c.carryOverflow = false;
    onLine(c, line, 0, len, findMark(line, 0, len));
    i++;
  }
  const tail = scanLines(c, shared, i, n);
  if (tail < n) appendCarry(c, shared, tail, n);
  if (dirty.size > 0) {
    for (const d of dirty) pumpSender(d);
    dirty.clear();
  }
}

/** Handles every complete line in b[from, to); returns where the incomplete tail starts. */
function scanLines(c: Client, b: Buffer, from: number, to: number): number {
  const jump = init.msgBytes;
  let s = from;
  while (s < to) {
    let j = s;
    let m = -1;
    while (j < to) {
      const ch = b[j];
      if (ch === NL) break;
      if (ch === 0x42 /* B */ && m < 0 && b[j + 1] === 0x7c /* | */) {
        m = j;
        const end = j + jump;
        if (end < to && b[end] === NL) {
          j = end;
          break;
        }
        // Not a text line (a JSON event has more after the body): find its
        // end natively instead of byte by byte through the body.
        const nl = b.indexOf(NL, j + 2);
        j = nl >= 0 && nl < to ? nl : to;
        break;
      }
      j++;
    }
    if (j >= to) return s;
    if (j > s) onLine(c, b, s, j, m);
    s = j + 1;
  }
  return to;
}

function findMark(b: Buffer, s: number, e: number): number {
  for (let j = s; j + 1 < e; j++) if (b[j] === 0x42 && b[j + 1] === 0x7c) return j;
  return -1;
}

function appendCarry(c: Client, b: Buffer, from: number, to: number): void {
  const len = to - from;
  if (len <= 0) return;
  if (c.carryLen + len > c.carry.length) {
    if (c.carryLen + len > MAX_PARTIAL) {
      // Keep the start of an enormous line (enough to find an alias in it).
      c.carryOverflow = true;
      const room = c.carry.length - c.carryLen;
      if (room > 0) {
        b.copy(c.carry, c.carryLen, from, from + room);
        c.carryLen += room;
      }
      return;
    }
    const grown = Buffer.allocUnsafe(
      Math.min(MAX_PARTIAL, Math.max(2 * c.carry.length, c.carryLen + len)),
    );
    c.carry.copy(grown, 0, 0, c.carryLen);
    c.carry = grown;
  }
  b.copy(c.carry, c.carryLen, from, to);
  c.carryLen += len;
}

/** One complete line b[s, e); m is the position of `B|` in it, or -1. */
function onLine(c: Client, b: Buffer, s: number, e: number, m: number): void {
  if (b[s] === BANG && init.kind === 'chat-server') {
    onErrorLine(c, b.toString('utf8', s, e));
    return;
  }
  // A JSON line with a bench message in it is a `message` event, never an
  // error; the others (acks, mostly) are searched within the line only:
  // b.indexOf(…, s) runs to the end of the 64 KB read buffer, and did so for
  // every ack, which held the generator at 100 % (docs/performance.md).
  if (c.spec.json && m < 0 && b[s] === BRACE && b.subarray(s, e).includes(JSON_ERROR)) {
    onErrorLine(c, b.toString('utf8', s, e));
    return;
  }
  if (c.state === 'connecting') {
    if (!isJoinLine(c, b, s, e)) return;
    settle(c, true);
  }
  if (m >= 0) {
    onDelivery(c, b, m + 2, e);
    return;
  }
  if (!c.gotProbe) {
    const p = b.indexOf(MARK_P, s);
    if (p >= 0 && p < e) {
      c.gotProbe = true;
      if (c.state === 'joined') {
        probed++;
        changed = true;
      }
    }
  }
}

/** Bytes that may appear in an alias: ASCII letters, digits, _ . - and any non-ASCII byte. */
function isAliasByte(ch: number | undefined): boolean {
  if (ch === undefined) return false;
  return (
    (ch >= 0x30 && ch <= 0x39) ||
    (ch >= 0x41 && ch <= 0x5a) ||
    (ch >= 0x61 && ch <= 0x7a) ||
    ch === 0x5f ||
    ch === 0x2e ||
    ch === 0x2d ||
    ch >= 0x80
  );
}

/**
 * When has a client joined? ncat: its first line (ncat greets every new
 * connection with an announce line). chat-server: the welcome, i.e. the first
 * line naming the client's own alias as a whole word (the banner sent before
 * the alias does not), or any chat message line (`[HH:MM] …`), which only
 * room members receive.
 */
function isJoinLine(c: Client, b: Buffer, s: number, e: number): boolean {
  if (init.kind === 'ncat') return true;
  if (b[s] === 0x5b /* [ */) return true;
  const alias = c.aliasBytes;
  for (let i = b.indexOf(alias, s); i >= 0 && i + alias.length <= e; i = b.indexOf(alias, i + 1)) {
    if (
      !(i > s && isAliasByte(b[i - 1])) &&
      !(i + alias.length < e && isAliasByte(b[i + alias.length]))
    ) {
      return true;
    }
  }
  return false;
}

function onErrorLine(c: Client, text: string): void {
  const code = (/\[([a-z_]+)\]\s*$/.exec(text) ?? /"code":"([a-z_]+)"/.exec(text))?.[1] ?? 'error';
  errorLines++;
  bump(errors, code);
  changed = true;
  if (c.state === 'connecting') {
    // An error before the welcome means the alias (or the connection) was refused.
    settle(c, false, code);
    return;
  }
  // A refused message will never be delivered: free its window slot.
  if (code === 'rate_limited' && c.sender && c.sender.outSeq.length > 0) {
    c.sender.outSeq.shift();
    c.sender.outTime.shift();
    lost++;
    dirty.add(c);
  }
}

/** Parses `<sender>|<seq>|<sendTimeUs>|` starting at p (just after `B|`). */
function onDelivery(c: Client, b: Buffer, p: number, e: number): void {
  let i = p;
  let senderIdx = 0;
  let seq = 0;
  let ts = 0;
  let ch = b[i] ?? 0;
  while (i < e && ch >= 0x30 && ch <= 0x39) {
    senderIdx = senderIdx * 10 + (ch - 0x30);
    ch = b[++i] ?? 0;
  }
  ch = b[++i] ?? 0;
  while (i < e && ch >= 0x30 && ch <= 0x39) {
    seq = seq * 10 + (ch - 0x30);
    ch = b[++i] ?? 0;
  }
  ch = b[++i] ?? 0;
  while (i < e && ch >= 0x30 && ch <= 0x39) {
    ts = ts * 10 + (ch - 0x30);
    ch = b[++i] ?? 0;
  }
  deliveries++;
  if (measuring) {
    measuredDeliveries++;
    hist.record(chunkNow - ts);
  }
  if (c.spec.observer) {
    const s = localSenders.get(senderIdx);
    if (s?.sender) answer(s, s.sender, seq);
  }
}

/** The observer saw message `seq` of sender `c`: that one (and any older, lost) is answered. */
function answer(c: Client, s: Sender, seq: number): void {
  let freed = false;
  while (s.outSeq.length > 0 && (s.outSeq[0] ?? Infinity) <= seq) {
    if (s.outSeq[0] !== seq) lost++;
    s.outSeq.shift();
    s.outTime.shift();
    freed = true;
  }
  if (freed) dirty.add(c);
}

// ---- sending ---------------------------------------------------------------

function pumpSender(c: Client): void {
  const s = c.sender;
  const sock = c.sock;
  if (!s || !sock || !sending || c.state !== 'joined' || init.window <= 0) return;
  const free = init.window - s.outSeq.length;
  if (free <= 0) return;
  const t = nowUs();
  // One write per message, as a chat client sends one line at a time: with
  // TCP_NODELAY each becomes its own segment unless the socket is backed up.
  for (let k = 0; k < free; k++) {
    const seq = ++s.seq;
    s.outSeq.push(seq);
    s.outTime.push(t);
    sock.write(
      c.spec.json
        ? encodeJsonSay(c.spec.idx, seq, t, init.msgBytes)
        : encodeMessage(c.spec.idx, seq, t, init.msgBytes),
      'latin1',
    );
  }
  sent += free;
  if (measuring) measuredSent += free;
}

function pacedTick(c: Client): void {
  const s = c.sender;
  const sock = c.sock;
  if (!s || !sock || !sending || c.state !== 'joined') return;
  const periodMs = 1000 / init.ratePerSender;
  const elapsed = (nowUs() - s.startedAt) / 1000;
  const due = Math.floor(elapsed / periodMs) + 1 - s.paced;
  if (due > 0) {
    const t = nowUs();
    for (let k = 0; k < due; k++) {
      sock.write(encodeMessage(c.spec.idx, ++s.seq, t, init.msgBytes), 'latin1');
    }
    s.paced += due;
    sent += due;
    if (measuring) measuredSent += due;
  }
  const next = s.paced * periodMs - (nowUs() - s.startedAt) / 1000;
  s.timer = setTimeout(() => pacedTick(c), Math.max(0, next));
}

function stopSender(c: Client): void {
  if (c.sender?.timer) {
    clearTimeout(c.sender.timer);
    c.sender.timer = null;
  }
}

function startSending(): void {
  sending = true;
  for (const c of localSenders.values()) {
    if (init.window > 0) pumpSender(c);
    else if (c.sender) {
      c.sender.startedAt = nowUs();
      pacedTick(c);
    }
  }
}

/** Frees window slots whose message was never answered (e.g. dropped by the relay). */
function expireUnanswered(): void {
  if (!sending || init.window <= 0) return;
  const limit = nowUs() - init.answerTimeoutMs * 1000;
  for (const c of localSenders.values()) {
    const s = c.sender;
    if (!s) continue;
    let freed = false;
    while (s.outTime.length > 0 && (s.outTime[0] ?? Infinity) < limit) {
      s.outSeq.shift();
      s.outTime.shift();
      lost++;
      freed = true;
    }
    if (freed) pumpSender(c);
  }
}

// ---- control ---------------------------------------------------------------

const ticker = setInterval(() => {
  expireUnanswered();
  if (changed || sending) {
    changed = false;
    post({ ev: 'progress', p: progress() });
  }
}, 100);

function finish(): void {
  sending = false;
  measuring = false;
  for (const c of localSenders.values()) stopSender(c);
  post({
    ev: 'result',
    r: {
      ...progress(),
      hist: hist.toData(),
      measuredDeliveries,
      measuredSent,
    },
  });
}

function closeAll(): void {
  closing = true;
  sending = false;
  clearInterval(ticker);
  for (const c of clients) {
    stopSender(c);
    c.sock?.destroy();
  }
  post({ ev: 'closed' });
}

port.on('message', (m: ToWorker) => {
  try {
    switch (m.cmd) {
      case 'connect':
        if (clients.length === 0) post({ ev: 'progress', p: progress() });
        pumpConnects();
        break;
      case 'probe':
        if (probeSender?.state !== 'joined') {
          probeSender = clients.find((c) => c.state === 'joined') ?? null;
          if (probeSender && !probeSender.gotProbe) {
            // Its own broadcast is not echoed back to it: count it as reached.
            probeSender.gotProbe = true;
            probed++;
            changed = true;
          }
        }
        probeSender?.sock?.write(
          probeSender.spec.json ? `{"type":"say","text":"P|${m.seq}|"}\n` : `P|${m.seq}|\n`,
        );
        break;
      case 'start':
        startSending();
        break;
      case 'measure':
        measuring = m.on;
        if (m.on) {
          hist.reset();
          measuredDeliveries = 0;
          measuredSent = 0;
        }
        break;
      case 'stop':
        finish();
        break;
      case 'close':
        closeAll();
        break;
    }
  } catch (e) {
    post({ ev: 'fatal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
