import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Roster } from '../../src/client/roster.js';
import type { ServerEvent } from '../../src/protocol/messages.js';

const TS = '2026-11-25T14:02:03.120Z';

function system(event: string, fields: Record<string, unknown>): ServerEvent {
  return { type: 'system', event, ts: TS, ...fields } as ServerEvent;
}

function seeded(): Roster {
  const roster = new Roster();
  roster.observe({
    type: 'welcome',
    name: 'Alice',
    rooms: ['#lobby'],
    members: ['Alice', 'Bob'],
    memberCount: 2,
    heartbeat: 30,
    limits: {
      maxLineBytes: 16384,
      maxMessageLines: 20,
      rateBurst: 10,
      ratePerSecond: 5,
      rateQueue: 20,
      maxTopicBytes: 390,
      maxRoomsPerUser: 50,
    },
    server: { name: 'fake', version: '0' },
    epochs: {},
    seqs: {},
  });
  return roster;
}

describe('Roster', () => {
  it('starts from the welcome, without the user', () => {
    assert.deepEqual(seeded().nicks('#lobby', 'alice'), ['Bob']);
    assert.deepEqual(seeded().roomNames(), ['#lobby']);
  });

  it('follows joins, parts, quits and nick changes', () => {
    const roster = seeded();
    roster.observe(system('join', { room: '#lobby', user: 'Carol' }));
    roster.observe(system('join', { room: '#lobby', user: 'Dave' }));
    roster.observe(system('part', { room: '#lobby', user: 'Dave' }));
    roster.observe(system('nick', { room: '#lobby', user: 'Bob', name: 'Robert' }));
    assert.deepEqual(roster.nicks('#lobby', 'Alice'), ['Carol', 'Robert']);
    roster.observe(system('quit', { user: 'Carol' }));
    assert.deepEqual(roster.nicks('#lobby', 'Alice'), ['Robert']);
  });

  it("learns members from messages and /who, and puts the current room's first", () => {
    const roster = seeded();
    roster.joined('#dev');
    roster.observe({ type: 'who', room: '#dev', users: [{ name: 'Alice' }, { name: 'Zoe' }] });
    roster.observe({
      type: 'message',
      room: '#dev',
      seq: 1,
      ts: TS,
      from: 'Yann',
      text: 'hi',
      action: false,
    });
    assert.deepEqual(roster.nicks('#dev', 'Alice'), ['Zoe', 'Yann', 'Bob']);
    assert.deepEqual(roster.nicks('#lobby', 'Alice'), ['Bob', 'Zoe', 'Yann']);
    roster.parted('#dev');
    assert.deepEqual(roster.nicks('#lobby', 'Alice'), ['Bob']);
  });

  it('knows private correspondents, everyone from /who *, and rooms from /rooms', () => {
    const roster = seeded();
    roster.observe({ type: 'private', from: 'Eve', to: 'Alice', ts: TS, text: 'x', action: false });
    roster.observe({ type: 'who', room: '*', users: [{ name: 'Frank' }] });
    roster.observe({
      type: 'rooms',
      rooms: [
        { name: '#lobby', members: 3, topic: '' },
        { name: '#music', members: 1, topic: '' },
      ],
    });
    assert.deepEqual(roster.nicks('#lobby', 'Alice'), ['Bob', 'Eve', 'Frank']);
    assert.deepEqual(roster.roomNames(), ['#lobby', '#music']);
  });

  it('follows big rooms through aggregated presence', () => {
    const roster = seeded();
    roster.observe(system('presence', { room: '#lobby', joined: ['G1', 'G2'], left: ['Bob'] }));
    assert.deepEqual(roster.nicks('#lobby', 'Alice'), ['G1', 'G2']);
  });
});
