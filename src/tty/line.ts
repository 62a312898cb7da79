/**
 * Ask a question at a terminal and read the answer with echo, before the
 * chat's own line editor takes the terminal (chat-client's alias prompt).
 * The terminal's cooked mode echoes and edits the line; Ctrl-C or the end of
 * input answers nothing.
 */
import { createInterface } from 'node:readline';

/** The answer, trimmed; undefined when the input ended or was interrupted first. */
export function readLine(
  prompt: string,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    output.write(prompt);
    const rl = createInterface({ input, terminal: false });
    let answer: string | undefined;
    rl.once('line', (line) => {
      answer = line.trim();
      rl.close();
    });
    // Ctrl-C in cooked mode is SIGINT to the process: readline without a
    // terminal does not see it, so it is taken here while the question waits.
    const interrupted = (): void => {
      output.write('\n');
      rl.close();
    };
    process.once('SIGINT', interrupted);
    rl.once('close', () => {
      process.off('SIGINT', interrupted);
      // Paused by close(): the line editor resumes it.
      resolve(answer);
    });
  });
}
