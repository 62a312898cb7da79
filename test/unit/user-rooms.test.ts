/**
 * A user's rooms (core/model.ts UserRooms): one room held in a field, a Map
 * from the second on, and back; it must answer as the Map it replaced did,
 * join order included (the first room is where a resume lands, the last
 * where a /part leaves the user).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Room, UserRooms } from '../../src/core/model.js';
import { parseRoom } from '../../src/protocol/names.js';

const room = (name: string): Room => new Room(parseRoom(name));

/** The same operations on a UserRooms and a Map must leave the same picture. */
function same(rooms: UserRooms, map: Map<string, Room>): void {
  assert.equal(rooms.size, map.size);
  assert.deepEqual([...rooms.keys()], [...map.keys()]);
  assert.deepEqual(
    [...rooms.values()].map((r) => r.name.key),
    [...map.values()].map((r) => r.name.key),
  );
  for (const k of ['#a', '#b', '#c', '#d']) {
    assert.equal(rooms.has(k), map.has(k), k);
    assert.equal(rooms.get(k), map.get(k), k);
  }
}

test('UserRooms answers as a Map through joins, parts and rejoins, in join order', () => {
  const [a, b, c, d] = ['#a', '#b', '#c', '#d'].map(room) as [Room, Room, Room, Room];
  const rooms = new UserRooms();
  const map = new Map<string, Room>();
  const steps: Array<['set', Room] | ['delete', string]> = [
    ['set', a],
    ['set', a],
    ['delete', '#b'],
    ['set', b],
    ['set', c],
    ['delete', '#a'],
    ['delete', '#c'],
    ['set', a],
    ['delete', '#b'],
    ['delete', '#b'],
    ['set', d],
    ['set', c],
    ['delete', '#d'],
    ['delete', '#a'],
    ['delete', '#c'],
    ['delete', '#c'],
  ];
  same(rooms, map);
  for (const [op, arg] of steps) {
    if (op === 'set') {
      assert.equal(rooms.set(arg.name.key, arg), rooms);
      map.set(arg.name.key, arg);
    } else {
      assert.equal(rooms.delete(arg), map.delete(arg), `delete ${arg}`);
    }
    same(rooms, map);
  }
});

test('UserRooms replaces the room held under a key without reordering', () => {
  const rooms = new UserRooms();
  const first = room('#a');
  const again = room('#a');
  rooms.set('#a', first).set('#a', again);
  assert.equal(rooms.get('#a'), again);
  rooms.set('#b', room('#b')).set('#a', first);
  assert.deepEqual([...rooms.keys()], ['#a', '#b']);
  assert.equal(rooms.get('#a'), first);
});
