/**
 * chat-client's status area (status.ts): a chat line the server has not
 * answered is shown as pending at once while the connection is down, and
 * after a moment while it is up but the server does not answer (a stall).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OfflineStatus } from '../../src/client/status.js';
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
    t.mock.timers.tick(600);
    assert.deepEqual(status.lines(), ['… pending: <Ann> slow']);
    slow();
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
