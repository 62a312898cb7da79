/**
 * chat-client's status area (status.ts): a chat line the server has not
 * answered is shown as pending at once while the connection is down, and
 * after a moment while it is up but the server does not answer (a stall).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OfflineStatus, refusalOf } from '../../src/client/status.js';
import type { Request } from '../../src/protocol/messages.js';

const say = (text: string): Request => ({ type: 'say', text });

describe('OfflineStatus', () => {
  it('shows a line unanswered for 1.5 s while connected as pending, and drops it once answered', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
    const drawn: string[][] = [];
    const status = new OfflineStatus((lines) => drawn.push(lines));
    const quick = status.sent(say('quick'), '… pending: <Ann> quick', true);
    const slow = status.sent(say('slow'), '… pending: <Ann> slow', true);
    t.mock.timers.tick(1000);
    quick();
    assert.deepEqual(status.lines(), [], 'nothing shown for a line answered in time');
    assert.deepEqual(status.undelivered(), [], 'not pending yet: exit leaves at once');
    t.mock.timers.tick(600);
    assert.deepEqual(status.lines(), ['… pending: <Ann> slow']);
    // Pending on screen, so exit says so first (the server stalled; it may never answer).
    assert.deepEqual(status.undelivered(), [say('slow')]);
    slow();
    assert.deepEqual(status.undelivered(), []);
    assert.deepEqual(status.lines(), []);
    t.mock.timers.tick(5000);
    assert.deepEqual(drawn.at(-1), [], 'the answered line never comes back');
  });

  it('shows a line at once while the connection is down, and lists it as undelivered', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
    const status = new OfflineStatus(() => undefined);
    status.reconnecting(2, 1000, 'connection refused', '127.0.0.1:1');
    const settle = status.sent(say('offline'), '… pending: <Ann> offline', false);
    assert.deepEqual(status.lines().slice(1), ['… pending: <Ann> offline']);
    assert.deepEqual(status.undelivered(), [say('offline')]);
    settle();
    assert.deepEqual(status.undelivered(), []);
    status.online();
  });
});

describe('refusalOf', () => {
  it('quotes a refused chat line as it would be typed again', () => {
    assert.equal(
      refusalOf(
        { type: 'dm', to: 'countbot', text: 'pm during outage' },
        'No one called countbot is online',
      ),
      'No one called countbot is online; not sent: /msg countbot pm during outage',
    );
    assert.equal(
      refusalOf({ type: 'say', text: 'waves\nand bows', action: true }, 'You are muted'),
      'You are muted; not sent: /me waves (+1 lines)',
    );
    const long = refusalOf({ type: 'say', text: 'x'.repeat(200) }, 'No');
    assert.equal(long, `No; not sent: ${'x'.repeat(80)}…`);
  });

  it('leaves other refusals, and flood refusals that quote the line already, as they are', () => {
    assert.equal(refusalOf({ type: 'join', room: '#x' }, 'Banned'), 'Banned');
    const flood = 'Too many messages: dropped "hi"; slow down';
    assert.equal(refusalOf({ type: 'say', text: 'hi' }, flood), flood);
  });
});
