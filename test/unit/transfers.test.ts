/**
 * The relay's state machine (core/transfers.ts) with fake peers and an
 * injected clock: the per-connection budget, the idle timeout, resume
 * arithmetic and the aborts, none of which need a socket.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ChatError } from '../../src/protocol/errors.js';
import { Room, User, type Peer } from '../../src/core/model.js';
import { foldKey, parseAlias, parseRoom } from '../../src/protocol/names.js';
import { Transfers, type TransferLimits } from '../../src/core/transfers.js';
import { forEachKept } from '../../src/protocol/batch-bytes.js';
import type { ServerEvent } from '../../src/protocol/messages.js';

class FakePeer implements Peer {
  readonly events: ServerEvent[] = [];
  readonly address = '127.0.0.1';
  constructor(
    readonly id: string,
    readonly mode: 'text' | 'json' = 'json',
  ) {}
  send(event: ServerEvent): void {
    this.events.push(event);
  }
  sendAll(
    events: readonly ServerEvent[],
    skip?: readonly number[],
    instead?: readonly (ServerEvent | undefined)[],
  ): void {
    forEachKept(events, skip, (e) => this.events.push(e), instead);
  }
  close(): void {}
  of(type: string): ServerEvent[] {
    return this.events.filter((e) => e.type === type);
  }
}

function world(limits: Partial<TransferLimits> = {}) {
  let now = 1_000_000;
  const users = new Map<string, User>();
  const lobby = new Room(parseRoom('#lobby'));
  const host = {
    findUser(raw: string): User {
      const u = users.get(foldKey(raw));
      if (!u) throw new ChatError('not_found', `Unknown user: ${raw}`);
      return u;
    },
    nowMs: () => now,
    timestamp: () => new Date(now).toISOString(),
  };
  const transfers = new Transfers(host, limits);
  const user = (name: string, mode: 'text' | 'json' = 'json') => {
    const peer = new FakePeer(name, mode);
    const u = new User(parseAlias(name), lobby, peer, now);
    users.set(u.name.key, u);
    return { u, peer };
  };
  return {
    transfers,
    user,
    advance: (ms: number) => (now += ms),
    drop: (u: User) => users.delete(u.name.key),
  };
}

const SHA = 'a'.repeat(64);
const chunk = (n: number) => Buffer.alloc(n, 1).toString('base64');

/** `from` offers `to` a file (a fake checksum: the relay never checks it), resumable as chat-client's. */
function offer(
  w: ReturnType<typeof world>,
  from: User,
  id: string,
  to: string,
  size: number,
  name = 'x',
  resumable = true,
): void {
  w.transfers.handle(from, { type: 'file-offer', id, to, name, size, sha256: SHA, resumable });
}

/** alice offers bob a 9-byte file `t` and bob accepts it; both can resume unless told otherwise. */
function accepted(w: ReturnType<typeof world>, resumable = { offer: true, accept: true }) {
  const a = w.user('alice');
  const b = w.user('bob');
  offer(w, a.u, 't', 'bob', 9, 'x', resumable.offer);
  w.transfers.handle(b.u, { type: 'file-accept', id: 't', resumable: resumable.accept });
  return { a, b };
}

function refused(fn: () => void, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ChatError && e.code === code);
}

