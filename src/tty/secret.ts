/**
 * Read a secret: from a terminal without echo, or as the first line of piped
 * stdin (for scripts). Shared by `chat-server accounts` and chat-client.
 */
import { createInterface } from 'node:readline';

/** Thrown when the user cancels with Ctrl-C or the input ends before a line. */
export class SecretCancelled extends Error {
  override readonly name = 'SecretCancelled';
}

function fromTerminal(
  prompt: string,
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
): Promise<string> {
  return new Promise((resolve, reject) => {
    // Echo goes off before the prompt shows, so no early keystroke is echoed.
    input.setRawMode(true);
    output.write(prompt);
    input.resume();
    input.setEncoding('utf8');
    let secret = '';
    const done = (err?: Error, typedAhead = ''): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      // Keys typed after the Enter, in the same read, are the next reader's
      // (the chat's line editor): a hands-on trial lost `/j` of a `/join`
      // typed ahead and saw the rest posted to the room.
      if (typedAhead !== '') input.unshift(typedAhead, 'utf8');
      output.write('\n');
      if (err) reject(err);
      else resolve(secret);
    };
    const onData = (chunk: string): void => {
      let at = 0;
      for (const ch of chunk) {
        at += ch.length;
        if (ch === '\r' || ch === '\n') {
          const rest = chunk.slice(at);
          return done(undefined, ch === '\r' && rest.startsWith('\n') ? rest.slice(1) : rest);
        }
        if (ch === '\u0003') return done(new SecretCancelled('Ctrl-C'));
        if (ch === '\u0004') return done(secret ? undefined : new SecretCancelled('no input'));
        if (ch === '\u007f' || ch === '\b') secret = [...secret].slice(0, -1).join('');
        else if (ch >= ' ') secret += ch;
      }
    };
    input.on('data', onData);
  });
}

function fromPipe(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input, terminal: false });
    let got = false;
    rl.once('line', (line) => {
      got = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!got) reject(new SecretCancelled('stdin ended before a password line'));
    });
  });
}

/** Ask for a secret without echoing it; `prompt` goes to stderr so stdout stays clean. */
export function readSecret(
  prompt: string,
  input: NodeJS.ReadStream = process.stdin,
): Promise<string> {
  return input.isTTY ? fromTerminal(prompt, input, process.stderr) : fromPipe(input);
}
