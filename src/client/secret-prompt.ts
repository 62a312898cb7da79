/**
 * Secret prompts asked at the prompt line (repl.ts `askSecrets`): while they
 * are asked the keys go to the answers (passwd.ts SecretAnswers), never to
 * readline or its history; each prompt replaces the room's, which is put back
 * (as it is by then) once they are answered or cancelled.
 */
import { SecretAnswers } from './passwd.js';

/** The prompt line as the secret prompts use it (the Repl's readline). */
export interface PromptLine {
  getPrompt(): string;
  setPrompt(prompt: string): void;
  /** Draw the prompt again, keeping the cursor. */
  redraw(): void;
  /** Whether the prompt is on screen at all (a terminal, not closed). */
  live(): boolean;
}

/** See the module comment. */
export class SecretPrompt {
  private asking?: {
    answers: SecretAnswers;
    /** The prompt to put back afterwards (setPrompt meanwhile changes it). */
    prompt: string;
    resolve: (answers: string[] | undefined) => void;
  };

  constructor(private readonly line: PromptLine) {}

  /** Whether prompts are being answered: keys belong here. */
  get active(): boolean {
    return this.asking !== undefined;
  }

  /** Start asking `prompts`; resolves with the answers, or undefined when cancelled. */
  ask(prompts: readonly string[], drawNow: boolean): Promise<string[] | undefined> {
    const answers = new SecretAnswers(prompts);
    return new Promise((resolve) => {
      this.asking = { answers, prompt: this.line.getPrompt(), resolve };
      this.line.setPrompt(answers.prompt ?? '');
      if (drawNow) this.line.redraw();
    });
  }

  /** The prompt to put back once done; false (and nothing kept) when not asking. */
  keepPrompt(prompt: string): boolean {
    if (!this.asking) return false;
    this.asking.prompt = prompt;
    return true;
  }

  /** One key (or a paste) for the answers; the next prompt or the end when answered. */
  feed(text: string): void {
    const asking = this.asking;
    if (!asking || !asking.answers.feed(text)) return;
    if (asking.answers.finished) return this.end(false);
    this.line.setPrompt(asking.answers.prompt ?? '');
    this.line.redraw();
  }

  /** Back to typing lines: the room's prompt again, and the answers (none when `cancel`) handed over. */
  end(cancel: boolean): void {
    const asking = this.asking;
    if (!asking) return;
    this.asking = undefined;
    if (cancel) asking.answers.cancel();
    this.line.setPrompt(asking.prompt);
    if (this.line.live()) this.line.redraw();
    asking.resolve(asking.answers.result);
  }
}
