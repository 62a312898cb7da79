/**
 * Issue 18 §4, as a student does it: `/passwd` typed alone in chat-client in
 * a real terminal (tmux) asks for the old password and the new one twice
 * without echo, the ack is shown, nothing typed is ever on screen or in
 * Up-arrow history, a fresh login takes the new password (and no longer the
 * old one), and a reconnect after a server restart sends the new one. In a
 * script, `/passwd` alone is refused with what to send instead.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addAccount } from '../helpers/accounts.js';
import { tempDir } from '../helpers/env.js';
import { startServerProcess } from '../helpers/process.js';
import { startClient } from './processes.js';
import { TmuxClient } from './tmux.js';

const OLD = 'old-secret-1';
const NEW = 'fresh secret 2';
const TYPO = 'fresh secret 3';

describe('chat-client /passwd without echo (issue 18 §4)', () => {
  it('asks old, new and again without echo, changes it, and the new one logs in and reconnects', async (t) => {
    const dir = tempDir(t);
    const db = path.join(dir, 'chat.db');
    await addAccount(db, 'Kim', OLD);
    const server = await startServerProcess(t, ['--db', db]);
    const port = server.port;
    const kim = await TmuxClient.start(t, dir, ['--port', String(port), '--name', 'Kim'], {
      CHAT_PASSWORD: OLD,
    });
    await kim.until(/^#lobby>$/mu, 'the prompt');
    const screens: string[] = [];
    const step = async (test: RegExp, what: string): Promise<void> => {
      screens.push(await kim.until(test, what));
    };
    const answer = async (text: string): Promise<void> => {
      await kim.type(text);
      // The typed keys are on no screen, even before Enter.
      screens.push(await kim.screen());
      await kim.press('Enter');
    };

    // The new password typed differently twice: refused here, nothing sent.
    await kim.type('/passwd');
    await kim.press('Enter');
    await step(/^Old password:$/mu, 'the old password prompt');
    await answer(OLD);
    await step(/^New password:$/mu, 'the new password prompt');
    await answer(NEW);
    await step(/^Repeat new password:$/mu, 'the repeat prompt');
    await answer(TYPO);
    await step(/! The new passwords differ; password not changed\n#lobby>$/u, 'the mismatch');

    await kim.type('/passwd');
    await kim.press('Enter');
    await step(/^Old password:$/mu, 'the old password prompt again');
    await answer(OLD);
    await step(/^New password:$/mu, 'the new password prompt again');
    await answer(NEW);
    await step(/^Repeat new password:$/mu, 'the repeat prompt again');
    await answer(NEW);
    await step(/\* Password changed for Kim\n#lobby>$/u, 'the ack');

    // Up-arrow history holds none of it.
    await kim.press('Up', 'Up', 'Up');
    screens.push(await kim.screen());
    for (const screen of screens) {
      assert.doesNotMatch(screen, /old-secret|fresh secret/u, screen);
    }

    // A reconnect after a restart sends the new password (CHAT_PASSWORD is the old one).
    server.child.proc.kill('SIGTERM');
    await kim.until(/reconnecting…/u, 'reconnecting', 15_000);
    await startServerProcess(t, ['--port', String(port), '--db', db]);
    await kim.until(/Reconnected to 127\.0\.0\.1:\d+/u, 'the reconnect', 20_000);

    // A fresh login: the new password works, the old one no longer does.
    const stale = startClient(t, ['--port', String(port), '--name', 'Kim'], {
      CHAT_PASSWORD: OLD,
    });
    stale.proc.stdin?.end('hello\n');
    assert.equal(await stale.exitCode(), 4, stale.seen());
    const good = startClient(t, ['--port', String(port), '--name', 'Kim'], { CHAT_PASSWORD: NEW });
    good.proc.stdin?.end('hello from the new password\n');
    assert.equal(await good.exitCode(), 0, good.seen());
  });

  it('a guest is told to /register first, with no prompt to swallow what is typed next; once registered it asks', async (t) => {
    const dir = tempDir(t);
    const { port } = await startServerProcess(t, ['--db', path.join(dir, 'chat.db')]);
    const amy = await TmuxClient.start(t, dir, ['--port', String(port), '--name', 'Amy']);
    await amy.until(/^#lobby>$/mu, 'the prompt');
    await amy.type('/passwd');
    await amy.press('Enter');
    await amy.type('typed right after');
    await amy.press('Enter');
    const screen = await amy.until(
      /<Amy> typed right after\n#lobby>$/u,
      'the next line, sent as chat',
    );
    assert.match(screen, /! Only registered users have a password; \/register PASSWORD first/u);
    assert.doesNotMatch(screen, /Old password:/u);

    await amy.type(`/register ${OLD}`);
    await amy.press('Enter');
    await amy.until(/\* Amy is now registered/u, 'the registration');
    await amy.type('/passwd');
    await amy.press('Enter');
    await amy.until(/^Old password:$/mu, 'the old password prompt, now that Amy has one');
  });

  it('in a script, /passwd alone is refused with what to send instead', async (t) => {
    const dir = tempDir(t);
    const db = path.join(dir, 'chat.db');
    await addAccount(db, 'Kim', OLD);
    const { port } = await startServerProcess(t, ['--db', db]);
    const kim = startClient(t, ['--port', String(port), '--name', 'Kim'], { CHAT_PASSWORD: OLD });
    const typed = NEW.replace(/ /gu, '-');
    kim.proc.stdin?.end(`/passwd\n/passwd ${OLD} ${typed}\n`);
    assert.equal(await kim.exitCode(), 6, kim.seen());
    assert.equal(
      kim.stderr,
      'chat-client: line 1 refused: /passwd alone asks for the passwords in a terminal; here send /passwd OLD NEW [bad_request]\n',
    );
    // The typed form on line 2 went through.
    const after = startClient(t, ['--port', String(port), '--name', 'Kim'], {
      CHAT_PASSWORD: typed,
    });
    after.proc.stdin?.end('hello\n');
    assert.equal(await after.exitCode(), 0, after.seen());
  });
});
