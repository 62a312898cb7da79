import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestError } from '../../src/client/connection.js';
import { Sender, type Requester } from '../../src/client/sender.js';
import type { Request, ServerEvent } from '../../src/protocol/messages.js';

const TS = '2026-11-25T14:02:03.120Z';

/** A Requester whose replies the test releases by hand. */
class ManualRequester implements Requester {
  readonly sent: Request[] = [];
  private readonly settle: Array<(reply: ServerEvent | RequestError) => void> = [];

  request<T extends Request>(request: T): Promise<never> {
    this.sent.push(request);
    return new Promise((resolve, reject) => {
      this.settle.push((reply) =>
        reply instanceof RequestError ? reject(reply) : resolve(reply as never),
      );
    });
  }

  /** Answer the `n`th request sent. */
  answer(n: number, reply: ServerEvent | RequestError = { type: 'ack', ts: TS, op: 'say' }): void {
    this.settle[n]?.(reply);
  }
}

const say = (text: string): Request => ({ type: 'say', room: '#lobby', text });

describe('Sender', () => {
  it('pipelines requests up to the window, then waits for an answer', async () => {
    const conn = new ManualRequester();
    const sender = new Sender(conn, 2);
    await sender.submit(say('a'));
    await sender.submit(say('b'));
    let third = false;
    const submitting = sender.submit(say('c')).then(() => {
      third = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(third, false, 'the window is full');
    assert.equal(conn.sent.length, 2);
    conn.answer(0);
    await submitting;
    assert.deepEqual(
      conn.sent.map((r) => (r.type === 'say' ? r.text : r.type)),
      ['a', 'b', 'c'],
    );
  });

  it('waits for a join before the next line goes', async () => {
    const conn = new ManualRequester();
    const sender = new Sender(conn, 8);
    let joined = false;
    const joining = sender.submit({ type: 'join', room: '#dev' }).then(() => {
      joined = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(joined, false);
    conn.answer(0, { type: 'ack', ts: TS, op: 'join', room: '#dev' });
    await joining;
  });

  it('reports refusals as outcomes and retries rate_limited after retryAfterMs', async () => {
    const conn = new ManualRequester();
    const sender = new Sender(conn, 8);
    const refused = await sender.submit(say('x'));
    conn.answer(0, new RequestError('not_found', 'nobody'));
    const outcome = await refused.outcome;
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.code, 'not_found');

    const limited = await sender.submit(say('y'));
    conn.answer(1, new RequestError('rate_limited', 'slow down', 1));
    while (conn.sent.length < 3) await new Promise((resolve) => setTimeout(resolve, 1));
    assert.deepEqual(conn.sent[2], say('y'));
    conn.answer(2);
    assert.equal((await limited.outcome).ok, true);
  });

  it('drains only when every request has its outcome', async () => {
    const conn = new ManualRequester();
    const sender = new Sender(conn, 8);
    await sender.submit(say('a'));
    await sender.submit(say('b'));
    let drained = false;
    const draining = sender.drain().then(() => {
      drained = true;
    });
    conn.answer(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(drained, false);
    conn.answer(0);
    await draining;
  });
});
