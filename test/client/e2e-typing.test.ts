/**
 * Issue 9, typed as a person types: chat-client in a real terminal (tmux),
 * keys sent in the bursts a fast typist, a paste or an input method give,
 * the screen read back, an `nc`-style user watching what arrives, a second
 * login of the same account, and server restarts.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { accountsCli, addAccount } from '../helpers/accounts.js';
import { tempDir } from '../helpers/env.js';
import { startServerProcess } from '../helpers/process.js';
import { startClient, textUser } from './processes.js';
import { TmuxClient } from './tmux.js';

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A server, Zed on it as an `nc`-style user, and Ann's chat-client in tmux
 * at its prompt (`shell`: started from an interactive bash, for job control).
 */
async function annAndZed(
  t: TestContext,
  shell = false,
): Promise<{ zed: Awaited<ReturnType<typeof textUser>>; ann: TmuxClient }> {
  const { port } = await startServerProcess(t);
  const zed = await textUser(t, port, 'Zed');
  const args = ['--port', String(port), '--name', 'Ann'];
  const ann = await TmuxClient.start(t, tempDir(t), args, {}, shell);
  await ann.until(/^#lobby>$/mu, 'the prompt');
  return { zed, ann };
}

describe('chat-client typed into a terminal (issue 9)', () => {
  it('edits in the middle of a line: keys in one read, a pasted word, wide characters and emoji', async (t) => {
    const { zed, ann } = await annAndZed(t);

    await ann.type('abcdef');
    await ann.press('Left', 'Left', 'Left');
    await ann.type('XYZ');
    await ann.press('Enter');
    await zed.reader.find((l) => l.endsWith('<Ann> abcXYZdef'), 'abcXYZdef');

    await ann.type('hello world');
    await ann.press('Left', 'Left', 'Left', 'Left', 'Left');
    await ann.paste('PASTED');
    await ann.press('Enter');
    await zed.reader.find((l) => l.endsWith('<Ann> hello PASTEDworld'), 'hello PASTEDworld');

    await ann.type('日本語');
    await ann.press('Left', 'Left');
    await ann.type('😀字');
    await ann.press('Enter');
    await zed.reader.find((l) => l.endsWith('<Ann> 日😀字本語'), '日😀字本語');
    await ann.until(/<Ann> 日😀字本語\n#lobby>$/u, 'her own line, acked');

    // One key per character as seen: a skin tone and a flag are one each.
    await ann.type('a👍🏽b🇫🇷c');
    // Before the flag, Backspace twice (b, then the thumb), Delete (the flag).
    await ann.press('Left', 'Left', 'BSpace', 'BSpace', 'DC');
    await ann.press('Enter');
    await zed.reader.find((l) => l.endsWith('<Ann> ac'), 'ac');
  });

  it('runs each of several lines that arrive in one read: a slow link, typing ahead', async (t) => {
    const { port } = await startServerProcess(t);
    const zed = await textUser(t, port, 'Zed');
    // Typed ahead while it connects: the keys reach it in one read, before its prompt.
    const ann = await TmuxClient.start(t, tempDir(t), ['--port', String(port), '--name', 'Ann']);
    await ann.type('/join #x1\rhello x1\r');
    await ann.until(/^#x1>$/mu, 'in #x1');
    // Delivered together, as a laggy link does: a command, then another.
    await ann.type('/msg Zed psst\r/me waves\r');
    await zed.reader.find((l) => l.endsWith('*Ann* psst'), 'the private message');
    await ann.until(/\* Ann waves\n#x1>$/u, 'the action, in #x1');
    await ann.type('/join #lobby\r');
    await ann.until(/^#lobby>$/mu, 'back in #lobby');
    assert.ok(!zed.reader.lines.some((l) => /<Ann>/u.test(l)), zed.reader.lines.join('\n'));
  });

  it('with --room, lines typed ahead go to that room; a refused --room goes back to #lobby', async (t) => {
    const { port } = await startServerProcess(t);
    const zed = await textUser(t, port, 'Zed');
    zed.say('/join #gr');
    await zed.reader.find((l) => l === '* You are now in #gr', 'Zed in #gr');
    const dir = tempDir(t);
    const args = (p: number, name: string): string[] => [
      '--port',
      String(p),
      '--name',
      name,
      '--room',
      'gr',
    ];
    const ann = await TmuxClient.start(t, dir, args(port, 'Ann'));
    await ann.type('g1\rg2\r');
    await zed.reader.find((l) => /^\[\d\d:\d\d\] <Ann> g2$/u.test(l), 'g2, in #gr');
    assert.ok(
      !zed.reader.lines.some((l) => l.includes('#lobby <Ann>')),
      zed.reader.lines.join('\n'),
    );
    await ann.until(/^#gr>$/mu, 'the prompt in #gr');

    // One room per user: the --room join is refused, and the prompt goes back to #lobby.
    const small = await startServerProcess(t, ['--max-rooms-per-user', '1']);
    const bea = await TmuxClient.start(t, dir, args(small.port, 'Bea'));
    await bea.until(/! You are in 1 room, the most this server allows/u, 'the join refused');
    await bea.until(/^#lobby>$/mu, 'back in #lobby');
  });

  it('an alias already online asks for another, with echo, until one is free', async (t) => {
    const { port } = await startServerProcess(t);
    const amy = await textUser(t, port, 'Amy');
    const late = await TmuxClient.start(t, tempDir(t), ['--port', String(port), '--name', 'amy']);
    await late.until(/Another alias \(Enter alone to quit\):$/mu, 'the question');
    await late.type('Amy');
    await late.press('Enter');
    await late.until(/: Amy\n(?:.*\n)*Another alias \(Enter alone to quit\):$/mu, 'asked again');
    await late.type('Amy2');
    await late.press('Enter');
    await late.until(/Connected to chat-server \S+ as Amy2\./u, 'connected as Amy2');
    await late.until(/^#lobby>$/mu, 'the prompt');
    await late.type('hi from the second Amy');
    await late.press('Enter');
    await amy.reader.find((l) => l.endsWith('<Amy2> hi from the second Amy'), 'her line');

    // Enter alone gives up: exit 4, and the refusal shown above the question is not repeated.
    const third = await TmuxClient.start(t, tempDir(t), ['--port', String(port), '--name', 'amy']);
    await third.until(/Another alias \(Enter alone to quit\):$/mu, 'the question');
    await third.press('Enter');
    const { code, stderr } = await third.exited();
    assert.equal(code, 4, stderr);
    assert.equal(stderr.match(/already online/gu)?.length, 1, stderr);
    assert.match(stderr, /^chat-client: no other alias given \[alias_taken\]$/mu);
  });

  it('holds a paste without a final line break until Enter, and keeps no password for Up', async (t) => {
    const { zed, ann } = await annAndZed(t);

    await ann.paste('one\rtwo');
    await ann.until(/Enter sends it.*\n┆ one\n#lobby> two$/mu, 'the held paste');
    await ann.type(' and more');
    await ann.press('Enter');
    const seen = await zed.reader.find((l) => l.includes('two and more'), 'the paste, once sent');
    assert.ok(!zed.reader.lines.some((l) => /two$/u.test(l)), `sent before Enter: ${seen}`);

    await ann.type('/register hunter2hunter2');
    await ann.press('Enter');
    await ann.until(/registered/u, 'the registration');
    await ann.press('Up');
    const screen = await ann.until(/#lobby> \S.*$/mu, 'the recalled line');
    assert.doesNotMatch(screen.split('\n').at(-1) ?? '', /hunter2/u, screen);
    assert.match(screen, /#lobby> two and more$/u);
  });

  it('a pasted line longer than the server takes is inserted whole and sent as several messages', async (t) => {
    const { zed, ann } = await annAndZed(t);
    const words = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(' ');
    assert.ok(words.length > 16384);
    await ann.pasteBuffer(words);
    await ann.until(/w2999$/u, 'the pasted line at the prompt');
    await ann.press('Enter');
    const last = await zed.reader.find((l) => l.endsWith(' w2999'), 'the second part');
    const parts = zed.reader.lines.filter((l) => l.includes('<Ann> '));
    assert.equal(parts.length, 2, parts.map((p) => p.slice(0, 80)).join('\n'));
    assert.equal(parts.map((p) => p.replace(/^.*?<Ann> /u, '')).join(''), words, last.slice(0, 80));
    // The prompt was drawn once, not once per key.
    const screen = await ann.until(/<Ann> .*w2999\n#lobby>$/u, 'both parts acked');
    assert.equal(screen.match(/#lobby>/gu)?.length, 1, screen.slice(-400));
    // The notice has scrolled off the screen by now (each part takes 200 rows).
    assert.match(await ann.scrollback(), /sending it as 2/u);
  });

  it('signed out by a password reset: says so as it stops, and does not come back with the old password', async (t) => {
    const dir = tempDir(t);
    const db = path.join(dir, 'chat.db');
    await addAccount(db, 'Bob', 'bobs-password');
    const { port } = await startServerProcess(t, ['--db', db]);
    const env = { CHAT_PASSWORD: 'bobs-password' };
    const bob = await TmuxClient.start(t, dir, ['--port', String(port), '--name', 'Bob'], env);
    await bob.until(/^#lobby>$/mu, 'the login');
    const reset = await accountsCli(['passwd', 'Bob', '--db', db], 'a new password\n');
    assert.equal(reset.code, 0, reset.stderr);
    const { code, stderr } = await bob.exited();
    assert.equal(code, 5, stderr);
    assert.match(stderr, /signed out: the password of Bob was changed; sign in with the new one/u);
    assert.doesNotMatch(stderr, /Wrong password/u);
  });

  it('a displaced session stops, says why and how to take it back, and does not fight', async (t) => {
    const dir = tempDir(t);
    const db = path.join(dir, 'chat.db');
    await addAccount(db, 'Bob', 'bobs-password');
    const { port } = await startServerProcess(t, ['--db', db]);
    const zed = await textUser(t, port, 'Zed');
    const env = { CHAT_PASSWORD: 'bobs-password' };
    const first = await TmuxClient.start(t, dir, ['--port', String(port), '--name', 'Bob'], env);
    await first.until(/^#lobby>$/mu, 'the first login');
    const second = startClient(t, ['--port', String(port), '--name', 'Bob'], env);

    const { code, stderr } = await first.exited();
    assert.equal(code, 5, stderr);
    assert.match(stderr, /signed in from another connection/u);
    assert.match(stderr, /To take the session back, start chat-client again/u);
    // The second login keeps the session: its line arrives after the first stopped.
    second.proc.stdin?.write('still here\n');
    await zed.reader.find((l) => l.endsWith('<Bob> still here'), "the second login's line");
    const joins = zed.reader.lines.filter((l) => /Bob (joined|has joined)/u.test(l));
    assert.ok(joins.length <= 2, joins.join('\n'));
    second.proc.stdin?.end();
    assert.equal(await second.exitCode(), 0, second.seen());
  });

  it('reconnecting: one status line in place, offline lines pending, a refused line never again', async (t) => {
    const dir = tempDir(t);
    const db = path.join(dir, 'chat.db');
    const limits = ['--db', db, '--max-line-bytes', '1024'];
    const first = await startServerProcess(t, limits);
    const port = first.port;
    const ann = await TmuxClient.start(t, dir, ['--port', String(port), '--name', 'Ann']);
    await ann.until(/^#lobby>$/mu, 'the prompt');
    // A line longer than the server's line size goes as several messages.
    await ann.type('x'.repeat(1500));
    await ann.press('Enter');
    await ann.until(
      /sending it as 3\n(?:.*\n)*.*<Ann> x+\n(?:.*\n)*.*<Ann> x+\n(?:.*\n)*.*<Ann> x+/u,
      'the long line',
    );
    await ann.type('/msg Nobody hi');
    await ann.press('Enter');
    await ann.until(/No one called Nobody is online/u, 'the refusal');

    first.child.proc.kill('SIGTERM');
    await ann.until(/reconnecting… attempt [2-9]/u, 'a second attempt', 15_000);
    await ann.type('typed offline');
    await ann.press('Enter');
    const offline = await ann.until(/pending: <Ann> typed offline/u, 'the pending line');
    assert.equal(offline.match(/reconnecting…/gu)?.length, 1, offline);
    assert.doesNotMatch(offline, /Connection lost/u);

    await startServerProcess(t, ['--port', String(port), ...limits]);
    const back = await ann.until(
      /\] <Ann> typed offline\n(?:.*\n)?#lobby>$/u,
      'the line acked',
      20_000,
    );
    assert.doesNotMatch(back, /pending:|reconnecting…/u);
    assert.match(back, /Reconnected to 127\.0\.0\.1:\d+/u);
    // One more round trip, then the long line has had every chance to come back.
    await ann.type('after');
    await ann.press('Enter');
    const last = await ann.until(/<Ann> after\n#lobby>$/u, 'a later line');
    assert.equal(last.match(/No one called Nobody is online/gu)?.length, 1, last);
  });

  it('fails over between several --host servers, at start and when its server dies', async (t) => {
    const dir = tempDir(t);
    const a = await startServerProcess(t);
    const b = await startServerProcess(t);
    const dead = await deadPort();
    const hosts = `127.0.0.1:${dead},127.0.0.1:${a.port},127.0.0.1:${b.port}`;
    const ann = await TmuxClient.start(t, dir, ['--host', hosts, '--name', 'Ann']);
    await ann.until(/^#lobby>$/mu, 'the prompt, past the dead server');
    const zed = await textUser(t, a.port, 'Zed');
    await ann.type('on a');
    await ann.press('Enter');
    await zed.reader.find((l) => l.endsWith('<Ann> on a'), 'her line on server a');

    a.child.proc.kill('SIGKILL');
    await ann.until(
      new RegExp(`Reconnected to 127\\.0\\.0\\.1:${b.port}`, 'u'),
      'server b',
      20_000,
    );
    const zed2 = await textUser(t, b.port, 'Zed2');
    await ann.type('on b');
    await ann.press('Enter');
    await zed2.reader.find((l) => l.endsWith('<Ann> on b'), 'her line on server b');
  });

  it('Ctrl-L clears the screen once: later lines and edits push no copies of the prompt into the scrollback', async (t) => {
    const { zed, ann } = await annAndZed(t);
    zed.say('before the clear');
    await ann.until(/<Zed> before the clear/u, 'a line to clear');
    await ann.type('half typed');
    await ann.press('C-l');
    // The prompt one row down from the top, the draft kept.
    await ann.until(/^\n#lobby> half typed$/u, 'a cleared screen');
    for (const n of [1, 2, 3]) {
      zed.say(`after ${n}`);
      await ann.until(new RegExp(`<Zed> after ${n}`, 'u'), `line ${n}`);
      // An edit mid-line: readline redraws the whole line.
      await ann.press('Left', 'Left');
      await ann.type(String(n));
    }
    await ann.until(/^#lobby> half t3y2p1ed$/mu, 'the edited draft');
    const prompts = (await ann.scrollback()).split('\n').filter((l) => l.startsWith('#lobby>'));
    // One copy went to the scrollback with the cleared screen, as a clear
    // does; before, each line and edit after it pushed another.
    assert.deepEqual(
      prompts.map((l) => l.trimEnd()),
      ['#lobby> half typed', '#lobby> half t3y2p1ed'],
    );
    await ann.press('Enter');
    await zed.reader.find((l) => l.endsWith('<Ann> half t3y2p1ed'), 'the edited line');
  });

  it('Ctrl-Z stops it and fg brings it back with the line editor working (raw mode restored)', async (t) => {
    const { zed, ann } = await annAndZed(t, true);
    await ann.type('draft');
    await ann.press('C-z');
    await ann.until(/Stopped.*\n\$ ?$/su, 'the shell after the stop');
    await ann.type('fg');
    await ann.press('Enter');
    await ann.until(/^#lobby> draft$/mu, 'the prompt and draft again');
    // A cooked terminal would echo these as ^[[D and keep the draft unedited.
    await ann.press('Left', 'Left');
    await ann.type('X');
    await ann.until(/^#lobby> draXft$/mu, 'an edit in the middle');
    const screen = await ann.screen();
    assert.doesNotMatch(screen, /\^\[/u, 'no escape sequences echoed');
    await ann.press('Enter');
    await zed.reader.find((l) => l.endsWith('<Ann> draXft'), 'the edited line');
  });

  it('a resize keeps every received line and draws the prompt once (the terminal reflows the draft)', async (t) => {
    const { zed, ann } = await annAndZed(t);
    zed.say('M1 the line just above the prompt');
    await ann.until(/<Zed> M1 /u, 'M1');
    const draft =
      'this draft is longer than one row of eighty columns so it wraps onto a second row ok';
    await ann.type(draft);
    const check = async (what: string): Promise<void> => {
      // Let the client handle the resize: a line from Zed arrives after it.
      // The line and the prompt redrawn below it are separate writes, which
      // tmux may show one at a time: wait for both before counting prompts.
      const screen = await ann.until(new RegExp(`<Zed> ${what}[^]*^#lobby>`, 'mu'), what);
      const all = (await ann.scrollback()).replace(/\n(?!\n)/gu, '\n');
      assert.match(all, /<Zed> M1 the line just above the prompt/u, `M1 kept (${what})`);
      const prompts = screen.split('\n').filter((l) => l.startsWith('#lobby>'));
      assert.equal(prompts.length, 1, `one prompt on screen (${what}):\n${screen}`);
    };
    // A key typed after each resize, once echoed, says the client has seen
    // the new width (SIGWINCH) before Zed's next line reaches it.
    let typed = '';
    for (const [columns, line] of [
      [120, 'M2 after widening'],
      [40, 'M3 while narrow'],
      [100, 'M4 wide again'],
    ] as const) {
      await ann.resize(columns, 24);
      typed += String(columns).charAt(0);
      await ann.type(typed.slice(-1));
      await ann.until(new RegExp(`ok${typed}$`, 'u'), `the key typed at ${columns} columns`);
      zed.say(line);
      await check(line);
    }
    const scroll = await ann.scrollback();
    for (const m of ['M1', 'M2', 'M3']) assert.match(scroll, new RegExp(`<Zed> ${m} `, 'u'));
    await ann.press('Enter');
    await zed.reader.find((l) => l.endsWith(`<Ann> ${draft}${typed}`), 'the draft, whole');
  });

  /** Gus in tmux types `line` while its server is down: shown pending. */
  async function pendingWhileDown(t: TestContext, line: string) {
    const server = await startServerProcess(t);
    const gus = await TmuxClient.start(t, tempDir(t), [
      '--port',
      String(server.port),
      '--name',
      'Gus',
    ]);
    await gus.until(/^#lobby>$/mu, 'the prompt');
    server.child.proc.kill('SIGTERM');
    await gus.until(/reconnecting…/u, 'the reconnect status', 15_000);
    await gus.type(line);
    await gus.press('Enter');
    await gus.until(new RegExp(`pending: <Gus> ${line}`, 'u'), 'the pending line');
    return { server, gus };
  }

  it('exit with lines typed while the server is down: told first, then they are printed as it leaves', async (t) => {
    const { gus } = await pendingWhileDown(t, 'important unsent line');
    await gus.type('exit');
    await gus.press('Enter');
    await gus.until(
      /1 line is not confirmed yet: the server is not answering, and may or may not have it/u,
      'the warning',
    );
    await gus.type('exit');
    await gus.press('Enter');
    const { code, stderr } = await gus.exited();
    // Not a success: a wrapper learns that a line was lost.
    assert.equal(code, 6);
    assert.match(stderr, /^chat-client: not confirmed: important unsent line$/mu);
  });

  it('lines typed while the server is down are printed when the server then refuses it for good', async (t) => {
    const { server, gus } = await pendingWhileDown(t, 'typed while it was down');
    await server.child.exited;
    // Back as an accounts-only server: a guest is refused for good.
    await startServerProcess(t, ['--port', String(server.port), '--require-account']);
    const { code, stderr } = await gus.exited();
    assert.equal(code, 5);
    assert.match(stderr, /^chat-client: not confirmed: typed while it was down$/mu);
  });
});