describe('Transfers (relay state machine)', () => {
  it('holds chunks beyond the connection budget until the receiver acknowledges', () => {
    const w = world({ connectionBudgetBytes: 8000, window: 8 });
    const a = w.user('alice');
    const b = w.user('bob');
    const c = w.user('carol');
    // Two senders to one receiver: the budget is bob's, across both transfers.
    for (const [s, id] of [
      [a, 't1'],
      [c, 't2'],
    ] as const) {
      offer(w, s.u, id, 'bob', 30000);
      w.transfers.handle(b.u, { type: 'file-accept', id });
    }
    const data = chunk(3000); // 4000 base64 bytes
    w.transfers.handle(a.u, { type: 'file-chunk', id: 't1', seq: 0, data });
    w.transfers.handle(c.u, { type: 'file-chunk', id: 't2', seq: 0, data });
    w.transfers.handle(a.u, { type: 'file-chunk', id: 't1', seq: 1, data });
    w.transfers.handle(c.u, { type: 'file-chunk', id: 't2', seq: 1, data });
    assert.equal(b.peer.of('file-chunk').length, 2, 'two chunks fill the 8000-byte budget');
    w.transfers.handle(b.u, { type: 'file-ack', id: 't1', seq: 0 });
    assert.equal(b.peer.of('file-chunk').length, 3, 'an ack frees room for one more');
    assert.deepEqual(
      b.peer.of('file-chunk').map((e) => [(e as { id: string }).id, (e as { seq: number }).seq]),
      [
        ['t1', 0],
        ['t2', 0],
        ['t1', 1],
      ],
    );
    // A held chunk cannot be acked before it was sent.
    refused(() => w.transfers.handle(b.u, { type: 'file-ack', id: 't2', seq: 1 }), 'bad_request');
  });

  it('times out an idle transfer and tells both sides', () => {
    const w = world({ idleTimeoutMs: 60_000 });
    const a = w.user('alice');
    const b = w.user('bob');
    offer(w, a.u, 't', 'bob', 10);
    w.advance(59_000);
    w.transfers.sweep();
    assert.equal(w.transfers.size, 1);
    // Accepted just before the limit: the accept counts as activity.
    w.transfers.handle(b.u, { type: 'file-accept', id: 't' });
    w.advance(2_000);
    w.transfers.sweep();
    assert.equal(w.transfers.size, 1, 'an accept restarts the idle clock');
    w.advance(59_000);
    w.transfers.sweep();
    assert.equal(w.transfers.size, 0);
    for (const p of [a.peer, b.peer]) {
      const e = p.of('error').at(-1) as { code: string; id: string };
      assert.equal(e.code, 'timeout');
      assert.equal(e.id, 't');
    }
  });

  it('a side that stays away past the idle timeout: the other is told, the late one too', () => {
    const w = world({ idleTimeoutMs: 60_000 });
    const { a, b } = accepted(w);
    w.transfers.handle(a.u, { type: 'file-chunk', id: 't', seq: 0, data: chunk(3) });
    w.transfers.suspend(b.u);
    w.drop(b.u);
    w.advance(30_000);
    w.transfers.sweep();
    assert.equal(w.transfers.size, 1, 'still waiting within the timeout');
    w.advance(31_000);
    w.transfers.sweep();
    assert.equal(w.transfers.size, 0);
    const told = a.peer.of('error').at(-1) as { code: string; id: string; message: string };
    assert.equal(told.code, 'timeout');
    assert.equal(told.id, 't');
    assert.equal(b.peer.of('error').length, 0, 'nothing is written to a dropped connection');
    // Bob's client comes back and asks to resume: it hears why it cannot.
    const b2 = w.user('bob');
    try {
      w.transfers.handle(b2.u, { type: 'file-resume', id: 't' });
      assert.fail('a resume after the timeout must be refused');
    } catch (e) {
      assert.ok(e instanceof ChatError);
      assert.equal(e.code, 'not_found');
      assert.match(e.message, /cannot be resumed/u);
    }
  });

  it('aborts on leave (quit, kick) and on shutdown, telling whoever is still there', () => {
    const w = world();
    const a = w.user('alice');
    const b = w.user('bob');
    offer(w, a.u, 't1', 'bob', 10);
    offer(w, a.u, 't2', 'bob', 10, 'y');
    w.transfers.leave(b.u, 'was kicked');
    assert.equal(w.transfers.size, 0);
    assert.deepEqual(
      a.peer.of('error').map((e) => (e as { code: string }).code),
      ['not_found', 'not_found'],
    );
    offer(w, a.u, 't3', 'bob', 10, 'z');
    w.transfers.shutdown();
    assert.equal((b.peer.of('error').at(-1) as { code: string }).code, 'shutting_down');
    assert.equal((a.peer.of('error').at(-1) as { code: string }).code, 'shutting_down');
  });

  it('refuses text-mode recipients, oversize offers, and too many transfers', () => {
    const w = world({ maxFileBytes: 100, maxPerUser: 2 });
    const a = w.user('alice');
    w.user('bob');
    w.user('tess', 'text');
    const send = (id: string, to: string, size = 10) => offer(w, a.u, id, to, size);
    refused(() => send('1', 'tess'), 'forbidden');
    refused(() => send('2', 'bob', 101), 'too_large');
    refused(() => send('3', 'nobody'), 'not_found');
    send('4', 'bob');
    refused(() => send('4', 'bob'), 'bad_request');
    send('5', 'bob');
    refused(() => send('6', 'bob'), 'rate_limited');
  });

  it('an offer just over the limit shows exact byte counts, not two equal rounded sizes', () => {
    const why = (max: number, size: number): string => {
      const w = world({ maxFileBytes: max });
      const a = w.user('alice');
      w.user('bob');
      try {
        offer(w, a.u, 'big', 'bob', size);
      } catch (e) {
        assert.ok(e instanceof ChatError && e.code === 'too_large', String(e));
        return e.message;
      }
      return assert.fail('the offer was accepted');
    };
    const MiB = 1024 * 1024;
    assert.equal(
      why(10 * MiB, 10 * MiB + 1),
      'The file is 10,485,761 bytes; this server relays at most 10,485,760 bytes',
    );
    assert.equal(
      why(10 * MiB, 25 * MiB),
      'The file is 25.0 MiB; this server relays at most 10.0 MiB',
    );
    assert.equal(why(100, 101), 'The file is 101 bytes; this server relays at most 100 bytes');
  });

  it('a drop ends the transfer with an error to the other side unless both sides said resumable (§5)', () => {
    for (const resumable of [
      { offer: false, accept: true },
      { offer: true, accept: false },
    ]) {
      for (const dropped of ['sender', 'receiver'] as const) {
        const w = world();
        const { a, b } = accepted(w, resumable);
        w.transfers.handle(a.u, { type: 'file-chunk', id: 't', seq: 0, data: chunk(3) });
        const [gone, other] = dropped === 'sender' ? [a, b] : [b, a];
        w.transfers.suspend(gone.u);
        w.drop(gone.u);
        assert.equal(w.transfers.size, 0, `${JSON.stringify(resumable)} ${dropped}`);
        assert.equal(other.peer.of('file-pause').length, 0);
        const told = other.peer.of('error').at(-1) as { code: string; id: string; message: string };
        assert.equal(told.code, 'not_found');
        assert.equal(told.id, 't');
        assert.match(told.message, /aborted: \w+'s connection dropped/u);
      }
    }
  });

  it('resumes a dropped receiver after its last acknowledged chunk', () => {
    const w = world();
    const { a, b } = accepted(w);
    for (let seq = 0; seq < 3; seq++) {
      w.transfers.handle(a.u, { type: 'file-chunk', id: 't', seq, data: chunk(3) });
    }
    w.transfers.handle(b.u, { type: 'file-ack', id: 't', seq: 0 });
    // Bob's connection drops; chunks sent meanwhile are dropped quietly.
    w.transfers.suspend(b.u);
    w.drop(b.u);
    assert.equal(a.peer.of('file-pause').length, 1);
    const b2 = w.user('bob');
    w.transfers.handle(b2.u, { type: 'file-resume', id: 't' });
    assert.deepEqual(a.peer.of('file-resume').at(-1), { type: 'file-resume', id: 't', seq: 1 });
    assert.deepEqual(b2.peer.of('file-resume').at(-1), { type: 'file-resume', id: 't', seq: 1 });
    // The sender goes on from chunk 1 and the file completes.
    for (let seq = 1; seq < 3; seq++) {
      w.transfers.handle(a.u, { type: 'file-chunk', id: 't', seq, data: chunk(3) });
    }
    w.transfers.handle(a.u, { type: 'file-end', id: 't' });
    assert.equal(b2.peer.of('file-end').length, 1);
    w.transfers.handle(b2.u, { type: 'file-done', id: 't', ok: true });
    assert.deepEqual(a.peer.of('file-done').at(-1), { type: 'file-done', id: 't', ok: true });
    assert.equal(w.transfers.size, 0);
    // Someone else cannot resume a transfer that is not theirs.
    const eve = w.user('eve');
    refused(() => w.transfers.handle(eve.u, { type: 'file-resume', id: 't' }), 'not_found');
  });

  it('resumes a dropped sender after the chunks its receiver already has', () => {
    const w = world();
    const { a, b } = accepted(w);
    w.transfers.handle(a.u, { type: 'file-chunk', id: 't', seq: 0, data: chunk(3) });
    w.transfers.handle(a.u, { type: 'file-chunk', id: 't', seq: 1, data: chunk(3) });
    w.transfers.suspend(a.u);
    w.drop(a.u);
    // Bob still gets and acknowledges what was written to his connection.
    w.transfers.handle(b.u, { type: 'file-ack', id: 't', seq: 1 });
    const a2 = w.user('alice');
    w.transfers.handle(a2.u, { type: 'file-resume', id: 't' });
    assert.deepEqual(a2.peer.of('file-resume').at(-1), { type: 'file-resume', id: 't', seq: 2 });
    w.transfers.handle(a2.u, { type: 'file-chunk', id: 't', seq: 2, data: chunk(3) });
    w.transfers.handle(a2.u, { type: 'file-end', id: 't' });
    assert.equal(b.peer.of('file-end').length, 1);
  });
});

describe('the relay keeps nothing on disk', () => {
  it('no module of the relay can reach a file system', () => {
    // The relay's modules import only the chat's own core and protocol
    // modules: a file written by the server would need node:fs or the store.
    const core = new URL('../../../src/core/', import.meta.url);
    const files = [
      ...readdirSync(core)
        .filter((f) => f.startsWith('transfer'))
        .map((f) => new URL(f, core)),
      new URL('commands/file.ts', core),
    ];
    assert.ok(files.length >= 5, 'the relay modules were found');
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      for (const [, from] of source.matchAll(/from '([^']+)'/gu)) {
        assert.ok(
          /^\.\.?\//u.test(from!) && !/\/(store|server)\//u.test(from!),
          `${file.pathname} imports ${from}`,
        );
      }
    }
  });
});
