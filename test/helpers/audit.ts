/**
 * The books of a fault test: what the server acked and stored, checked
 * against what every TrackedClient received. "Lost" is a message a client
 * should have received and did not; "duplicated" one it received more than
 * once (by stream and seq).
 */
import assert from 'node:assert/strict';
import type { Json, TrackedClient } from './tracked-client.js';

/** One acked say or dm, as its sender's books have it. */
export interface Acked {
  sender: string;
  id: string;
  op: 'say' | 'dm';
  /** Room of a say, recipient alias of a dm. */
  where: string;
  seq: number;
  text: string;
}

/** Every acked say/dm of these clients (a request acked twice, after a re-send, once). */
export function ackedOf(clients: readonly TrackedClient[]): Acked[] {
  const out: Acked[] = [];
  for (const c of clients) {
    for (const [id, ack] of c.acks) {
      const req = c.requests.get(id);
      if (!req || (req.type !== 'say' && req.type !== 'dm')) continue;
      out.push({
        sender: c.name,
        id,
        op: req.type,
        where: (req.type === 'say' ? ack.room : ack.name) as string,
        seq: ack.seq as number,
        text: req.text as string,
      });
    }
  }
  return out;
}

/**
 * A room's stored history must be seqs 1..top without a hole, hold every
 * acked say of that room at its acked seq with its text, and hold each of
 * these clients' texts at most once (a re-send never stored twice).
 */
export function checkStored(room: string, stored: readonly Json[], acked: readonly Acked[]): void {
  stored.forEach((m, i) => assert.equal(m.seq, i + 1, `${room}: stored seqs are 1..top`));
  const byText = new Map<string, Json[]>();
  for (const m of stored)
    byText.set(m.text as string, [...(byText.get(m.text as string) ?? []), m]);
  for (const [text, ms] of byText) {
    assert.equal(ms.length, 1, `${room}: "${text}" stored ${ms.length} times`);
  }
  for (const a of acked) {
    if (a.op !== 'say' || a.where !== room) continue;
    const m = stored[a.seq - 1];
    assert.ok(m, `${room}: acked seq ${a.seq} (${a.sender} ${a.id}) is not in history`);
    assert.equal(m.text, a.text, `${room}: text of acked seq ${a.seq}`);
    assert.equal(m.from, a.sender, `${room}: sender of acked seq ${a.seq}`);
  }
}

export interface AuditResult {
  /** Messages that had to reach a client (from another client), over all clients. */
  expected: number;
  lost: string[];
  duplicated: string[];
  reordered: string[];
  /** Received with a text other than the stored one, or a seq that was never stored. */
  wrong: string[];
}

/**
 * Check every client against the stored room histories (each client in each
 * room from start to end) and against the acked dms (each client's `@`
 * stream). Each message from someone else must have been received exactly
 * once; a client's own messages may come back in a resume replay, once.
 */
export function audit(
  clients: readonly TrackedClient[],
  stored: ReadonlyMap<string, readonly Json[]>,
  acked: readonly Acked[],
): AuditResult {
  const r: AuditResult = { expected: 0, lost: [], duplicated: [], reordered: [], wrong: [] };
  for (const c of clients) {
    const streams = new Map<string, Map<number, { from: string; text: string }>>();
    for (const [room, messages] of stored) {
      streams.set(
        room,
        new Map(
          messages.map((m) => [
            m.seq as number,
            { from: m.from as string, text: m.text as string },
          ]),
        ),
      );
    }
    if (c.options.trackPrivate) {
      const dms = new Map<number, { from: string; text: string }>();
      for (const a of acked) {
        if (a.op === 'dm' && a.where === c.name) dms.set(a.seq, { from: a.sender, text: a.text });
      }
      streams.set('@', dms);
    }
    for (const [stream, expected] of streams) {
      for (const [seq, m] of expected) {
        const n = c.count(stream, seq);
        const tag = `${c.name} ${stream} seq ${seq} (${m.from})`;
        if (m.from !== c.name) {
          r.expected++;
          if (n === 0) r.lost.push(tag);
        }
        if (n > 1) r.duplicated.push(`${tag} ×${n}`);
      }
      for (const got of c.stream(stream)) {
        const m = expected.get(got.seq);
        if (!m || m.text !== got.text || m.from !== got.from) {
          r.wrong.push(`${c.name} ${stream} seq ${got.seq}: got ${got.from}: ${got.text}`);
        }
      }
    }
    for (const x of c.outOfOrder) r.reordered.push(`${c.name} ${x.stream} seq ${x.seq}`);
  }
  return r;
}

/** Fail with the first few problems of an audit, if any. */
export function assertClean(r: AuditResult): void {
  const show = (xs: string[]): string => `${xs.length} ${JSON.stringify(xs.slice(0, 10))}`;
  assert.ok(r.expected > 0, 'the audit checked something');
  assert.equal(r.lost.length, 0, `lost: ${show(r.lost)}`);
  assert.equal(r.duplicated.length, 0, `duplicated: ${show(r.duplicated)}`);
  assert.equal(r.reordered.length, 0, `out of order: ${show(r.reordered)}`);
  assert.equal(r.wrong.length, 0, `wrong: ${show(r.wrong)}`);
}

/**
 * How a client came to receive its first duplicate: what arrived on that
 * connection, in order, from the hello on (message seqs, history seq lists).
 */
export function explainDuplicate(c: TrackedClient): string {
  const d = c.duplicates[0];
  if (!d) return `${c.name}: no duplicate`;
  const arrivals = c.objects
    .filter((x) => x.conn === d.conn)
    .slice(0, 12)
    .map(({ o }) => {
      if (o.type === 'history') {
        return `history ${String(o.room)} [${(o.messages as Json[]).map((m) => m.seq).join(',')}]`;
      }
      if (o.type === 'message') return `message ${String(o.room)} ${String(o.seq)}`;
      if (o.type === 'private') return `private ${String(o.seq)}`;
      return String(o.type) + (o.event ? ` ${String(o.event)}` : '');
    });
  return (
    `${c.name}: ${d.stream} seq ${d.seq} twice; connection ${d.conn} began: ` + arrivals.join(' | ')
  );
}
