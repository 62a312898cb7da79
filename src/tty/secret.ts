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
    const done = (err?: Error): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(secret);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
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
