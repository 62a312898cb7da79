/**
 * Ask a question at a terminal and read the answer with echo, before the
 * chat's own line editor takes the terminal (chat-client's alias prompt).
 * The terminal's cooked mode echoes and edits the line (Backspace, Ctrl-U):
 * readline's own editing would need chat-client's key splitting (keys.ts),
 * since it mangles several keys in one read. Ctrl-C or the end of input
 * answer nothing.
 */
import { createInterface } from 'node:readline';
import { sanitizeText } from '../protocol/sanitize.js';

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
      // Arrow keys do not move in cooked mode: their escape sequences are
      // not part of the answer (a re-audit: `Evy^[[D^[[DQ` refused as spaces).
      answer = sanitizeText(line).trim();
      rl.close();
    });
    // Ctrl-C in cooked mode is SIGINT to the process: readline without a
    // terminal does not see it, so it is taken here while the question waits.
    const interrupted = (): void => {
      rl.close();
    };
    process.once('SIGINT', interrupted);
    rl.once('close', () => {
      process.off('SIGINT', interrupted);
      // Ctrl-C or Ctrl-D leave the cursor on the prompt's line.
      if (answer === undefined) output.write('\n');
      // Paused by close(): the chat's line editor resumes it.
      resolve(answer);
    });
  });
}
