/**
 * docs/protocol.md §3: every command this server carries out, typed by a text-mode
 * user, with its error cases asserted by code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expectTextError,
  jsonUser,
  stamped,
  textFence,
  textUser,
  trio,
} from '../helpers/fixtures.js';

const COMMANDS = [
  '/help',
  '/who',
  '/rooms',
  '/join',
  '/part',
  '/msg',
  '/me',
  '/nick',
  '/topic',
  '/history',
  '/away',
  '/ignore',
  '/unignore',
  '/quit',
];

test('/help lists the commands; /help cmd shows one; unknown commands are bad_request', async (t) => {
  const { alice } = await trio(t);
  alice.send('/help');
  alice.send('/who');
  assert.match(await alice.next(), /^\* Commands/u);
  const usages: string[] = [];
  for (let line = await alice.next(); !line.startsWith('* 3 users'); line = await alice.next()) {
    assert.match(line, /^\* {3}\/\S+.* — /u);
    usages.push(line);
  }
  for (const cmd of COMMANDS) {
    assert.ok(
      usages.some((u) => u.startsWith(`*   ${cmd} `)),
      `${cmd} in /help`,
    );
  }

  alice.send('/help msg');
  assert.match(await alice.next(), /^\* \/msg nick text — /u);
  alice.send('/help /join');
  assert.match(await alice.next(), /^\* \/join #room — /u);
  alice.send('/help nosuch');
  await expectTextError(alice, 'not_found');
  alice.send('/help msg join');
  await expectTextError(alice, 'bad_request');
  alice.send('/frobnicate');
  await expectTextError(alice, 'bad_request');
  alice.send('/');
  await expectTextError(alice, 'bad_request');
  await textFence(alice);
});

test('/who: the current room, another room, everyone; unknown room not_found', async (t) => {
  const { alice, bob } = await trio(t);
  alice.send('/who');
  assert.equal(await alice.next(), '* 3 users in #lobby: Alice, Bob, Carol');
  bob.send('/join #dev');
  assert.equal(await bob.next(), '* You are now in #dev');
  alice.send('/who #dev');
  assert.equal(await alice.next(), '* 1 user in #dev: Bob');
  alice.send('/who #DEV');
  assert.equal(await alice.next(), '* 1 user in #dev: Bob');
  alice.send('/who *');
  assert.equal(await alice.next(), '* 3 users online: Alice, Bob, Carol');
  alice.send('/who #nosuch');
  await expectTextError(alice, 'not_found');
  // `lobby` is `#lobby` (§3), as for /join.
  alice.send('/who lobby');
  assert.equal(await alice.next(), '* 3 users in #lobby: Alice, Bob, Carol');
  alice.send('/who #lobby #dev');
  await expectTextError(alice, 'bad_request');
});

test('/join creates, switches and announces; already a member just switches; bad names refused', async (t) => {
  const { alice, bob, carol } = await trio(t);
  alice.send('/join #dev');
  assert.equal(await alice.next(), '* You are now in #dev');
  await textFence(alice);
  bob.send('/join #Dev');
  assert.equal(await bob.next(), '* You are now in #dev');
  assert.equal(await alice.next(), '* Bob joined #dev');
  await textFence(carol);

  // Already a member: the room becomes current, nobody is told anything.
  alice.send('/join #lobby');
  assert.equal(await alice.next(), '* You are now in #lobby');
  await textFence(bob);
  await textFence(carol);

  alice.send('/join');
  await expectTextError(alice, 'bad_request');
  // The `#` may be left out: `dev` means `#dev` (docs/protocol.md §3).
  alice.send('/join dev');
  assert.equal(await alice.next(), '* You are now in #dev');
  alice.send('/join #has space');
  await expectTextError(alice, 'bad_request');
  alice.send(`/join #${'x'.repeat(33)}`);
  await expectTextError(alice, 'bad_request');
  alice.send('/join #a!b');
  await expectTextError(alice, 'bad_request');
  await textFence(alice);
});

test('/join replays the room history', async (t) => {
  const { alice, bob } = await trio(t);
  alice.send('/join #dev');
  await alice.next();
  alice.send('first');
  alice.send('second');
  await textFence(alice);
  bob.send('/join #dev');
  assert.equal(await bob.next(), '* You are now in #dev');
  assert.match(await bob.next(), /^\* — history of #dev/u);
  assert.match(await bob.next(), stamped('<Alice> first'));
  assert.match(await bob.next(), stamped('<Alice> second'));
  assert.match(await bob.next(), /^\* — end of history/u);
  await textFence(bob);
});

test("messages go to the room's members only; other rooms are tagged #room", async (t) => {
  const { alice, bob, carol } = await trio(t);
  alice.send('/join #dev');
  await alice.next();
  bob.send('/join #dev');
  await bob.next();
  await alice.waitFor((l) => l === '* Bob joined #dev');

  // Alice's current room is #dev: #dev lines are plain, #lobby lines tagged.
  bob.send('in dev');
  assert.match(await alice.next(), stamped('<Bob> in dev'));
  carol.send('in lobby');
  assert.match(await alice.next(), stamped('#lobby <Carol> in lobby'));
  assert.match(await bob.next(), stamped('#lobby <Carol> in lobby'));
  carol.send('/me waves');
  assert.match(await alice.next(), stamped('#lobby * Carol waves'));
  await bob.waitFor((l) => l.includes('waves'));
  // Carol is not in #dev and saw nothing of it.
  await textFence(carol);

  alice.send('/join #lobby');
  await alice.next();
  bob.send('back in dev');
  assert.match(await alice.next(), stamped('#dev <Bob> back in dev'));
  await textFence(carol);
});

test('/part leaves a room; not the last one; not one you are not in', async (t) => {
  const { alice, bob } = await trio(t);
  alice.send('/part');
  await expectTextError(alice, 'bad_request');
  alice.send('/part #lobby');
  await expectTextError(alice, 'bad_request');
  alice.send('/part #dev');
  await expectTextError(alice, 'not_member');
  alice.send('/part #lobby #dev');
  await expectTextError(alice, 'bad_request');
  // `nohash` is `#nohash` (§3), a room Alice is not in.
  alice.send('/part nohash');
  await expectTextError(alice, 'not_member');
  alice.send('/part no hash');
  await expectTextError(alice, 'bad_request');

  alice.send('/join #dev');
  await alice.next();
  bob.send('/join #dev');
  await bob.next();
  await alice.waitFor((l) => l === '* Bob joined #dev');
  alice.send('/part');
  assert.equal(await alice.next(), '* You left #dev; current room is #lobby');
  assert.equal(await bob.next(), '* Alice left #dev');
  // Gone from #dev: its messages no longer reach Alice.
  bob.send('anyone?');
  await textFence(bob);
  await textFence(alice);
  alice.send('/join #dev');
  await alice.next();
  await alice.waitFor((l) => l.startsWith('* — end of history'));
  assert.equal(await bob.next(), '* Alice joined #dev');
  bob.send('/part #lobby');
  assert.equal(await bob.next(), '* You left #lobby; current room is #dev');
  assert.equal(await alice.next(), '* Bob left #lobby');
});

test('/msg sends a private message to its recipient only', async (t) => {
  const { alice, bob, carol } = await trio(t);
  alice.send('/msg bob psst, over here');
  assert.match(await bob.next(), stamped('*Alice* psst, over here'));
  await textFence(alice);
  await textFence(carol);

  alice.send('/msg');
  await expectTextError(alice, 'bad_request');
  alice.send('/msg Bob');
  await expectTextError(alice, 'bad_request');
  alice.send('/msg Zed hello');
  await expectTextError(alice, 'not_found');
  alice.send('/msg Alice talking to myself');
  await expectTextError(alice, 'bad_request');
  await textFence(bob);
});

test('/me is an action; //text sends a literal slash', async (t) => {
  const { alice, bob } = await trio(t);
  alice.send('/me waves');
  assert.match(await bob.next(), stamped('* Alice waves'));
  alice.send('//join is how you join');
  assert.match(await bob.next(), stamped('<Alice> /join is how you join'));
  alice.send('//');
  assert.match(await bob.next(), stamped('<Alice> /'));
  alice.send('/me');
  await expectTextError(alice, 'bad_request');
  await textFence(alice);
  await textFence(bob);
});

test('/nick renames, tells the neighbours, frees the old name at once; taken and bad names refused', async (t) => {
  const { port, alice, bob, carol } = await trio(t);
  bob.send('/nick Robert');
  assert.equal(await bob.next(), '* You are now known as Robert');
  assert.equal(await alice.next(), '* Bob is now known as Robert');
  assert.equal(await carol.next(), '* Bob is now known as Robert');

  // The old name is free at once; the new one is taken.
  await textUser(t, port, 'bob');
  assert.equal(await alice.next(), '* bob joined #lobby');
  assert.equal(await bob.next(), '* bob joined #lobby');
  bob.send('/who');
  assert.equal(await bob.next(), '* 4 users in #lobby: Alice, bob, Carol, Robert');

  bob.send('/nick alice');
  await expectTextError(bob, 'alias_taken');
  bob.send('/nick Ａlice');
  await expectTextError(bob, 'alias_taken');
  bob.send('/nick admin');
  await expectTextError(bob, 'bad_alias');
  bob.send('/nick _x');
  await expectTextError(bob, 'bad_alias');
  bob.send('/nick \u0410lice');
  await expectTextError(bob, 'bad_alias');
  bob.send('/nick');
  await expectTextError(bob, 'bad_request');
  bob.send('/nick two words');
  await expectTextError(bob, 'bad_request');
  // A change of case of one's own name is allowed.
  bob.send('/nick ROBERT');
  assert.equal(await bob.next(), '* You are now known as ROBERT');
  assert.equal(await alice.next(), '* Robert is now known as ROBERT');
  // Private messages follow the new name.
  alice.send('/msg robert hi');
  assert.match(await bob.next(), stamped('*Alice* hi'));
});

test('/topic shows and sets the topic; /rooms lists rooms with counts and topics', async (t) => {
  const { alice, bob, carol } = await trio(t);
  alice.send('/topic');
  assert.equal(await alice.next(), '* #lobby has no topic');
  alice.send('/topic Build is green');
  assert.equal(await alice.next(), '* Topic of #lobby: Build is green');
  assert.equal(await bob.next(), '* Alice set the topic of #lobby: Build is green');
  assert.equal(await carol.next(), '* Alice set the topic of #lobby: Build is green');
  bob.send('/topic');
  // Asked, it says who set it and when, as a join shows it.
  assert.match(
    await bob.next(),
    /^\* Topic of #lobby: Build is green \(set by Alice \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/u,
  );

  carol.send('/join #dev');
  await carol.next();
  alice.send('/rooms');
  assert.equal(await alice.next(), '* 2 rooms:');
  assert.equal(await alice.next(), '*   #dev (1)');
  assert.equal(await alice.next(), '*   #lobby (3) — Build is green');
  alice.send('/rooms now then');
  await expectTextError(alice, 'bad_request');
  await textFence(alice);

  // Text mode clears a topic with -clear (an empty text is JSON's way).
  bob.send('/topic -clear');
  assert.equal(await bob.next(), '* #lobby has no topic');
  assert.equal(await alice.next(), '* Bob cleared the topic of #lobby');
  // Clearing it again, or setting the text it already has, is not news.
  bob.send('/topic -clear');
  assert.equal(await bob.next(), '* #lobby has no topic');
  bob.send('/topic');
  assert.equal(await bob.next(), '* #lobby has no topic');
  bob.send('after');
  assert.match(await alice.next(), stamped('<Bob> after'));
  alice.send('/rooms');
  assert.equal(await alice.next(), '* 2 rooms:');
  assert.equal(await alice.next(), '*   #dev (1)');
  assert.equal(await alice.next(), '*   #lobby (3)');
});

test('/history shows recent messages of the current room; bad arguments are bad_request', async (t) => {
  const { alice, bob } = await trio(t);
  for (const m of ['one', 'two', 'three']) bob.send(m);
  await alice.waitFor((l) => l.endsWith('<Bob> three'));
  alice.send('/history 2');
  assert.match(await alice.next(), /^\* — history of #lobby/u);
  assert.match(await alice.next(), stamped('<Bob> two'));
  assert.match(await alice.next(), stamped('<Bob> three'));
  assert.match(await alice.next(), /^\* — end of history/u);
  alice.send('/history');
  assert.match(await alice.next(), /^\* — history of #lobby/u);
  assert.match(await alice.next(), stamped('<Bob> one'));
  alice.send('/history abc');
  await alice.waitFor((l) => l.startsWith('* — end of history'));
  await expectTextError(alice, 'bad_request');
  alice.send('/history 1 2');
  await expectTextError(alice, 'bad_request');
  alice.send('/history -1');
  await expectTextError(alice, 'bad_request');
  await textFence(alice);
});

test('/away is told to the room, shows in /who and answers private senders; /away alone clears it', async (t) => {
  const { alice, bob, carol } = await trio(t);
  alice.send('/away lunch');
  assert.equal(await alice.next(), '* You are marked away: lunch');
  // Told once to those who share a room (§3 system away), not to Alice herself.
  assert.equal(await bob.next(), '* Alice is away: lunch');
  assert.equal(await carol.next(), '* Alice is away: lunch');
  bob.send('/who');
  assert.equal(await bob.next(), '* 3 users in #lobby: Alice (away: lunch), Bob, Carol');
  bob.send('/msg Alice are you there?');
  assert.equal(await bob.next(), '* Alice is away: lunch');
  assert.match(await alice.next(), stamped('*Bob* are you there?'));
  // The same text again changes nothing and is not told again.
  alice.send('/away lunch');
  assert.equal(await alice.next(), '* You are marked away: lunch');
  alice.send('/away');
  assert.equal(await alice.next(), '* You are no longer marked away');
  assert.equal(await carol.next(), '* Alice is back');
  assert.equal(await bob.next(), '* Alice is back');
  bob.send('/msg Alice now?');
  await alice.waitFor((l) => l.endsWith('now?'));
  await textFence(bob);
  await textFence(carol);
});

test("/ignore stops a user's room and private messages; /unignore brings them back", async (t) => {
  const { alice, bob, carol } = await trio(t);
  alice.send('/ignore');
  assert.equal(await alice.next(), '* Ignored users: none');
  alice.send('/ignore bob');
  assert.equal(await alice.next(), '* Ignoring Bob');
  alice.send('/ignore');
  assert.equal(await alice.next(), '* Ignored users: Bob');

  bob.send('you cannot hear me');
  assert.match(await carol.next(), stamped('<Bob> you cannot hear me'));
  bob.send('/msg Alice nor this');
  bob.send('/msg Carol but this');
  await carol.waitFor((l) => l.endsWith('but this'));
  await textFence(alice);

  alice.send('/ignore Zed');
  await expectTextError(alice, 'not_found');
  alice.send('/ignore Alice');
  await expectTextError(alice, 'bad_request');
  alice.send('/unignore Carol');
  await expectTextError(alice, 'not_found');
  alice.send('/unignore');
  await expectTextError(alice, 'bad_request');
  alice.send('/unignore BOB');
  assert.equal(await alice.next(), '* No longer ignoring Bob');
  bob.send('hear me now');
  assert.match(await alice.next(), stamped('<Bob> hear me now'));
});

test('/quit with extra words takes them all as the reason; JSON users see it too', async (t) => {
  const { port, alice, bob } = await trio(t);
  const bot = await jsonUser(t, port, 'Bot');
  await alice.waitFor((l) => l === '* Bot joined #lobby');
  bob.send('/quit see you all tomorrow');
  await bob.waitClosed();
  assert.equal(await alice.next(), '* Bob quit (see you all tomorrow)');
  const quit = await bot.nextJson();
  assert.equal(quit.event, 'quit');
  assert.equal(quit.reason, 'see you all tomorrow');
});

test('commands are case-insensitive', async (t) => {
  const { alice } = await trio(t);
  alice.send('/WHO');
  assert.equal(await alice.next(), '* 3 users in #lobby: Alice, Bob, Carol');
});
