/**
 * `/passwd` typed alone in chat-client (issue 18 §4): the old password, the
 * new one and the new one again are asked without echo, right at the prompt,
 * and never reach the line editor (so never its Up-arrow history). Pure:
 * repl.ts feeds it keys, app.ts turns the answers into the §4 `passwd`
 * request. `/passwd OLD NEW` still goes as typed.
 */
import type { Request } from '../protocol/messages.js';

/** The questions, in order; the answers come back in the same order. */
export const PASSWD_PROMPTS = [
  'Old password: ',
  'New password: ',
  'Repeat new password: ',
] as const;

/** Said when a prompt was left empty, or with Ctrl-C / Ctrl-D. */
export const PASSWD_CANCELLED = 'Password not changed';

/** Said in a script, or where echo cannot be turned off, for `/passwd` alone. */
export const PASSWD_NEEDS_TERMINAL =
  '/passwd alone asks for the passwords in a terminal; here send /passwd OLD NEW';

/** Whether a typed line is `/passwd` with nothing after it: the prompting form. */
export function asksForPasswords(line: string): boolean {
  return /^\s*\/passwd\s*$/iu.test(line);
}

/** What the three answers mean (undefined: cancelled): the request to send, or why nothing is sent. */
export function passwdRequest(
  answers: readonly string[] | undefined,
):
  | { kind: 'send'; request: Request }
  | { kind: 'notice'; message: string }
  | { kind: 'invalid'; message: string } {
  const [old, password, again] = answers ?? [];
  // Cancelled (Ctrl-C, Ctrl-D) or an empty answer: the user changed their mind.
  if (!old || !password || again === undefined)
    return { kind: 'notice', message: PASSWD_CANCELLED };
  if (password !== again) {
    return {
      kind: 'invalid',
      message: `The new passwords differ; ${PASSWD_CANCELLED.toLowerCase()}`,
    };
  }
  return { kind: 'send', request: { type: 'passwd', old, password } };
}

/**
 * Keys typed at secret prompts, one after another, as readSecret reads them
 * (tty/secret.ts): Enter ends an answer, Backspace and Ctrl-U edit, Ctrl-C
 * (or Ctrl-D on an empty answer) cancels them all, other control keys and
 * escape sequences (arrows) are dropped. Nothing is echoed: the caller shows
 * only the prompt.
 */
export class SecretAnswers {
  private readonly answers: string[] = [];
  private current = '';
  private state: 'asking' | 'done' | 'cancelled' = 'asking';

  constructor(private readonly prompts: readonly string[]) {}

  /** The prompt to show now, or undefined once every answer is in (or cancelled). */
  get prompt(): string | undefined {
    return this.state === 'asking' ? this.prompts[this.answers.length] : undefined;
  }

  /** The answers, once all are in; undefined while asking or after a cancel. */
  get result(): string[] | undefined {
    return this.state === 'done' ? [...this.answers] : undefined;
  }

  /** Whether no more keys are wanted. */
  get finished(): boolean {
    return this.state !== 'asking';
  }

  /** Take one key (splitKeys) or pasted text; true when the prompt changed. */
  feed(key: string): boolean {
    if (this.state !== 'asking') return false;
    if (key.startsWith('\x1b') && key.length > 1) return false;
    let changed = false;
    for (const ch of key) {
      if (this.state !== 'asking') break;
      if (ch === '\r' || ch === '\n') {
        this.answers.push(this.current);
        this.current = '';
        if (this.answers.length >= this.prompts.length) this.state = 'done';
        changed = true;
      } else if (ch === '\u0003' || (ch === '\u0004' && this.current === '')) {
        this.state = 'cancelled';
        changed = true;
      } else if (ch === '\u007f' || ch === '\b') {
        this.current = [...this.current].slice(0, -1).join('');
      } else if (ch === '\u0015') {
        this.current = '';
      } else if (ch >= ' ' && ch !== '\u007f') {
        this.current += ch;
      }
    }
    return changed;
  }

  /** Stop asking (the session ended): as a cancel. */
  cancel(): void {
    if (this.state === 'asking') this.state = 'cancelled';
  }
}
